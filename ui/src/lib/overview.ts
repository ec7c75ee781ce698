/**
 * The operator overview's numbers: turns Herald's per-bucket attempt counts into the two series
 * the charts draw (deliveries per minute, failure ratio) and the figures shown beside them.
 */
import type { OverviewOut } from '../api/types.js';

export interface OverviewSeries {
  /** Bucket starts, in seconds since the epoch (uPlot's x axis). */
  x: number[];
  perMinute: number[];
  /** Failed / all attempts in the bucket; null where the bucket had none (a gap, not a zero). */
  failureRatio: Array<number | null>;
}

/** Chart series for a window; buckets arrive oldest first. */
export function overviewSeries(overview: Pick<OverviewOut, 'buckets' | 'bucketSeconds'>): OverviewSeries {
  const minutes = overview.bucketSeconds / 60;
  const sorted = [...overview.buckets].sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
  return {
    x: sorted.map((b) => Math.floor(Date.parse(b.start) / 1000)),
    perMinute: sorted.map((b) => round2((b.succeeded + b.failed) / minutes)),
    failureRatio: sorted.map((b) => {
      const total = b.succeeded + b.failed;
      return total === 0 ? null : round2(b.failed / total);
    }),
  };
}

/** Totals over the window: attempts, failures and the failure ratio (null without attempts). */
export function overviewTotals(overview: Pick<OverviewOut, 'buckets'>): {
  attempts: number;
  failed: number;
  failureRatio: number | null;
} {
  let attempts = 0;
  let failed = 0;
  for (const b of overview.buckets) {
    attempts += b.succeeded + b.failed;
    failed += b.failed;
  }
  return { attempts, failed, failureRatio: attempts === 0 ? null : failed / attempts };
}

/**
 * How late the oldest due delivery is, with a tone: a few seconds is normal; minutes mean the
 * workers are behind or stalled (the alert Herald's README recommends).
 */
export function oldestDueAge(
  oldestDueAt: string | null,
  now: number,
): { seconds: number; tone: 'good' | 'warn' | 'bad' } {
  if (!oldestDueAt) return { seconds: 0, tone: 'good' };
  const seconds = Math.max(0, Math.round((now - Date.parse(oldestDueAt)) / 1000));
  return { seconds, tone: seconds < 60 ? 'good' : seconds < 600 ? 'warn' : 'bad' };
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
