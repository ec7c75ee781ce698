import type { Kysely, Updateable } from 'kysely';
import type { HeraldContext } from '../../context.js';
import type { Database, EndpointTable } from '../../store/schema.js';

/**
 * Writes an endpoint's changed columns and, when its `ordering` changes, moves what it is still
 * owed into or out of the lines (`store.lines`), in the same transaction:
 * - to "fifo": every delivery owed (pending, held or in flight) joins its key's line in publish
 *   order; one in flight stays ahead of its key, whose later messages wait for it;
 * - to "none": every line is dissolved: owed deliveries go out as they come, and a blocked key's
 *   failed head stays failed (recover it like any failed delivery).
 * It locks only this endpoint's rows and line writes: publishes (to it too) and every other
 * endpoint's claims go on meanwhile. A publish that read the old setting may commit after the change, so the move is
 * run once more when every such publish has ended (`Lines.settle`: on PostgreSQL; SQLite has one
 * writer). Until then such a delivery waits on the wrong side of the lines, where no claim takes it
 * (a FIFO endpoint's claim reads only its lines; an unordered one's leaves rows in a line alone).
 */
export async function writeEndpoint(
  ctx: HeraldContext,
  endpointId: string,
  changes: Updateable<EndpointTable>,
): Promise<void> {
  const { db, lines } = ctx.store;
  const update = (trx: Kysely<Database>) =>
    trx.updateTable('endpoint').set(changes).where('id', '=', endpointId).execute();
  const to = changes.ordering;
  if (to === undefined) {
    await update(db);
    return;
  }
  const switched = await db.transaction().execute(async (trx) => {
    const before = await lines.lock(trx, endpointId);
    const moving = before !== undefined && before !== to;
    if (moving) await lines.move(trx, endpointId, to);
    // Last: the row lock it takes (which the workers' health writes to the endpoint wait for) is held
    // from here to the commit, not through the move.
    await update(trx);
    return moving;
  });
  if (switched && !(await lines.settle(db, endpointId, to)))
    ctx.logger.warn(
      { endpointId, ordering: to },
      'a transaction open since the change of ordering kept it from settling; moved the deliveries again anyway',
    );
}
