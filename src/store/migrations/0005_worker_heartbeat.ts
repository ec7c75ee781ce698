import type { Kysely } from 'kysely';
import type { MigrationContext } from './index.js';

/**
 * One row per running worker, beaten every few seconds from a timer (`HERALD_HEARTBEAT_MS`).
 * A worker whose row is older than the death threshold is gone: any live worker releases the
 * deliveries it had leased (due at once) and deletes its row, so a `kill -9` costs seconds,
 * not a whole lease. A handful of rows at most; no index beyond the key.
 */
export async function up(db: Kysely<unknown>, _ctx: MigrationContext): Promise<void> {
  await db.schema
    .createTable('worker')
    .addColumn('owner', 'text', (c) => c.primaryKey())
    .addColumn('started_at', 'bigint', (c) => c.notNull())
    .addColumn('heartbeat_at', 'bigint', (c) => c.notNull())
    .execute();
}
