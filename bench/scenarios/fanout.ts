/**
 * Fan-out: one message to an application with 1, 10, 100 or 1,000 endpoints, spread over the
 * receiver's ports so their connections are not all one pool. Timed from publish to the last
 * endpoint's receipt, a few rounds each (fewer for the larger sizes).
 */
import { nowMs } from '../payload.js';
import type { AppSpec, Session } from '../session.js';
import { latencySummary, percentile } from '../stats.js';

const SIZES = [1, 10, 100, 1000] as const;
const ROUNDS: Record<(typeof SIZES)[number], number> = { 1: 20, 10: 10, 100: 5, 1000: 3 };

/** One application per size, its endpoints spread over the receiver's ports. */
export const FANOUT_APPS: AppSpec[] = SIZES.map((size) => ({
  uid: `fanout-${size}`,
  endpoints: Array.from({ length: size }, (_, i) => `/ok/fanout-${size}/${i}`),
}));

/** One fan-out size. */
export interface FanoutRow {
  endpoints: number;
  rounds: number;
  /** Median time from publish to the last endpoint's receipt, ms. */
  timeToAllMs: number | null;
  /** Endpoints reached per second of that median time. */
  deliveriesPerSec: number | null;
  /** Per-delivery publish-to-receipt latency over all rounds. */
  latency: ReturnType<typeof latencySummary>;
  error?: string;
}

/** Publishes to each fan-out application in turn and times the last receipt. */
export async function measureFanout(session: Session): Promise<FanoutRow[]> {
  const { receiver } = session;
  const { api } = await session.online();
  const rows: FanoutRow[] = [];
  let seq = 0;
  for (const size of SIZES) {
    const times: number[] = [];
    const latencies: number[] = [];
    let error: string | undefined;
    for (let round = 0; round < ROUNDS[size]; round++) {
      await receiver.reset();
      const t = nowMs();
      try {
        await api.publish(`fanout-${size}`, seq++, t);
      } catch (err) {
        error = (err as Error).message;
        break;
      }
      const got = await receiver.waitFor(size, 30_000);
      if (!got.complete) {
        error = `round ${round}: ${got.unique} of ${size} endpoints reached within 30 s`;
        break;
      }
      times.push(got.lastAt - t);
      latencies.push(...(await receiver.latencies()));
    }
    const median = percentile(times, 50);
    rows.push({
      endpoints: size,
      rounds: times.length,
      timeToAllMs: median === null ? null : Math.round(median * 10) / 10,
      deliveriesPerSec: median ? Math.round((size / median) * 1000) : null,
      latency: latencySummary(latencies),
      ...(error ? { error } : {}),
    });
    session.log(`fan-out ${size}: all reached in ${rows.at(-1)!.timeToAllMs} ms (median of ${times.length})`);
  }
  return rows;
}
