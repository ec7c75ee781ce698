/**
 * The catalog as code: apply a catalog file to the store (idempotent, never deleting), write
 * the store back out as a file, and describe it as an OpenAPI `webhooks` document. Used by
 * `herald event-types …` and by the API's OpenAPI export.
 */
import { isDeepStrictEqual } from 'node:util';
import type { HeraldContext } from '../../context.js';
import type { CatalogEntry, CatalogFormat } from './catalog-file.js';
import { serializeCatalog } from './catalog-file.js';
import { buildWebhooksDocument, type WebhooksDocument } from './openapi-webhooks.js';
import { invalidateEventType } from './publish-check.js';
import {
  allEventTypes,
  type EventTypeFields,
  findEventType,
  insertEventType,
  type StoredEventType,
  updateEventType,
} from './repo.js';
import { fullFields } from './service.js';

/** What an import did (or, dry, would do), by event type name in file order. */
export interface ImportSummary {
  created: string[];
  updated: string[];
  unchanged: string[];
}

function sameFields(stored: StoredEventType, fields: EventTypeFields): boolean {
  return (Object.keys(fields) as Array<keyof EventTypeFields>).every((key) =>
    isDeepStrictEqual(stored[key], fields[key]),
  );
}

/**
 * Applies parsed catalog entries (`parseCatalogFile` has validated them): creates the missing
 * event types, updates those that differ, leaves equal ones untouched (their `updatedAt` does not
 * move) and never deletes one the file does not list. One transaction: all of it or none.
 * `dryRun` computes the summary without writing.
 */
export async function importCatalog(
  ctx: HeraldContext,
  entries: CatalogEntry[],
  options: { dryRun?: boolean } = {},
): Promise<ImportSummary> {
  const summary: ImportSummary = { created: [], updated: [], unchanged: [] };
  await ctx.store.db.transaction().execute(async (trx) => {
    const now = ctx.now();
    for (const entry of entries) {
      const fields = fullFields(entry);
      const existing = await findEventType(trx, entry.name);
      if (!existing) {
        if (!options.dryRun) await insertEventType(trx, entry.name, fields, now);
        summary.created.push(entry.name);
      } else if (sameFields(existing, fields)) {
        summary.unchanged.push(entry.name);
      } else {
        if (!options.dryRun) await updateEventType(trx, existing, fields, now);
        summary.updated.push(entry.name);
      }
    }
  });
  if (!options.dryRun)
    for (const name of [...summary.created, ...summary.updated]) invalidateEventType(ctx, name);
  return summary;
}

/** A stored event type as a catalog entry: fields at their defaults are left out, `schemaMode` kept. */
function toEntry(eventType: StoredEventType): CatalogEntry {
  const entry: CatalogEntry = { name: eventType.name, description: eventType.description };
  if (eventType.groupName !== null) entry.groupName = eventType.groupName;
  // A catalog file holds one flag per event type (the 1.x SDKs' `featureFlag`).
  if (eventType.featureFlag !== null) entry.featureFlag = eventType.featureFlag;
  if (eventType.deprecated) entry.deprecated = true;
  if (eventType.archived) entry.archived = true;
  if (eventType.schemaMode !== null) entry.schemaMode = eventType.schemaMode;
  if (eventType.schemas !== null) entry.schemas = eventType.schemas;
  return entry;
}

/** The whole catalog, archived event types included, as a file `importCatalog` applies unchanged. */
export async function exportCatalog(ctx: HeraldContext, format: CatalogFormat): Promise<string> {
  const eventTypes = await allEventTypes(ctx.store.db, ctx.store.dialect, {
    includeArchived: true,
    includeFlagged: true,
  });
  return serializeCatalog(eventTypes.map(toEntry), format);
}

/**
 * The OpenAPI 3.1 document describing every live event type as a webhook. `includeFlagged:
 * false` leaves out event types behind a feature flag (for consumers, who hold no flags).
 */
export async function catalogWebhooksDocument(
  ctx: HeraldContext,
  options: { includeFlagged: boolean; title?: string; version?: string },
): Promise<WebhooksDocument> {
  const eventTypes = await allEventTypes(ctx.store.db, ctx.store.dialect, {
    includeArchived: false,
    includeFlagged: options.includeFlagged,
  });
  return buildWebhooksDocument(eventTypes, { title: options.title, version: options.version });
}
