/**
 * Isolation: every message goes to 17 healthy endpoints. Healthy-only run: an application
 * with just those 17. Mixed run: an application with the same 17 plus 2 endpoints answering
 * 503 (10% of its endpoints) and 1 hanging until the 2 s timeout (5%), both retried every
 * second. Both runs publish at the same rate on a fixed schedule, so the API takes the same
 * load and the healthy endpoints get the same work: a change in their latency is what the
 * bad endpoints cost them inside the delivery engine. Each run follows a one-second warm-up
 * at the same rate (not measured), so the mixed run meets failing endpoints already retrying.
 */
import type { AppSpec, Session } from '../session.js';
import { latencySummary, percentile, ratio } from '../stats.js';

const HEALTHY = 17;
const FAILING = 2;
const HANGING = 1;
const RUN_MS = 5_000;
/**
 * Published to each application before its measured run: the first second opens the
 * receiver connections and fills the caches of 17–20 new endpoints, a one-off cost that
 * otherwise lands in one run's p99 or the other's at random.
 */
const WARM_UP_MS = 1_000;

const healthy = (run: string) => Array.from({ length: HEALTHY }, (_, i) => `/ok/isolation-${run}-${i}`);

/** The healthy-only application and the mixed one (same 17 healthy paths, plus 3 bad). */
export const ISOLATION_APPS: AppSpec[] = [
  { uid: 'isolation-healthy', endpoints: healthy('healthy') },
  {
    uid: 'isolation-mixed',
    endpoints: [
      ...Array.from({ length: FAILING }, (_, i) => `/fail/isolation-${i}`),
      ...Array.from({ length: HANGING }, (_, i) => `/hang/isolation-${i}`),
      ...healthy('mixed'),
    ],
  },
];

/**
 * Attempts each message costs the worker in the mixed run: one per endpoint, plus a retry a
 * second for each failing endpoint through the warm-up and the run (the bench's schedule is
 * `1,1,…`). The rate is chosen from this, so the mixed run tests isolation, not capacity.
 */
export const ISOLATION_ATTEMPTS_PER_MESSAGE =
  HEALTHY + HANGING + FAILING * (1 + Math.ceil((WARM_UP_MS + RUN_MS) / 1_000));

/** One of the two runs, healthy endpoints' view. */
export interface IsolationRun {
  messages: number;
  /** Deliveries to healthy endpoints expected and received. */
  healthyDeliveries: number;
  delivered: number;
  latency: ReturnType<typeof latencySummary> & { p95: number | null };
}

/** Both runs and how the healthy endpoints' p99 moved. */
export interface IsolationResult {
  /** Messages per second published in each run (the same in both). */
  ratePerSec: number;
  healthyOnly: IsolationRun;
  mixed: IsolationRun & { failedRequests: number };
  /** Mixed p99 over healthy-only p99 of the healthy endpoints. */
  p99Ratio: number | null;
  error?: string;
}

/** Runs healthy-only, then mixed, at `ratePerSec` messages per second each. */
export async function measureIsolation(session: Session, ratePerSec: number): Promise<IsolationResult> {
  const { receiver } = session;
  const { api } = await session.online();
  const errors: string[] = [];
  const rate = Math.max(1, Math.round(ratePerSec));

  const run = async (app: string): Promise<IsolationRun & { failedRequests: number }> => {
    await receiver.reset();
    const warm = await api.publishOnSchedule([app], rate, WARM_UP_MS);
    await receiver.waitFor(warm.published * HEALTHY, 30_000);
    await receiver.reset();
    const sent = await api.publishOnSchedule([app], rate, RUN_MS);
    if (sent.firstError) errors.push(sent.firstError);
    const healthyDeliveries = sent.published * HEALTHY;
    const got = await receiver.waitFor(healthyDeliveries, 60_000);
    if (!got.complete)
      errors.push(`${app}: ${got.unique} of ${healthyDeliveries} healthy deliveries within 60 s`);
    const latencies = await receiver.latencies();
    const p95 = percentile(latencies, 95);
    return {
      messages: sent.published,
      healthyDeliveries,
      delivered: got.unique,
      latency: { ...latencySummary(latencies), p95: p95 === null ? null : Math.round(p95 * 10) / 10 },
      failedRequests: (await receiver.stats()).failed ?? 0,
    };
  };

  session.log(`isolation: ${rate} messages/s to ${HEALTHY} healthy endpoints`);
  const { failedRequests: _, ...healthyOnly } = await run('isolation-healthy');
  session.log(`isolation: ${rate} messages/s to the same plus ${FAILING} failing and ${HANGING} hanging`);
  const mixed = await run('isolation-mixed');
  const p99Ratio = ratio(mixed.latency.p99, healthyOnly.latency.p99);
  session.log(`isolation: healthy p99 ${healthyOnly.latency.p99} ms alone, ${mixed.latency.p99} ms mixed`);
  return {
    ratePerSec: rate,
    healthyOnly,
    mixed,
    p99Ratio,
    ...(errors.length ? { error: errors.join('; ') } : {}),
  };
}
