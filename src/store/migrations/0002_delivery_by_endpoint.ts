import type { Kysely } from 'kysely';
import type { MigrationContext } from './index.js';

/**
 * "List attempted messages" pages an endpoint's deliveries by message id. The existing
 * (endpoint_id, status, msg_id) index serves it only with a status filter; without one,
 * both backends would read every delivery of the endpoint and sort. This index makes the
 * page a range walk whatever the history.
 */
export async function up(db: Kysely<unknown>, _ctx: MigrationContext): Promise<void> {
  await db.schema
    .createIndex('delivery_endpoint_msg')
    .on('delivery')
    .columns(['endpoint_id', 'msg_id'])
    .execute();
}
