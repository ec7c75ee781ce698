import { type Kysely, sql, type Updateable } from 'kysely';
import type { HeraldContext } from '../../context.js';
import type { Database, EndpointOrdering, EndpointTable } from '../../store/schema.js';

/**
 * Writes an endpoint's changed columns and, when its `ordering` changes, moves what it is still
 * owed into or out of the lines, in one transaction:
 * - to "fifo": every delivery owed (pending, held or in flight) joins its key's line in publish
 *   order; one in flight finishes first, and its key's later messages wait for it;
 * - to "none": every line is dissolved: owed deliveries go out as they come, and a blocked key's
 *   failed head stays failed (recover it like any failed delivery).
 * On PostgreSQL the endpoint table is locked for the moment of the change: a publish that read the
 * endpoint's old setting commits before it, so none of its deliveries is left out of a line.
 */
export async function writeEndpoint(
  ctx: HeraldContext,
  endpointId: string,
  changes: Updateable<EndpointTable>,
  orderingBefore: EndpointOrdering,
): Promise<void> {
  const update = (db: Kysely<Database>) =>
    db.updateTable('endpoint').set(changes).where('id', '=', endpointId).execute();
  const to = changes.ordering;
  if (to === undefined || to === orderingBefore) {
    await update(ctx.store.db);
    return;
  }
  await ctx.store.db.transaction().execute(async (trx) => {
    await ctx.store.lines.lock(trx, endpointId);
    if (ctx.store.dialect === 'postgres')
      await sql`LOCK TABLE endpoint IN ACCESS EXCLUSIVE MODE`.execute(trx);
    await update(trx);
    await ctx.store.lines.move(trx, endpointId, to);
  });
}
