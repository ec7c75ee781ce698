import { type Kysely, sql } from 'kysely';
import type { MigrationContext } from './index.js';

/**
 * Ordered delivery (issue 22). An endpoint opts in with `ordering = 'fifo'`; a message may carry
 * an `ordering_key`. Publish order is `message.seq`: a database sequence on PostgreSQL (so it
 * holds across API processes: a publish that started after another's 202 draws a larger number),
 * a counter row written inside the publish transaction on SQLite (one writer).
 *
 * A delivery to a FIFO endpoint copies the message's key ('' when it has none: the endpoint's
 * default key) and seq, and keeps the key while it is in its key's line: owed, in flight, or
 * blocked (retries exhausted with `fifo_on_exhausted = 'block'`). It is NULL otherwise, so rows of
 * unordered endpoints never enter `delivery_line`, and their claim and writes pay nothing for it.
 * The claim walks the keys of one endpoint's line in this index (one probe per key), and each
 * key's first entry is its head of line.
 */
export async function up(db: Kysely<unknown>, ctx: MigrationContext): Promise<void> {
  await db.schema
    .alterTable('endpoint')
    .addColumn('ordering', 'text', (c) => c.notNull().defaultTo('none'))
    .execute();
  await db.schema
    .alterTable('endpoint')
    .addColumn('fifo_on_exhausted', 'text', (c) => c.notNull().defaultTo('block'))
    .execute();
  await db.schema
    .alterTable('endpoint')
    .addColumn('fifo_batch_size', 'integer', (c) => c.notNull().defaultTo(1))
    .execute();
  await db.schema.alterTable('message').addColumn('ordering_key', 'text').execute();
  await db.schema.alterTable('message').addColumn('seq', 'bigint').execute();
  if (ctx.dialect === 'postgres') {
    await sql`CREATE SEQUENCE message_seq`.execute(db);
    await sql`ALTER TABLE message ALTER COLUMN seq SET DEFAULT nextval('message_seq')`.execute(db);
  } else {
    await db.schema
      .createTable('sequence')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('value', 'bigint', (c) => c.notNull())
      .execute();
    await sql`INSERT INTO sequence (name, value) VALUES ('message', 0)`.execute(db);
  }
  await db.schema.alterTable('delivery').addColumn('ordering_key', 'text').execute();
  await db.schema
    .alterTable('delivery')
    .addColumn('seq', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .createIndex('delivery_line')
    .on('delivery')
    .columns(['endpoint_id', 'ordering_key', 'seq'])
    .where(sql.ref('ordering_key'), 'is not', null)
    .execute();
  await db.schema.alterTable('attempt').addColumn('batch_msg_ids', 'text').execute();
}
