import { type Kysely, type Selectable, sql, type Transaction } from 'kysely';
import { idAtTime, newId } from '../../core/ids.js';
import type { Lines } from '../../store/lines.js';
import { type Database, type EndpointTable, STATUS, TRIGGER } from '../../store/schema.js';
import { compileStoredFilter } from '../message/filter-evaluation.js';
import { jsonArrayHas } from '../message/repo.js';
import { isSubscribed, storedMessage, subscriptionOf } from '../message/subscription.js';
import { dueOffset, dueOffsetSql } from './pacing.js';
import type { TaskType } from './schemas.js';

type Db = Kysely<Database> | Transaction<Database>;
type EndpointRow = Selectable<EndpointTable>;

/**
 * What a replay task works on, fixed when it is created: a window of message ids (messages'
 * ids are time-sortable, so a time window is an id range on the indexes the jobs walk) and,
 * for bulk-replay, the filters.
 */
export interface ReplayParams {
  /** The first message id at `since` (inclusive). */
  from: string;
  /** The first message id after `until`, or after the task was created (exclusive). */
  below: string;
  status?: number | null;
  statusCodeClass?: number | null;
  eventTypes?: string[] | null;
  channel?: string | null;
  tag?: string | null;
}

/** The message id window from the API's `since` / `until` (inclusive, milliseconds). */
export function replayWindow(since: number, until: number): Pick<ReplayParams, 'from' | 'below'> {
  return { from: idAtTime('msg', since), below: idAtTime('msg', until + 1) };
}

/** Due times for a batch: from `start`, paced at `rate` per second; null writes them held. */
export type Schedule = { start: number; rate: number } | null;

/** One batch a job found after the cursor. */
export interface Found {
  /** What to send, oldest message first: delivery ids, or message ids for replay-missing. */
  ids: string[];
  /** Candidates examined (matches or not): the task's `processed` grows by this. */
  scanned: number;
  /** The last message id examined: the task's cursor once the batch is written. */
  last: string | null;
}

/** Rows a batch reads at most when a filter applied after the query may leave few matches. */
const SCAN_ROWS = 500;

/**
 * The first `limit` rows (in order) that match, and how far that read: the cursor moves
 * past rows examined, matched or not, and no further, so the next batch starts after them.
 */
function takeMatches<T>(rows: T[], key: (row: T) => string, matches: (row: T) => boolean, limit: number) {
  const taken: T[] = [];
  let examined = 0;
  for (const row of rows) {
    if (taken.length === limit) break;
    examined++;
    if (matches(row)) taken.push(row);
  }
  return { taken, scanned: examined, last: examined > 0 ? key(rows[examined - 1]!) : null };
}

/**
 * A kind of replay. Each walks its candidates in message id order in batches keyed by
 * message id, so a task resumed by another process continues after the last batch written.
 * A dry run and the real run use the same `find`, so the count a dry run gives is what the
 * run sends (if nothing changes meanwhile).
 */
export interface ReplayJob {
  /** Candidates in the window: the progress denominator. */
  count(db: Db, params: ReplayParams, endpoint: EndpointRow): Promise<number>;
  find(
    db: Db,
    params: ReplayParams,
    endpoint: EndpointRow,
    cursor: string | null,
    limit: number,
  ): Promise<Found>;
  /**
   * Queues the found deliveries, a FIFO endpoint's in their keys' lines (`lines`); returns how many
   * were queued.
   */
  apply(
    trx: Transaction<Database>,
    lines: Lines,
    endpoint: EndpointRow,
    ids: string[],
    schedule: Schedule,
    now: number,
  ): Promise<number>;
}

/**
 * The endpoint's deliveries in the window after `cursor`, joined with their messages
 * (expunged payloads are skipped: there is nothing left to send).
 */
function endpointDeliveries(db: Db, params: ReplayParams, endpointId: string, cursor: string | null) {
  const query = db
    .selectFrom('delivery')
    .innerJoin('message', 'message.id', 'delivery.msg_id')
    .where('delivery.endpoint_id', '=', endpointId)
    .where('delivery.msg_id', '>=', params.from)
    .where('delivery.msg_id', '<', params.below)
    .where('message.payload', 'is not', null);
  return cursor === null ? query : query.where('delivery.msg_id', '>', cursor);
}

/**
 * Makes existing deliveries owed again as manual sends with a fresh retry schedule, due
 * times paced by their rank (oldest message first), a FIFO endpoint's back in their keys'
 * lines. `guard` re-checks each row's status at write time, so a row that changed since it
 * was found is left alone.
 */
async function requeue(
  trx: Transaction<Database>,
  lines: Lines,
  endpoint: EndpointRow,
  ids: string[],
  guard: ReturnType<typeof sql>,
  schedule: Schedule,
  now: number,
): Promise<number> {
  const ordering = await lines.lock(trx, endpoint.id);
  const due = schedule
    ? sql`${schedule.start} + ${dueOffsetSql(sql<number>`picked.rn`, schedule.rate)}`
    : sql`NULL`;
  const result = await sql`
    UPDATE delivery SET status = ${STATUS.pending}, attempt_count = 0, trigger_type = ${TRIGGER.manual},
      lease_owner = NULL, due_at = ${due}, next_attempt_at = ${due}, updated_at = ${now}, ordering_key = NULL
    FROM (
      SELECT id, row_number() OVER (ORDER BY msg_id) - 1 AS rn FROM delivery WHERE id IN (${sql.join(ids)})
    ) picked
    WHERE delivery.id = picked.id AND ${guard}`.execute(trx);
  if (ordering === 'fifo') await lines.join(trx, endpoint.id, { ids });
  return Number(result.numAffectedRows ?? 0n);
}

/** `recover`: every failed delivery of the endpoint in the window, re-sent. */
const recover: ReplayJob = {
  async count(db, params, endpoint) {
    const row = await endpointDeliveries(db, params, endpoint.id, null)
      .where('delivery.status', '=', STATUS.fail)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  },
  async find(db, params, endpoint, cursor, limit) {
    const rows = await endpointDeliveries(db, params, endpoint.id, cursor)
      .where('delivery.status', '=', STATUS.fail)
      .select(['delivery.id', 'delivery.msg_id'])
      .orderBy('delivery.msg_id')
      .limit(limit)
      .execute();
    return { ids: rows.map((r) => r.id), scanned: rows.length, last: rows.at(-1)?.msg_id ?? null };
  },
  apply(trx, lines, endpoint, ids, schedule, now) {
    return requeue(trx, lines, endpoint, ids, sql`delivery.status = ${STATUS.fail}`, schedule, now);
  },
};

function bulkCandidates(db: Db, params: ReplayParams, endpointId: string, cursor: string | null) {
  let query = endpointDeliveries(db, params, endpointId, cursor).where(
    'delivery.status',
    '<>',
    STATUS.sending,
  );
  if (params.status != null) query = query.where('delivery.status', '=', params.status);
  if (params.eventTypes?.length) query = query.where('message.event_type', 'in', params.eventTypes);
  if (params.channel) query = query.where(jsonArrayHas('message.channels', params.channel));
  if (params.tag) query = query.where(jsonArrayHas('message.tags', params.tag));
  return query;
}

/** The class of the last attempt's HTTP status per message (0: no answer, or never tried). */
async function lastStatusClasses(db: Db, endpointId: string, msgIds: string[]): Promise<Map<string, number>> {
  const attempts = await db
    .selectFrom('attempt')
    .select(['msg_id', 'id', 'response_status_code'])
    .where('endpoint_id', '=', endpointId)
    .where('msg_id', 'in', msgIds)
    .execute();
  const last = new Map<string, { id: string; code: number }>();
  for (const a of attempts) {
    const seen = last.get(a.msg_id);
    if (!seen || seen.id < a.id) last.set(a.msg_id, { id: a.id, code: a.response_status_code });
  }
  return new Map([...last].map(([msgId, a]) => [msgId, Math.floor(a.code / 100) * 100]));
}

/**
 * `bulk-replay`: the endpoint's deliveries in the window that match the filters, re-sent
 * whatever their status, except those being sent right now (status sending).
 */
const bulkReplay: ReplayJob = {
  async count(db, params, endpoint) {
    const row = await bulkCandidates(db, params, endpoint.id, null)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  },
  async find(db, params, endpoint, cursor, limit) {
    const byClass = params.statusCodeClass != null;
    // The endpoint's payload filter as it is now: a delivery made before it was set may not pass it.
    const filter = compileStoredFilter(endpoint.filter);
    const rows = await bulkCandidates(db, params, endpoint.id, cursor)
      .select(['delivery.id', 'delivery.msg_id'])
      .$if(filter !== null, (q) => q.select(['message.payload', 'message.event_type', 'message.channels']))
      .orderBy('delivery.msg_id')
      .limit(byClass || filter ? Math.max(limit, SCAN_ROWS) : limit)
      .execute();
    const classes =
      byClass && rows.length > 0
        ? await lastStatusClasses(
            db,
            endpoint.id,
            rows.map((r) => r.msg_id),
          )
        : null;
    const { taken, scanned, last } = takeMatches(
      rows,
      (r) => r.msg_id,
      (r) =>
        (classes === null || (classes.get(r.msg_id) ?? 0) === params.statusCodeClass) &&
        (filter === null ||
          filter(
            storedMessage({ payload: r.payload!, event_type: r.event_type!, channels: r.channels ?? null }),
          )),
      limit,
    );
    return { ids: taken.map((r) => r.id), scanned, last };
  },
  apply(trx, lines, endpoint, ids, schedule, now) {
    return requeue(trx, lines, endpoint, ids, sql`delivery.status <> ${STATUS.sending}`, schedule, now);
  },
};

function unsentMessages(db: Db, params: ReplayParams, endpoint: EndpointRow) {
  return db
    .selectFrom('message')
    .where('message.app_id', '=', endpoint.app_id)
    .where('message.id', '>=', params.from)
    .where('message.id', '<', params.below)
    .where('message.payload', 'is not', null)
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('delivery')
            .select('delivery.id')
            .whereRef('delivery.msg_id', '=', 'message.id')
            .where('delivery.endpoint_id', '=', endpoint.id),
        ),
      ),
    );
}

/**
 * `replay-missing`: the application's messages in the window that the endpoint's current
 * filters match and that never had a delivery to it (published before it existed, before
 * it subscribed to their type or channel). A message a disabled endpoint missed has a held
 * delivery already, which enabling the endpoint releases.
 */
const replayMissing: ReplayJob = {
  async count(db, params, endpoint) {
    const row = await unsentMessages(db, params, endpoint)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  },
  async find(db, params, endpoint, cursor, limit) {
    let query = unsentMessages(db, params, endpoint).select([
      'message.id',
      'message.event_type',
      'message.channels',
      'message.payload',
    ]);
    if (cursor !== null) query = query.where('message.id', '>', cursor);
    const rows = await query.orderBy('message.id').limit(Math.max(limit, SCAN_ROWS)).execute();
    const subscription = subscriptionOf(endpoint);
    const { taken, scanned, last } = takeMatches(
      rows,
      (r) => r.id,
      (r) => isSubscribed(subscription, storedMessage(r)),
      limit,
    );
    return { ids: taken.map((r) => r.id), scanned, last };
  },
  async apply(trx, lines, endpoint, ids, schedule, now) {
    const ordering = await lines.lock(trx, endpoint.id);
    const rows = ids.map((msgId, i) => {
      const due = schedule ? schedule.start + dueOffset(i, schedule.rate) : null;
      return {
        id: newId('dlv', now),
        msg_id: msgId,
        endpoint_id: endpoint.id,
        app_id: endpoint.app_id,
        status: STATUS.pending,
        attempt_count: 0,
        due_at: due,
        lease_owner: null,
        trigger_type: TRIGGER.manual,
        next_attempt_at: due,
        created_at: now,
        updated_at: now,
      };
    });
    const result = await trx
      .insertInto('delivery')
      .values(rows)
      // A delivery written meanwhile (a live fan-out) wins; this one is not needed.
      .onConflict((oc) => oc.columns(['msg_id', 'endpoint_id']).doNothing())
      .executeTakeFirst();
    if (ordering === 'fifo') await lines.join(trx, endpoint.id, { msgIds: ids });
    return Number(result.numInsertedOrUpdatedRows ?? 0n);
  },
};

/** The jobs Herald runs, by Svix task type. */
export const REPLAY_JOBS: Partial<Record<TaskType, ReplayJob>> = {
  'endpoint.recover': recover,
  'endpoint.replay': replayMissing,
  'endpoint.bulk-replay': bulkReplay,
};

/** Counts what a job would send, without sending: the dry run of bulk-replay. */
export async function countMatches(
  db: Db,
  job: ReplayJob,
  params: ReplayParams,
  endpoint: EndpointRow,
): Promise<{ count: number; processed: number }> {
  let cursor: string | null = null;
  let count = 0;
  let processed = 0;
  for (;;) {
    const found = await job.find(db, params, endpoint, cursor, 1_000);
    if (found.scanned === 0) return { count, processed };
    count += found.ids.length;
    processed += found.scanned;
    cursor = found.last;
  }
}
