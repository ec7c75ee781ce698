import { type Kysely, sql } from 'kysely';
import { idAtTime } from '../../core/ids.js';
import { notFound } from '../../errors.js';
import { type Database, DELIVERY_STATE_TEXT, STATUS } from '../../store/schema.js';
import { iso } from '../common/json.js';
import type { EndpointRow } from '../endpoint/repo.js';
import { type OrderingStats, orderingStats } from './ordering.js';
import { type StatsWindow, WINDOWS } from './schemas.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const PERCENTILES = [0.5, 0.95, 0.99] as const;

/** Attempt figures over a recent window. */
export interface WindowStats {
  attempts: number;
  /** Successful attempts / attempts; null without attempts. */
  successRatio: number | null;
  /** Nearest-rank percentiles of attempt durations, in ms; null without attempts. */
  latencyMs: { p50: number | null; p95: number | null; p99: number | null };
}

/** Svix's EndpointStats (delivery counts by status) plus Herald's health figures. */
export interface EndpointStats {
  success: number;
  pending: number;
  sending: number;
  fail: number;
  canceled: number;
  consecutiveFailures: number;
  failingSince: string | null;
  lastSuccessAt: string | null;
  lastFailureAt: string | null;
  /** How the workers deliver to it now: `normal`, `slowed` (fewer requests at once) or `circuit_open` (one probe at a time). */
  deliveryState: (typeof DELIVERY_STATE_TEXT)[number];
  deliveryStateSince: string | null;
  lastHour: WindowStats;
  lastDay: WindowStats;
  ordering: OrderingStats;
}

/**
 * Counts the endpoint's deliveries by status, as Svix does (one per message sent to the
 * endpoint, whatever the number of attempts), for messages created in [since, until].
 * Message ids sort by creation time, so the range is a walk of the
 * (endpoint_id, status, msg_id) index.
 */
async function deliveryCounts(db: Kysely<Database>, endpointId: string, since: number, until: number) {
  const rows = await db
    .selectFrom('delivery')
    .select(['status', sql<number>`count(*)`.as('count')])
    .where('endpoint_id', '=', endpointId)
    .where('msg_id', '>=', idAtTime('msg', since))
    .where('msg_id', '<', idAtTime('msg', until + 1))
    .groupBy('status')
    .execute();
  const byStatus = new Map(rows.map((r) => [Number(r.status), Number(r.count)]));
  return {
    success: byStatus.get(STATUS.success) ?? 0,
    pending: byStatus.get(STATUS.pending) ?? 0,
    sending: byStatus.get(STATUS.sending) ?? 0,
    fail: byStatus.get(STATUS.fail) ?? 0,
    canceled: byStatus.get(STATUS.canceled) ?? 0,
  };
}

/**
 * Success ratio and latency percentiles of the attempts made in the last `windowMs`.
 * Attempt ids are minted when the attempt ends, so the window is a range of the
 * (endpoint_id, id) index. Two portable queries: counts, then the three ranks picked from
 * the window sorted by duration (SQLite has no percentile function).
 */
async function windowStats(
  db: Kysely<Database>,
  endpointId: string,
  now: number,
  windowMs: number,
): Promise<WindowStats> {
  const from = idAtTime('atmpt', now - windowMs);
  const totals = await db
    .selectFrom('attempt')
    .select([
      sql<number>`count(*)`.as('attempts'),
      sql<number>`coalesce(sum(case when status = ${STATUS.success} then 1 else 0 end), 0)`.as('succeeded'),
    ])
    .where('endpoint_id', '=', endpointId)
    .where('id', '>=', from)
    .executeTakeFirstOrThrow();
  const attempts = Number(totals.attempts);
  if (attempts === 0)
    return { attempts: 0, successRatio: null, latencyMs: { p50: null, p95: null, p99: null } };

  const ranks = PERCENTILES.map((p) => Math.max(1, Math.ceil(p * attempts)));
  const ranked = db
    .selectFrom('attempt')
    .select(['duration_ms', sql<number>`row_number() over (order by duration_ms)`.as('rank')])
    .where('endpoint_id', '=', endpointId)
    .where('id', '>=', from)
    .as('ranked');
  const picked = await db
    .selectFrom(ranked)
    .select(['ranked.duration_ms', 'ranked.rank'])
    .where('ranked.rank', 'in', [...new Set(ranks)])
    .execute();
  const at = new Map(picked.map((r) => [Number(r.rank), Number(r.duration_ms)]));
  const [p50, p95, p99] = ranks.map((rank) => at.get(rank) ?? null);
  return {
    attempts,
    successRatio: Number(totals.succeeded) / attempts,
    latencyMs: { p50: p50 ?? null, p95: p95 ?? null, p99: p99 ?? null },
  };
}

/**
 * Everything `GET …/endpoint/{id}/stats` answers, for one endpoint. Read in one
 * repeatable-read transaction, so the counts and the failure streak describe the same
 * moment even while the worker is writing outcomes.
 */
export async function endpointStats(
  db: Kysely<Database>,
  endpoint: Pick<EndpointRow, 'id'>,
  range: { since: number; until: number },
  now: number,
): Promise<EndpointStats> {
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(async (trx) => {
      const health = await trx
        .selectFrom('endpoint')
        .select([
          'consecutive_failures',
          'first_failure_at',
          'last_success_at',
          'last_failure_at',
          'delivery_state',
          'delivery_state_at',
        ])
        .where('id', '=', endpoint.id)
        .executeTakeFirst();
      // Deleted since the request resolved it.
      if (!health) throw notFound('Endpoint not found.');
      const counts = await deliveryCounts(trx, endpoint.id, range.since, range.until);
      const lastHour = await windowStats(trx, endpoint.id, now, HOUR_MS);
      const lastDay = await windowStats(trx, endpoint.id, now, DAY_MS);
      const ordering = await orderingStats(trx, endpoint.id);
      return {
        ...counts,
        consecutiveFailures: Number(health.consecutive_failures),
        failingSince: iso(health.first_failure_at),
        lastSuccessAt: iso(health.last_success_at),
        lastFailureAt: iso(health.last_failure_at),
        deliveryState: DELIVERY_STATE_TEXT[Number(health.delivery_state)] ?? 'normal',
        deliveryStateSince: iso(health.delivery_state_at),
        lastHour,
        lastDay,
        ordering,
      };
    });
}

export interface AttemptBucket {
  start: string | null;
  succeeded: number;
  failed: number;
}

/**
 * Attempts per bucket over the window ending now, of every endpoint or of one. Attempt ids
 * are time-ordered, so the window is a range of the primary key, or of the
 * (endpoint_id, id) index for one endpoint: it costs the window's attempts only.
 */
export async function attemptBuckets(
  db: Kysely<Database>,
  window: StatsWindow,
  now: number,
  endpointId?: string,
): Promise<AttemptBucket[]> {
  const { bucketMs, buckets: count } = WINDOWS[window];
  const first = Math.floor(now / bucketMs) * bucketMs - (count - 1) * bucketMs;
  const bucketOf = sql<number>`created_at / ${sql.lit(bucketMs)}`;
  let query = db
    .selectFrom('attempt')
    .select([
      bucketOf.as('bucket'),
      sql<number>`sum(case when status = ${sql.lit(STATUS.success)} then 1 else 0 end)`.as('succeeded'),
      sql<number>`sum(case when status = ${sql.lit(STATUS.success)} then 0 else 1 end)`.as('failed'),
    ])
    .where('id', '>=', idAtTime('atmpt', first))
    .where('created_at', '>=', first);
  if (endpointId !== undefined) query = query.where('endpoint_id', '=', endpointId);
  const rows = await query.groupBy(bucketOf).execute();
  const byBucket = new Map(rows.map((r) => [Number(r.bucket), r]));
  return Array.from({ length: count }, (_, i) => {
    const start = first + i * bucketMs;
    const row = byBucket.get(start / bucketMs);
    return { start: iso(start), succeeded: Number(row?.succeeded ?? 0), failed: Number(row?.failed ?? 0) };
  });
}

/** An endpoint disabled recently, for the operator overview. */
export function recentlyDisabledEndpoints(db: Kysely<Database>, since: number, limit: number) {
  return db
    .selectFrom('endpoint')
    .select(['id', 'app_id', 'url', 'disabled_at', 'disabled_reason'])
    .where('disabled', '=', 1)
    .where('disabled_at', '>=', since)
    .orderBy('disabled_at', 'desc')
    .limit(limit)
    .execute();
}
