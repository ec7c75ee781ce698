import { type Kysely, sql } from 'kysely';
import type { MigrationContext } from './index.js';

/** The first schema: every table of the domain model, with the indexes the hot paths need. */
export async function up(db: Kysely<unknown>, ctx: MigrationContext): Promise<void> {
  // Ids are base62 with both cases and sort by time only in byte order. PostgreSQL's default
  // collation of a database may be a language one (en_US: 'a' < 'B'), which would break id
  // order, cursors and time bounds; "C" compares bytes, as SQLite does.
  const id = ctx.dialect === 'postgres' ? sql`text collate "C"` : sql`text`;
  await db.schema
    .createTable('application')
    .addColumn('id', id, (c) => c.primaryKey())
    .addColumn('uid', id, (c) => c.unique())
    .addColumn('name', id, (c) => c.notNull())
    .addColumn('throttle_rate', 'integer')
    .addColumn('metadata', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('endpoint')
    .addColumn('id', id, (c) => c.primaryKey())
    .addColumn('app_id', id, (c) => c.notNull().references('application.id').onDelete('cascade'))
    .addColumn('uid', id)
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('event_types', 'text')
    .addColumn('channels', 'text')
    .addColumn('headers', 'text', (c) => c.notNull())
    .addColumn('metadata', 'text', (c) => c.notNull())
    .addColumn('throttle_rate', 'integer')
    .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('disabled_reason', 'text')
    .addColumn('disabled_at', 'bigint')
    .addColumn('secrets', 'text', (c) => c.notNull())
    .addColumn('first_failure_at', 'bigint')
    .addColumn('consecutive_failures', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_success_at', 'bigint')
    .addColumn('last_failure_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('endpoint_app_uid', ['app_id', 'uid'])
    .execute();
  await db.schema.createIndex('endpoint_app_id').on('endpoint').columns(['app_id', 'id']).execute();

  await db.schema
    .createTable('event_type')
    .addColumn('name', id, (c) => c.primaryKey())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('schemas', 'text')
    .addColumn('feature_flags', 'text')
    .addColumn('group_name', 'text')
    .addColumn('deprecated', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('archived', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('schema_mode', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('message')
    .addColumn('id', id, (c) => c.primaryKey())
    .addColumn('app_id', id, (c) => c.notNull().references('application.id').onDelete('cascade'))
    .addColumn('event_type', id, (c) => c.notNull())
    .addColumn('event_id', id)
    .addColumn('payload', 'text')
    .addColumn('channels', 'text')
    .addColumn('tags', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('payload_expires_at', 'bigint', (c) => c.notNull())
    .addColumn('trace_parent', 'text')
    .execute();
  await db.schema.createIndex('message_app_id').on('message').columns(['app_id', 'id']).execute();
  await db.schema
    .createIndex('message_app_event_id')
    .on('message')
    .columns(['app_id', 'event_id'])
    .unique()
    .where(sql.ref('event_id'), 'is not', null)
    .execute();
  await db.schema
    .createIndex('message_payload_expiry')
    .on('message')
    .column('payload_expires_at')
    .where(sql.ref('payload'), 'is not', null)
    .execute();

  await db.schema
    .createTable('delivery')
    .addColumn('id', id, (c) => c.primaryKey())
    .addColumn('msg_id', id, (c) => c.notNull().references('message.id').onDelete('cascade'))
    .addColumn('endpoint_id', id, (c) => c.notNull().references('endpoint.id').onDelete('cascade'))
    .addColumn('app_id', id, (c) => c.notNull())
    .addColumn('status', 'integer', (c) => c.notNull())
    .addColumn('attempt_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('due_at', 'bigint')
    .addColumn('lease_owner', id)
    .addColumn('trigger_type', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('delivery_msg_endpoint', ['msg_id', 'endpoint_id'])
    .execute();
  // Only rows that are owed are in this index, so claiming stays as fast with a million
  // finished deliveries as with none.
  await db.schema
    .createIndex('delivery_due')
    .on('delivery')
    .column('due_at')
    .where(sql.ref('due_at'), 'is not', null)
    .execute();
  await db.schema
    .createIndex('delivery_endpoint_status')
    .on('delivery')
    .columns(['endpoint_id', 'status', 'msg_id'])
    .execute();

  await db.schema
    .createTable('attempt')
    .addColumn('id', id, (c) => c.primaryKey())
    .addColumn('msg_id', id, (c) => c.notNull().references('message.id').onDelete('cascade'))
    .addColumn('endpoint_id', id, (c) => c.notNull())
    .addColumn('app_id', id, (c) => c.notNull())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('status', 'integer', (c) => c.notNull())
    .addColumn('response_status_code', 'integer', (c) => c.notNull())
    .addColumn('response', 'text')
    .addColumn('response_headers', 'text')
    .addColumn('request_headers', 'text')
    .addColumn('duration_ms', 'integer', (c) => c.notNull())
    .addColumn('error_class', 'text')
    .addColumn('error_message', 'text')
    .addColumn('trigger_type', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('attempt_msg').on('attempt').columns(['msg_id', 'id']).execute();
  await db.schema.createIndex('attempt_endpoint').on('attempt').columns(['endpoint_id', 'id']).execute();

  await db.schema
    .createTable('token')
    .addColumn('id', id, (c) => c.primaryKey())
    .addColumn('kind', id, (c) => c.notNull())
    .addColumn('token_hash', id, (c) => c.notNull().unique())
    .addColumn('app_id', id)
    .addColumn('expires_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('idempotency')
    .addColumn('key', id, (c) => c.primaryKey())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('status_code', 'integer')
    .addColumn('body', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('idempotency_expiry').on('idempotency').column('expires_at').execute();

  await db.schema
    .createTable('background_task')
    .addColumn('id', id, (c) => c.primaryKey())
    .addColumn('task', id, (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('app_id', id)
    .addColumn('endpoint_id', id)
    .addColumn('params', 'text', (c) => c.notNull())
    .addColumn('data', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('setting')
    .addColumn('key', id, (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('rate_limit')
    .addColumn('key', id, (c) => c.primaryKey())
    .addColumn('tokens', 'double precision', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
}
