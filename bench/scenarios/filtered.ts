/**
 * What payload filters cost (issue 21), each measured against the same work without them, in
 * the same run, rounds alternating so drift hits both sides alike:
 * - Fan-out, filtered: one message to 1,000 endpoints whose filters (3–5 clauses each) all pass
 *   it, against 1,000 endpoints without filters: the same deliveries, so the difference is the
 *   filters' evaluation. Timed as the publish (the outbox's fan-out, where filters run) and to
 *   the last endpoint's receipt.
 * - Live, filtered: Live's application with 100 more endpoints whose filters turn every message
 *   down after reading all their clauses (the costliest way to say no), against Live itself, and
 *   against the same 100 endpoints turned down by their event types instead: the first ratio is
 *   what 100 more endpoints cost in all, the second what their payload filters cost.
 */
import { cpuMsPerThousand, cpuSeconds } from '../children.js';
import { nowMs } from '../payload.js';
import type { AppSpec, Session } from '../session.js';
import { percentile } from '../stats.js';
import { LIVE_APP, type LiveResult, measureLive } from './live.js';

const FANOUT_ENDPOINTS = 1_000;
const FILTERED_OUT_ENDPOINTS = 100;
/** Fan-out rounds per side. */
const FANOUT_ROUNDS = 10;
/** Pause before each fan-out publish. */
const SETTLE_MS = 500;

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
  ...(filtered ? { endpointFields: (i: number) => ({ filter: benchFilter(i) }) } : {}),
});

/** The two applications of Fan-out, filtered. */
export const FILTERED_FANOUT_APPS: AppSpec[] = [
  fanoutApp('fanout-unfiltered-1000', false),
  fanoutApp('fanout-filtered-1000', true),
];

const liveBeside = (uid: string, turnDown: (i: number) => Record<string, unknown>): AppSpec => ({
  uid,
  endpoints: [
    `/ok/${uid}`,
    ...Array.from({ length: FILTERED_OUT_ENDPOINTS }, (_, i) => `/ok/${uid}-out/${i}`),
  ],
  endpointFields: (i) => (i === 0 ? {} : turnDown(i)),
});

/** Live's endpoint, plus 100 whose payload filters turn every bench message down. */
export const LIVE_FILTERED_APP = liveBeside('live-filtered', (i) => ({ filter: benchFilter(i, true) }));
/** Live's endpoint, plus 100 subscribed to other event types (no payload filter). */
export const LIVE_TYPED_APP = liveBeside('live-typed', () => ({ eventTypes: ['refund.*'] }));

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
      // The previous round's 1,000 outcomes are being written: let them land, so both sides
      // publish into a quiet database (on SQLite they would otherwise wait for the one writer).
      await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
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

/** A Live run and the CPU Herald's processes (API and worker) spent per 1,000 messages of it. */
interface LiveRound extends LiveResult {
  cpuMsPer1k: number | null;
}

export interface LiveFilteredResult {
  filteredOutEndpoints: number;
  /** The median round of each, by published/s: Live, beside 100 turned down by type, by filter. */
  unfiltered: LiveRound;
  typed: LiveRound;
  filtered: LiveRound;
  /** filtered ÷ Live published/s: the target is ≥ 0.9. */
  publishRatio: number | null;
  /** filtered ÷ typed published/s: the payload filters alone. */
  publishRatioTyped: number | null;
  /**
   * filtered ÷ Live, and filtered ÷ typed, CPU per message (medians of the rounds): what it
   * costs whatever else the machine is doing, which moves published/s by more than 10% run to run.
   */
  cpuRatio: number | null;
  cpuRatioTyped: number | null;
}

async function liveRound(session: Session, app: AppSpec): Promise<LiveRound> {
  const { processes } = await session.online();
  const cpu = () => processes.reduce((sum, p) => sum + (cpuSeconds(p.pid) ?? Number.NaN), 0);
  const before = cpu();
  const live = await measureLive(session, app);
  const after = cpu();
  return {
    ...live,
    cpuMsPer1k: Number.isNaN(before + after) ? null : cpuMsPerThousand(before, after, live.published),
  };
}

/**
 * Live, Live beside 100 endpoints turned down by event type, and beside 100 turned down by
 * payload filter, `rounds` times in turn.
 */
export async function measureLiveFiltered(session: Session): Promise<LiveFilteredResult> {
  const plain: LiveRound[] = [];
  const typed: LiveRound[] = [];
  const filtered: LiveRound[] = [];
  for (let round = 0; round < session.options.rounds; round++) {
    plain.push(await liveRound(session, LIVE_APP));
    typed.push(await liveRound(session, LIVE_TYPED_APP));
    filtered.push(await liveRound(session, LIVE_FILTERED_APP));
  }
  const middle = (runs: LiveRound[]) =>
    [...runs].sort((a, b) => a.publishedPerSec - b.publishedPerSec)[Math.floor(runs.length / 2)]!;
  const cpu = (runs: LiveRound[]) =>
    median(runs.map((r) => r.cpuMsPer1k).filter((c): c is number => c !== null));
  const [p, t, f] = [middle(plain), middle(typed), middle(filtered)];
  const result: LiveFilteredResult = {
    filteredOutEndpoints: FILTERED_OUT_ENDPOINTS,
    unfiltered: p,
    typed: t,
    filtered: f,
    publishRatio: ratio(f.publishedPerSec, p.publishedPerSec),
    publishRatioTyped: ratio(f.publishedPerSec, t.publishedPerSec),
    cpuRatio: ratio(cpu(filtered), cpu(plain)),
    cpuRatioTyped: ratio(cpu(filtered), cpu(typed)),
  };
  session.log(
    `live filtered: published/s ${result.publishRatio}× Live, ${result.publishRatioTyped}× turned down by type; ` +
      `CPU per message ${result.cpuRatio}× Live, ${result.cpuRatioTyped}× turned down by type`,
  );
  return result;
}
