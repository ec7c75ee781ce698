/**
 * What payload filters cost (issue 21), each measured against the same work without them, in
 * the same run, rounds alternating so drift hits both sides alike:
 * - Fan-out, filtered: one message to 1,000 endpoints whose filters (3–5 clauses each) all pass
 *   it, against 1,000 endpoints without filters: the same deliveries, so the difference is the
 *   filters' evaluation. Timed as the publish (the outbox's fan-out, where filters run) and to
 *   the last endpoint's receipt.
 * - Live, filtered: Live's application with 100 more endpoints whose filters turn every message
 *   down after reading all their clauses (the costliest way to say no), against Live itself.
 */
import { nowMs } from '../payload.js';
import type { AppSpec, Session } from '../session.js';
import { percentile } from '../stats.js';
import { LIVE_APP, type LiveResult, measureLive } from './live.js';

const FANOUT_ENDPOINTS = 1_000;
const FILTERED_OUT_ENDPOINTS = 100;
/** Fan-out rounds per side. */
const FANOUT_ROUNDS = 6;

/**
 * Endpoint `i`'s filter: 3, 4 or 5 clauses on the bench payload (`benchPayload`), all passed
 * by every bench message; with `failLast`, one more clause at the end that none passes.
 */
export function benchFilter(i: number, failLast = false): Record<string, unknown> {
  const filter: Record<string, unknown> = {
    'data.currency': 'eur',
    'data.amount': { $gte: 1_000 },
    type: { $startsWith: 'invoice.' },
  };
  if (i % 3 === 1) filter['data.customer'] = { $in: ['cus_bench', 'cus_other'] };
  if (i % 3 === 2) filter.$or = [{ 'data.id': { $exists: true } }, { $eventType: 'invoice.voided' }];
  if (failLast) filter['data.note'] = { $endsWith: 'never' };
  return filter;
}

const fanoutApp = (uid: string, filtered: boolean): AppSpec => ({
  uid,
  endpoints: Array.from({ length: FANOUT_ENDPOINTS }, (_, i) => `/ok/${uid}/${i}`),
  ...(filtered ? { filter: (i: number) => benchFilter(i) } : {}),
});

/** The two applications of Fan-out, filtered. */
export const FILTERED_FANOUT_APPS: AppSpec[] = [
  fanoutApp('fanout-unfiltered-1000', false),
  fanoutApp('fanout-filtered-1000', true),
];

/** Live's endpoint, plus 100 whose filters turn every bench message down. */
export const LIVE_FILTERED_APP: AppSpec = {
  uid: 'live-filtered',
  endpoints: [
    '/ok/live-filtered',
    ...Array.from({ length: FILTERED_OUT_ENDPOINTS }, (_, i) => `/ok/live-filtered-out/${i}`),
  ],
  filter: (i) => (i === 0 ? null : benchFilter(i, true)),
};

/** One side of Fan-out, filtered: medians over its rounds. */
export interface FanoutSide {
  rounds: number;
  /** Median time to publish (202: the message and its 1,000 deliveries stored), ms. */
  publishMs: number | null;
  /** Median time from publish to the last endpoint's receipt, ms. */
  timeToAllMs: number | null;
}

export interface FilteredFanoutResult {
  endpoints: number;
  unfiltered: FanoutSide;
  filtered: FanoutSide;
  /** filtered ÷ unfiltered: the target is ≤ 1.1. */
  publishRatio: number | null;
  timeToAllRatio: number | null;
  error?: string;
}

const ratio = (a: number | null, b: number | null) =>
  a !== null && b ? Math.round((a / b) * 100) / 100 : null;
const median = (values: number[]) => {
  const m = percentile(values, 50);
  return m === null ? null : Math.round(m * 10) / 10;
};

/** Fan-out to 1,000 endpoints with and without filters, rounds alternating. */
export async function measureFilteredFanout(session: Session): Promise<FilteredFanoutResult> {
  const { receiver } = session;
  const { api } = await session.online();
  const [plain, filtered] = FILTERED_FANOUT_APPS.map((app) => ({
    uid: app.uid,
    publishMs: [] as number[],
    timeToAllMs: [] as number[],
  }));
  let seq = 0;
  let error: string | undefined;
  // One untimed round each first: the first fan-out to an application compiles its filters.
  for (let round = -1; round < FANOUT_ROUNDS && !error; round++) {
    for (const side of [plain!, filtered!]) {
      await receiver.reset();
      const t = nowMs();
      await api.publish(side.uid, seq++, t);
      const published = nowMs();
      const got = await receiver.waitFor(FANOUT_ENDPOINTS, 30_000);
      if (!got.complete) {
        error = `${side.uid}: ${got.unique} of ${FANOUT_ENDPOINTS} endpoints reached within 30 s`;
        break;
      }
      if (round < 0) continue;
      side.publishMs.push(published - t);
      side.timeToAllMs.push(got.lastAt - t);
    }
  }
  const summary = (side: typeof plain): FanoutSide => ({
    rounds: side!.publishMs.length,
    publishMs: median(side!.publishMs),
    timeToAllMs: median(side!.timeToAllMs),
  });
  const result: FilteredFanoutResult = {
    endpoints: FANOUT_ENDPOINTS,
    unfiltered: summary(plain),
    filtered: summary(filtered),
    publishRatio: null,
    timeToAllRatio: null,
    ...(error ? { error } : {}),
  };
  result.publishRatio = ratio(result.filtered.publishMs, result.unfiltered.publishMs);
  result.timeToAllRatio = ratio(result.filtered.timeToAllMs, result.unfiltered.timeToAllMs);
  session.log(
    `fan-out filtered: publish ${result.filtered.publishMs} vs ${result.unfiltered.publishMs} ms (${result.publishRatio}×), ` +
      `last receipt ${result.filtered.timeToAllMs} vs ${result.unfiltered.timeToAllMs} ms (${result.timeToAllRatio}×)`,
  );
  return result;
}

export interface LiveFilteredResult {
  filteredOutEndpoints: number;
  /** The median round of each side, by published/s. */
  unfiltered: LiveResult;
  filtered: LiveResult;
  /** filtered ÷ unfiltered published/s: the target is ≥ 0.9. */
  publishRatio: number | null;
}

/** Live against Live with 100 filtered-out endpoints beside its own, `rounds` pairs alternating. */
export async function measureLiveFiltered(session: Session): Promise<LiveFilteredResult> {
  const plain: LiveResult[] = [];
  const filtered: LiveResult[] = [];
  for (let round = 0; round < session.options.rounds; round++) {
    plain.push(await measureLive(session, LIVE_APP));
    filtered.push(await measureLive(session, LIVE_FILTERED_APP));
  }
  const middle = (runs: LiveResult[]) =>
    [...runs].sort((a, b) => a.publishedPerSec - b.publishedPerSec)[Math.floor(runs.length / 2)]!;
  const result: LiveFilteredResult = {
    filteredOutEndpoints: FILTERED_OUT_ENDPOINTS,
    unfiltered: middle(plain),
    filtered: middle(filtered),
    publishRatio: null,
  };
  result.publishRatio = ratio(result.filtered.publishedPerSec, result.unfiltered.publishedPerSec);
  session.log(`live filtered: ${result.publishRatio}× the published/s of Live`);
  return result;
}
