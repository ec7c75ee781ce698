import type { ReceiptStats } from './children.js';

/** The `p`-th percentile (0-100) by nearest rank; null for no samples. */
export function percentile(samples: readonly number[], p: number): number | null {
  if (samples.length === 0) return null;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** p50, p99 and max of latency samples (ms, one decimal). */
export function latencySummary(samples: readonly number[]): {
  n: number;
  p50: number | null;
  p99: number | null;
  max: number | null;
} {
  const r = (v: number | null) => (v === null ? null : Math.round(v * 10) / 10);
  return {
    n: samples.length,
    p50: r(percentile(samples, 50)),
    p99: r(percentile(samples, 99)),
    max: r(samples.length ? Math.max(...samples) : null),
  };
}

/**
 * Deliveries per second from the receiver's first receipt to its last: the same clock and the
 * same window for every contender, so process start-up is left out for all of them alike.
 */
export function receiptRate(stats: ReceiptStats): number | null {
  if (stats.unique < 2 || stats.lastAt <= stats.firstAt) return null;
  return Math.round(((stats.unique - 1) / (stats.lastAt - stats.firstAt)) * 1000);
}

/** Rounds to `digits` decimals; null for unknown or infinite values. */
export function round(value: number | null, digits = 2): number | null {
  if (value === null || !Number.isFinite(value)) return null;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** `a / b` rounded, or null when either is unknown. */
export function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a == null || b == null || b === 0) return null;
  return round(a / b);
}

/** The item whose `key` is the median (the lower middle of an even count); null keys sort last. */
export function medianBy<T>(items: T[], key: (item: T) => number | null): T | undefined {
  const sorted = [...items].sort(
    (a, b) => (key(a) ?? Number.POSITIVE_INFINITY) - (key(b) ?? Number.POSITIVE_INFINITY),
  );
  return sorted[Math.floor((sorted.length - 1) / 2)];
}
