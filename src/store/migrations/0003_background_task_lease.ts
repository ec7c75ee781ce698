import { type Kysely, sql } from 'kysely';
import type { MigrationContext } from './index.js';

/**
 * Background tasks run in whichever worker process claims them. A lease (owner and expiry)
 * lets exactly one process run a task on PostgreSQL and lets another resume it when its
 * runner dies; the cursor (the last message id handled) makes that resume continue where
 * the task stopped instead of starting over.
 */
export async function up(db: Kysely<unknown>, _ctx: MigrationContext): Promise<void> {
  await db.schema.alterTable('background_task').addColumn('lease_owner', 'text').execute();
  await db.schema.alterTable('background_task').addColumn('lease_until', 'bigint').execute();
  await db.schema.alterTable('background_task').addColumn('cursor', 'text').execute();
  // Runners look for running tasks every second: only those are in this index.
  await db.schema
    .createIndex('background_task_running')
    .on('background_task')
    .column('id')
    .where(sql.ref('status'), '=', sql.lit('running'))
    .execute();
  await db.schema
    .createIndex('background_task_app')
    .on('background_task')
    .columns(['app_id', 'id'])
    .execute();
}
