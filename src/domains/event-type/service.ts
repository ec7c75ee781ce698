/**
 * Writes to the event catalog through the API, with Svix's semantics: create refuses an
 * existing name but brings an archived one back, PUT creates or replaces, PATCH changes what
 * it is given, delete archives unless asked to expunge. Every write tells the publish path
 * (`invalidateEventType`), so the next message in this process sees it.
 */
import type { HeraldContext } from '../../context.js';
import { conflict, notFound, ValidationError } from '../../errors.js';
import { isUniqueViolation } from '../common/sql-errors.js';
import { invalidateEventType } from './publish-check.js';
import {
  deleteEventType,
  type EventTypeFields,
  findEventType,
  insertEventType,
  type StoredEventType,
  updateEventType,
} from './repo.js';
import { checkEventTypeSchemas } from './schema-validation.js';
import type { SchemaMode } from './types.js';

/**
 * An event type as a request body gives it (EventTypeIn, EventTypeUpsertIn, EventTypePatch),
 * with Herald's `schemaMode`. The 1.x SDKs send one `featureFlag`, the 2.x SDKs a
 * `featureFlags` list; when both come, the list wins.
 */
export interface EventTypeInput {
  description?: string;
  archived?: boolean;
  deprecated?: boolean;
  schemas?: Record<string, unknown> | null;
  featureFlag?: string | null;
  featureFlags?: string[] | null;
  groupName?: string | null;
  schemaMode?: SchemaMode | null;
}

/** Every schema given must be a valid JSON Schema: a 422 pointing into `body.schemas.<version>…` otherwise. */
function checkSchemas(input: EventTypeInput): void {
  const issues = checkEventTypeSchemas(input.schemas, ['body', 'schemas']);
  if (issues.length > 0) throw new ValidationError(issues);
}

/** The flags a body sets: undefined when it names neither spelling. */
function flagsOf(input: EventTypeInput): string[] | null | undefined {
  if (input.featureFlags !== undefined) return input.featureFlags;
  if (input.featureFlag !== undefined) return input.featureFlag === null ? null : [input.featureFlag];
  return undefined;
}

/**
 * An event type given whole (a create or PUT body, or a catalog file entry): what it leaves out
 * takes its default, as Svix's PUT does, so it is the whole truth about the event type.
 */
export function fullFields(input: EventTypeInput & { description: string }): EventTypeFields {
  return {
    description: input.description,
    schemas: (input.schemas ?? null) as EventTypeFields['schemas'],
    featureFlags: flagsOf(input) ?? null,
    groupName: input.groupName ?? null,
    deprecated: input.deprecated ?? false,
    archived: input.archived ?? false,
    schemaMode: input.schemaMode ?? null,
  };
}

async function insertOrConflict(
  ctx: HeraldContext,
  name: string,
  fields: EventTypeFields,
): Promise<StoredEventType> {
  try {
    return await insertEventType(ctx.store.db, name, fields, ctx.now());
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict('An event type with this name already exists.');
    throw err;
  } finally {
    invalidateEventType(ctx, name);
  }
}

/**
 * `POST /event-type`: a new event type, or — as in Svix — an archived one brought back with
 * the body's fields (its description and schemas are not kept). A live one is a 409.
 */
export async function createEventType(
  ctx: HeraldContext,
  name: string,
  input: EventTypeInput & { description: string },
): Promise<StoredEventType> {
  checkSchemas(input);
  const existing = await findEventType(ctx.store.db, name);
  if (existing && !existing.archived) throw conflict('An event type with this name already exists.');
  if (!existing) return insertOrConflict(ctx, name, fullFields(input));
  const updated = await updateEventType(ctx.store.db, existing, fullFields(input), ctx.now());
  invalidateEventType(ctx, name);
  return updated;
}

/** `PUT /event-type/{name}`: creates it, or replaces every field of the existing one. */
export async function upsertEventType(
  ctx: HeraldContext,
  name: string,
  input: EventTypeInput & { description: string },
): Promise<{ eventType: StoredEventType; created: boolean }> {
  checkSchemas(input);
  const existing = await findEventType(ctx.store.db, name);
  if (!existing) return { eventType: await insertOrConflict(ctx, name, fullFields(input)), created: true };
  const eventType = await updateEventType(ctx.store.db, existing, fullFields(input), ctx.now());
  invalidateEventType(ctx, name);
  return { eventType, created: false };
}

/** `PATCH /event-type/{name}`: the fields the body names; `null` clears a nullable one. */
export async function patchEventType(
  ctx: HeraldContext,
  name: string,
  input: EventTypeInput,
): Promise<StoredEventType> {
  checkSchemas(input);
  const existing = await findEventType(ctx.store.db, name);
  if (!existing) throw notFound('Event type not found.');
  const flags = flagsOf(input);
  const fields: EventTypeFields = {
    description: input.description ?? existing.description,
    schemas: input.schemas === undefined ? existing.schemas : (input.schemas as EventTypeFields['schemas']),
    featureFlags: flags === undefined ? existing.featureFlags : flags,
    groupName: input.groupName === undefined ? existing.groupName : input.groupName,
    deprecated: input.deprecated ?? existing.deprecated,
    archived: input.archived ?? existing.archived,
    schemaMode: input.schemaMode === undefined ? existing.schemaMode : input.schemaMode,
  };
  const updated = await updateEventType(ctx.store.db, existing, fields, ctx.now());
  invalidateEventType(ctx, name);
  return updated;
}

/**
 * `DELETE /event-type/{name}`: archives it (new messages refused, history kept, create brings it
 * back), or with `expunge` removes the row. Past messages keep their event type name either way.
 */
export async function removeEventType(ctx: HeraldContext, name: string, expunge: boolean): Promise<void> {
  const existing = await findEventType(ctx.store.db, name);
  if (!existing) throw notFound('Event type not found.');
  if (expunge) await deleteEventType(ctx.store.db, name);
  else if (!existing.archived) {
    await updateEventType(ctx.store.db, existing, { ...existing, archived: true }, ctx.now());
  }
  invalidateEventType(ctx, name);
}
