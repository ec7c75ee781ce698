import { type Kysely, sql } from 'kysely';
import { type Database, STATUS } from '../../store/schema.js';
import { iso } from '../common/json.js';

/** Herald: a FIFO endpoint's lines (issue 22): keys waiting, keys blocked, the oldest blocked message. */
export interface OrderingStats {
  /** Ordering keys with a message owed (pending, or being sent). */
  waitingKeys: number;
  /** Ordering keys whose oldest message exhausted its retries and holds the rest (`fifoOnExhausted: block`). */
  blockedKeys: number;
  /** The earliest published of the blocked heads: recover or resend it to resume its key. */
  oldestBlocked: { msgId: string; orderingKey: string | null; blockedSince: string | null } | null;
}

/** Reads an endpoint's lines from the `delivery_line` index: its rows are the ones in a line only. */
export async function orderingStats(db: Kysely<Database>, endpointId: string): Promise<OrderingStats> {
  const inLine = db
    .selectFrom('delivery')
    .where('endpoint_id', '=', endpointId)
    .where('ordering_key', 'is not', null);
  const counts = await inLine
    .select([
      sql<number>`count(distinct case when status <> ${STATUS.fail} then ordering_key end)`.as('waiting'),
      sql<number>`count(case when status = ${STATUS.fail} then 1 end)`.as('blocked'),
    ])
    .executeTakeFirstOrThrow();
  const oldest = await inLine
    .select(['msg_id', 'ordering_key', 'updated_at'])
    .where('status', '=', STATUS.fail)
    .orderBy('seq')
    .limit(1)
    .executeTakeFirst();
  return {
    waitingKeys: Number(counts.waiting),
    blockedKeys: Number(counts.blocked),
    oldestBlocked: oldest
      ? {
          msgId: oldest.msg_id,
          orderingKey: oldest.ordering_key === '' ? null : oldest.ordering_key,
          blockedSince: iso(oldest.updated_at),
        }
      : null,
  };
}
