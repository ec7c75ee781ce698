import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { MigrationContext } from './index.js';

/**
 * The fair claim walks the endpoints that are owed something (a skip-scan) and takes each
 * one's earliest due rows. This partial index serves both steps with owed rows only, so the
 * claim costs the same with a million finished deliveries as with none. The endpoint's
 * delivery state (normal, slowed, circuit open) is what the workers last saw of it, written
 * with endpoint health in each outcome batch so the API can show it.
 */
export async function up(db: Kysely<unknown>, _ctx: MigrationContext): Promise<void> {
  await db.schema
    .createIndex('delivery_endpoint_due')
    .on('delivery')
    .columns(['endpoint_id', 'due_at'])
    .where(sql.ref('due_at'), 'is not', null)
    .execute();
  await db.schema
    .alterTable('endpoint')
    .addColumn('delivery_state', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.alterTable('endpoint').addColumn('delivery_state_at', 'bigint').execute();
}
