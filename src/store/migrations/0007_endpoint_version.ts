import type { Kysely } from 'kysely';
import type { MigrationContext } from './index.js';

/**
 * An endpoint's `version` (deprecated in Svix's API, still sent by its SDKs and tests): kept as
 * given, so a PUT or PATCH of it takes effect instead of always reading back 1.
 */
export async function up(db: Kysely<unknown>, _ctx: MigrationContext): Promise<void> {
  await db.schema
    .alterTable('endpoint')
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .execute();
}
