import type { Kysely } from 'kysely';
import type { MigrationContext } from './index.js';

/**
 * An endpoint's payload filter (`filter`, a Herald addition to Svix's endpoint): the JSON text
 * as the API accepted it, null for none. Compiled by the processes that read it, never queried.
 */
export async function up(db: Kysely<unknown>, _ctx: MigrationContext): Promise<void> {
  await db.schema.alterTable('endpoint').addColumn('filter', 'text').execute();
}
