import { type Kysely, sql } from 'kysely';
import type { Database, EndpointOrdering } from '../../store/schema.js';

/**
 * A delivery's line key (issue 22), as SQL on a row of `delivery`: its message's ordering key ('' for
 * none) when the endpoint is FIFO, NULL (in no line) when not. For the writes that put a delivery
 * back in the queue (resend, recover, replays, a switch to FIFO), so it joins its key's line where
 * its publish order puts it.
 */
export function lineKeySql(ordering: EndpointOrdering) {
  return ordering === 'fifo'
    ? sql<string | null>`(SELECT coalesce(m.ordering_key, '') FROM message m WHERE m.id = delivery.msg_id)`
    : sql<string | null>`NULL`;
}

/** A delivery's publish order, its message's `seq`, as SQL on a row of `delivery` (0 before 0009). */
export const messageSeqSql = sql<number>`(SELECT coalesce(m.seq, 0) FROM message m WHERE m.id = delivery.msg_id)`;

/**
 * Puts the deliveries of `msgIds` to a FIFO endpoint in their keys' lines, at their publish order:
 * for deliveries written anew outside publishing (a resend, replay-missing), whose insert cannot
 * read their message.
 */
export async function joinLines(
  db: Kysely<Database>,
  endpoint: { id: string; ordering: EndpointOrdering },
  msgIds: string[],
): Promise<void> {
  if (endpoint.ordering !== 'fifo' || msgIds.length === 0) return;
  await db
    .updateTable('delivery')
    .set({ ordering_key: lineKeySql('fifo'), seq: messageSeqSql })
    .where('endpoint_id', '=', endpoint.id)
    .where('msg_id', 'in', msgIds)
    .execute();
}
