import { type Kysely, type Selectable, sql } from 'kysely';
import type { Database, EventTypeTable } from '../../store/schema.js';
import type { Dialect } from '../../store/store.js';
import { fromJson, iso } from '../common/json.js';
import { type PageRequest, pageQueryPlan, toPage } from '../common/pagination.js';
import type { EventTypeRecord, SchemaMode } from './types.js';

type EventTypeRow = Selectable<EventTypeTable>;

/**
 * A stored event type with everything the store keeps: the pure modules' `EventTypeRecord`
 * plus every feature flag (Svix's current API allows several) and the per-type schema mode
 * (`null` = the global `HERALD_SCHEMA_MODE`).
 */
export interface StoredEventType extends EventTypeRecord {
  featureFlags: string[] | null;
  schemaMode: SchemaMode | null;
}

/** The settable fields of an event type, already validated. */
export interface EventTypeFields {
  description: string;
  schemas: Record<string, Record<string, unknown>> | null;
  featureFlags: string[] | null;
  groupName: string | null;
  deprecated: boolean;
  archived: boolean;
  schemaMode: SchemaMode | null;
}

/** Reads a row into a `StoredEventType`. */
function toStored(row: EventTypeRow): StoredEventType {
  const featureFlags = fromJson<string[]>(row.feature_flags);
  return {
    name: row.name,
    description: row.description,
    schemas: fromJson<Record<string, Record<string, unknown>>>(row.schemas),
    featureFlag: featureFlags?.[0] ?? null,
    featureFlags,
    groupName: row.group_name,
    deprecated: row.deprecated === 1,
    archived: row.archived === 1,
    schemaMode: row.schema_mode as SchemaMode | null,
    createdAt: new Date(Number(row.created_at)),
    updatedAt: new Date(Number(row.updated_at)),
  };
}

/**
 * The API's view of an event type: Svix's `EventTypeOut` in both SDK spellings (`featureFlag`
 * for 1.x, `featureFlags` for 2.x) plus Herald's `schemaMode`. Lists without `with_content`
 * answer `schemas: null`, as Svix does.
 */
export function eventTypeOut(eventType: StoredEventType, withContent = true) {
  return {
    name: eventType.name,
    description: eventType.description,
    archived: eventType.archived,
    deprecated: eventType.deprecated,
    schemas: withContent ? eventType.schemas : null,
    featureFlag: eventType.featureFlag,
    featureFlags: eventType.featureFlags,
    groupName: eventType.groupName,
    schemaMode: eventType.schemaMode,
    createdAt: iso(eventType.createdAt.getTime()),
    updatedAt: iso(eventType.updatedAt.getTime()),
  };
}

function toColumns(fields: EventTypeFields) {
  return {
    description: fields.description,
    schemas: fields.schemas === null ? null : JSON.stringify(fields.schemas),
    feature_flags: fields.featureFlags === null ? null : JSON.stringify(fields.featureFlags),
    group_name: fields.groupName,
    deprecated: fields.deprecated ? 1 : 0,
    archived: fields.archived ? 1 : 0,
    schema_mode: fields.schemaMode,
  };
}

export async function findEventType(
  db: Kysely<Database>,
  name: string,
): Promise<StoredEventType | undefined> {
  const row = await db.selectFrom('event_type').selectAll().where('name', '=', name).executeTakeFirst();
  return row ? toStored(row) : undefined;
}

/** Inserts a new event type; a unique violation surfaces to the caller (409 there). */
export async function insertEventType(
  db: Kysely<Database>,
  name: string,
  fields: EventTypeFields,
  now: number,
): Promise<StoredEventType> {
  const row: EventTypeRow = { name, ...toColumns(fields), created_at: now, updated_at: now };
  await db.insertInto('event_type').values(row).execute();
  return toStored(row);
}

/**
 * Replaces an event type's fields. `updated_at` always moves forward, even twice in one
 * millisecond, because compiled validators are cached by it: an edit that kept the old
 * timestamp would keep validating against the old schema.
 */
export async function updateEventType(
  db: Kysely<Database>,
  existing: StoredEventType,
  fields: EventTypeFields,
  now: number,
): Promise<StoredEventType> {
  const updatedAt = Math.max(now, existing.updatedAt.getTime() + 1);
  const columns = { ...toColumns(fields), created_at: existing.createdAt.getTime(), updated_at: updatedAt };
  await db.updateTable('event_type').set(columns).where('name', '=', existing.name).execute();
  return toStored({ name: existing.name, ...columns });
}

export async function deleteEventType(db: Kysely<Database>, name: string): Promise<void> {
  await db.deleteFrom('event_type').where('name', '=', name).execute();
}

/**
 * The name as a sort key. PostgreSQL compares text with the database's locale, which ignores
 * punctuation in a first pass; `COLLATE "C"` makes it compare bytes, like SQLite, so a list
 * pages in the same order on both backends and a cursor never skips a name.
 */
function nameKey(dialect: Dialect) {
  return dialect === 'postgres' ? sql<string>`name collate "C"` : sql<string>`name`;
}

export interface EventTypeListFilter {
  includeArchived: boolean;
  /** When false, event types behind a feature flag are left out (consumer-portal callers). */
  includeFlagged: boolean;
}

/** One page of the catalog, ordered by name. */
export async function listEventTypes(
  db: Kysely<Database>,
  dialect: Dialect,
  req: PageRequest,
  filter: EventTypeListFilter,
) {
  const plan = pageQueryPlan(req);
  const key = nameKey(dialect);
  let query = db.selectFrom('event_type').selectAll();
  if (!filter.includeArchived) query = query.where('archived', '=', 0);
  if (!filter.includeFlagged) query = query.where('feature_flags', 'is', null);
  if (req.cursor) query = query.where(key, plan.op, req.cursor);
  const rows = await query.orderBy(key, plan.direction).limit(plan.fetch).execute();
  const page = toPage(req, rows, (r) => r.name);
  return { ...page, data: page.data.map(toStored) };
}

/** The whole catalog, ordered by name: for exports, which are small (one row per event type). */
export async function allEventTypes(
  db: Kysely<Database>,
  dialect: Dialect,
  filter: EventTypeListFilter,
): Promise<StoredEventType[]> {
  let query = db.selectFrom('event_type').selectAll();
  if (!filter.includeArchived) query = query.where('archived', '=', 0);
  if (!filter.includeFlagged) query = query.where('feature_flags', 'is', null);
  const rows = await query.orderBy(nameKey(dialect)).execute();
  return rows.map(toStored);
}

/**
 * Records a finished catalog export as a background task (`sdk.generate`), so polling it, as
 * Svix's SDKs do, finds it finished with the document in its data.
 */
export async function insertFinishedExportTask(
  db: Kysely<Database>,
  task: { id: string; status: 'finished'; task: 'sdk.generate' },
  data: object,
  now: number,
): Promise<void> {
  await db
    .insertInto('background_task')
    .values({
      ...task,
      app_id: null,
      endpoint_id: null,
      params: '{}',
      data: JSON.stringify(data),
      created_at: now,
      updated_at: now,
    })
    .execute();
}
