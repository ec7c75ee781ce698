import { type Kysely, type RawBuilder, sql } from 'kysely';
import { type Database, STATUS } from '../../store/schema.js';

/**
 * How replays and released backlogs are paced so they never flood a receiver nor starve
 * its live traffic.
 *
 * Replayed deliveries are ordinary delivery rows, so they go through the worker's
 * per-endpoint concurrency and `throttleRate` like live ones. What they must not do is
 * become due all at once: workers claim due rows oldest `due_at` first, so 10,000 rows due
 * now would sit ahead of every live message published a moment later, in the claim order
 * and in the endpoint's lane. So a replay task writes its rows just in time, a fifth of a
 * second's worth at once with due times spread at the replay rate, oldest message first,
 * and only while the endpoint has little owed and unfinished (a closed loop: when the
 * workers fall behind the nominal rate, as on a busy machine, the replay slows to what
 * they deliver). A live message then waits behind at most `outstandingLimit` replay rows.
 */

/** Replays without a `throttleRate` go at this many deliveries per second per endpoint. */
export const DEFAULT_REPLAY_RATE = 100;
/**
 * With a `throttleRate`, replays use this share of it: the rest is headroom for live
 * traffic, which the worker's rate limit would otherwise queue behind the replay.
 */
export const REPLAY_SHARE_OF_THROTTLE = 0.75;
/**
 * Due times are rounded down to ticks: the worker wakes once a tick for a replay rather
 * than once a row, and its token bucket smooths the requests within the tick.
 */
export const TICK_MS = 100;
/** A replay task schedules this far ahead of the clock at most (a batch's span). */
export const SCHEDULE_AHEAD_MS = 200;

/** Deliveries per second (a whole number, at least 1) a replay to this endpoint may use. */
export function replayRate(throttleRate: number | null): number {
  if (!throttleRate) return DEFAULT_REPLAY_RATE;
  return Math.max(1, Math.floor(throttleRate * REPLAY_SHARE_OF_THROTTLE));
}

/** Milliseconds after the start of a paced run at which its `index`-th row (from 0) is due. */
export function dueOffset(index: number, rate: number): number {
  return Math.floor(Math.floor((index * 1000) / rate) / TICK_MS) * TICK_MS;
}

/**
 * The same as `dueOffset`, in SQL over an integer expression (a `row_number()` − 1):
 * both backends divide integers by integers as whole numbers.
 */
export function dueOffsetSql(index: RawBuilder<number>, rate: number): RawBuilder<number> {
  return sql<number>`((${index} * 1000 / ${rate}) / ${TICK_MS}) * ${TICK_MS}`;
}

/** Where a run that schedules `count` rows from `start` ends: the next run starts there. */
export function runEnd(start: number, count: number, rate: number): number {
  return start + Math.floor((count * 1000) / rate);
}

/**
 * Rows written in one statement at most: well under both backends' limits on bound
 * parameters (an insert binds twelve per row), whatever the rate.
 */
export const MAX_BATCH_ROWS = 500;

/** What a replay may do now: wait `waitMs`, or schedule up to `rows` deliveries. */
export type ReplayBudget = { waitMs: number; rows: number };

/**
 * How much a replay to this endpoint may schedule now. Nothing until the clock reaches the
 * end of what it scheduled last (`frontier`); then, at most a `SCHEDULE_AHEAD_MS` span at
 * `rate`, less what the endpoint has outstanding: deliveries due and not yet claimed plus
 * those claimed and not yet answered, live ones included. When that reaches
 * `outstandingLimit`, its workers are behind and the replay waits.
 */
export async function replayBudget(
  db: Kysely<Database>,
  endpointId: string,
  rate: number,
  frontier: number,
  now: number,
): Promise<ReplayBudget> {
  if (frontier > now) return { waitMs: frontier - now, rows: 0 };
  const limit = outstandingLimit(rate);
  // Counting stops at `limit` rows, so this stays cheap however large the backlog is.
  const outstanding = await db
    .selectFrom((eb) =>
      eb
        .selectFrom('delivery')
        .select('id')
        .where('endpoint_id', '=', endpointId)
        .where((w) =>
          w.or([
            w.and([w('status', '=', STATUS.pending), w('due_at', '<=', now)]),
            w('status', '=', STATUS.sending),
          ]),
        )
        .limit(limit)
        .as('outstanding'),
    )
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  const room = limit - Number(outstanding.n);
  if (room <= 0) return { waitMs: TICK_MS, rows: 0 };
  const span = Math.max(1, Math.ceil((rate * SCHEDULE_AHEAD_MS) / 1000));
  return { waitMs: 0, rows: Math.min(room, span, MAX_BATCH_ROWS) };
}

/**
 * Deliveries owed now and unfinished to one endpoint above which a replay waits: a quarter
 * second of replay, and never fewer than a batch can fill.
 */
export function outstandingLimit(rate: number): number {
  return Math.max(20, Math.ceil(rate / 4), Math.ceil((rate * SCHEDULE_AHEAD_MS) / 1000));
}
