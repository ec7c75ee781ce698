import type { Kysely } from 'kysely';
import type { MigrationContext } from './index.js';

/**
 * The id of the API request that published a message (`x-request-id`), so the worker can
 * log every attempt with it and one id leads from the API call to each delivery try.
 */
export async function up(db: Kysely<unknown>, _ctx: MigrationContext): Promise<void> {
  await db.schema.alterTable('message').addColumn('request_id', 'text').execute();
}
