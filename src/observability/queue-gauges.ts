import { sql } from 'kysely';
import { Gauge } from 'prom-client';
import type { HeraldContext } from '../context.js';
import { STATUS } from '../store/schema.js';

/** What one scrape reads from the database; shared by every queue gauge of that scrape. */
export interface QueueSnapshot {
  /** Owed now: due_at has passed (including leases that expired without an outcome). */
  due: number;
  /** Owed later: a retry or a `deliverAt` in the future. */
  scheduled: number;
  /** Leased by a worker whose lease is still running. */
  inFlight: number;
  /** Pending for a disabled endpoint, kept for when it is enabled again. */
  held: number;
  /** Seconds since the oldest due delivery became due; 0 when nothing is overdue. */
  oldestDueAgeSeconds: number;
  /** When the oldest due delivery became due (epoch ms); null when nothing is due. */
  oldestDueAt: number | null;
  /** Disabled endpoints by reason label. */
  disabledEndpoints: Record<DisabledReason, number>;
  /** FIFO ordering keys blocked behind a head that exhausted its retries (issue 22). */
  blockedKeys: number;
}

export type DisabledReason = 'manual' | 'gone' | 'failing' | 'other';
const REASONS: DisabledReason[] = ['manual', 'gone', 'failing', 'other'];

/**
 * The low-cardinality label for an endpoint's `disabled_reason` text, as written by the
 * API (`Disabled by the API.`) and the worker (410 Gone, or failing for the configured period).
 */
function disabledReasonLabel(reason: string | null): DisabledReason {
  if (reason === null || /by the API/i.test(reason)) return 'manual';
  if (/\b410\b|gone/i.test(reason)) return 'gone';
  if (/fail/i.test(reason)) return 'failing';
  return 'other';
}

/** One scrape's numbers, read with four queries that each use an index. */
export async function readQueueSnapshot(ctx: HeraldContext): Promise<QueueSnapshot> {
  const { db } = ctx.store;
  const now = ctx.now();
  // Only owed rows have a due_at (partial index), so these read the backlog, never the
  // history. A leased row's due_at is its lease expiry: a past one means the worker is gone
  // and the row is due again, which is exactly what the oldest-due age must see. The due
  // count and the oldest due time come from the index alone; only rows owed later are read
  // to tell leased from scheduled.
  const due = await db
    .selectFrom('delivery')
    .select([sql<number>`count(*)`.as('count'), sql<number | null>`min(due_at)`.as('oldest')])
    .where('due_at', 'is not', null)
    .where('due_at', '<=', now)
    .executeTakeFirstOrThrow();
  const later = await db
    .selectFrom('delivery')
    .select([
      sql<number>`coalesce(sum(case when lease_owner is null then 1 else 0 end), 0)`.as('scheduled'),
      sql<number>`coalesce(sum(case when lease_owner is null then 0 else 1 end), 0)`.as('inFlight'),
    ])
    .where('due_at', 'is not', null)
    .where('due_at', '>', now)
    .executeTakeFirstOrThrow();

  const disabled = await db
    .selectFrom('endpoint')
    .select(['disabled_reason', sql<number>`count(*)`.as('count')])
    .where('disabled', '=', 1)
    .groupBy('disabled_reason')
    .execute();

  // Held rows are found through the few disabled endpoints (endpoint_id, status index),
  // not by scanning every finished delivery.
  // (A join let SQLite's planner scan the whole delivery table; IN keeps it on the index.)
  const held = await db
    .selectFrom('delivery')
    .select(sql<number>`count(*)`.as('count'))
    .where('endpoint_id', 'in', (eb) => eb.selectFrom('endpoint').select('id').where('disabled', '=', 1))
    .where('status', '=', STATUS.pending)
    .where('due_at', 'is', null)
    .executeTakeFirstOrThrow();

  // A blocked key's head is its one failed row still in a line (the delivery_line index).
  const blocked = await db
    .selectFrom('delivery')
    .select(sql<number>`count(*)`.as('count'))
    .where('ordering_key', 'is not', null)
    .where('status', '=', STATUS.fail)
    .executeTakeFirstOrThrow();

  const disabledEndpoints = Object.fromEntries(REASONS.map((r) => [r, 0])) as Record<DisabledReason, number>;
  for (const row of disabled)
    disabledEndpoints[disabledReasonLabel(row.disabled_reason)] += Number(row.count);
  const oldest = due.oldest === null ? null : Number(due.oldest);
  return {
    due: Number(due.count),
    scheduled: Number(later.scheduled),
    inFlight: Number(later.inFlight),
    held: Number(held.count),
    oldestDueAgeSeconds: oldest === null ? 0 : Math.max(0, (now - oldest) / 1000),
    oldestDueAt: oldest,
    disabledEndpoints,
    blockedKeys: Number(blocked.count),
  };
}

/**
 * Adds the gauges computed from the database when Prometheus scrapes: queue depth by
 * state, the age of the oldest due delivery (the number that catches a stalled worker),
 * disabled endpoints by reason, and whether the database answered. Every API process
 * reports the same database-wide numbers: aggregate them with `max`, not `sum`.
 */
export function registerQueueGauges(ctx: HeraldContext): void {
  const registry = ctx.metrics.registry;
  if (registry.getSingleMetric('herald_queue_deliveries')) return;
  const registers = [registry];
  // prom-client collects every metric of a scrape at once: they share the read in flight.
  let inFlight: Promise<QueueSnapshot | null> | null = null;
  const snapshot = (): Promise<QueueSnapshot | null> => {
    inFlight ??= readQueueSnapshot(ctx)
      .catch((err: unknown) => {
        if (!ctx.store.health.report(err)) ctx.logger.warn({ err }, 'reading queue metrics failed');
        return null;
      })
      .finally(() => {
        inFlight = null;
      });
    return inFlight;
  };

  new Gauge({
    name: 'herald_database_up',
    help: 'Whether the last scrape could read the queue from the database (1) or not (0).',
    registers,
    async collect() {
      this.set((await snapshot()) ? 1 : 0);
    },
  });
  new Gauge({
    name: 'herald_queue_deliveries',
    help: 'Deliveries still owed, by state: due (should be sending now), scheduled (retry or deliverAt later), in_flight (leased by a worker), held (endpoint disabled).',
    labelNames: ['state'],
    registers,
    async collect() {
      const s = await snapshot();
      // A failed read leaves the series out rather than reporting a misleading zero.
      this.reset();
      if (!s) return;
      this.set({ state: 'due' }, s.due);
      this.set({ state: 'scheduled' }, s.scheduled);
      this.set({ state: 'in_flight' }, s.inFlight);
      this.set({ state: 'held' }, s.held);
    },
  });
  new Gauge({
    name: 'herald_queue_oldest_due_age_seconds',
    help: 'How long the oldest due delivery has been waiting to be sent. Grows without bound when no worker is working.',
    registers,
    async collect() {
      const s = await snapshot();
      this.reset();
      if (s) this.set(s.oldestDueAgeSeconds);
    },
  });
  new Gauge({
    name: 'herald_disabled_endpoints',
    help: 'Endpoints currently disabled, by reason (manual, gone = answered 410, failing = failed for the configured period, other).',
    labelNames: ['reason'],
    registers,
    async collect() {
      const s = await snapshot();
      this.reset();
      if (!s) return;
      for (const reason of REASONS) this.set({ reason }, s.disabledEndpoints[reason]);
    },
  });
  new Gauge({
    name: 'herald_ordering_blocked_keys',
    help: 'Ordering keys of FIFO endpoints blocked behind a message that exhausted its retries (fifoOnExhausted: block), until it is recovered or resent.',
    registers,
    async collect() {
      const s = await snapshot();
      this.reset();
      if (s) this.set(s.blockedKeys);
    },
  });
}
