/**
 * Event type records for the tests of this folder (imported by `*.test.ts` files only): each
 * test names what it cares about and leaves every other field at its stored default.
 */
import type { CatalogEntry } from './catalog-file.js';
import type { EventTypeRecord } from './types.js';

const CREATED_AT = new Date('2024-01-01T00:00:00Z');

/** A live, unflagged, ungrouped event type `name` with `schemas`, described as "`name` happened". */
export function eventTypeRecord(
  name: string,
  schemas: EventTypeRecord['schemas'],
  fields: Partial<EventTypeRecord> = {},
): EventTypeRecord {
  return {
    name,
    description: `${name} happened`,
    schemas,
    featureFlag: null,
    groupName: null,
    deprecated: false,
    archived: false,
    createdAt: CREATED_AT,
    updatedAt: CREATED_AT,
    ...fields,
  };
}

/** A parsed catalog file entry as the store holds it once imported. */
export function recordOfEntry(entry: CatalogEntry): EventTypeRecord {
  return eventTypeRecord(entry.name, entry.schemas ?? null, {
    description: entry.description,
    featureFlag: entry.featureFlag ?? null,
    groupName: entry.groupName ?? null,
    deprecated: entry.deprecated ?? false,
    archived: entry.archived ?? false,
  });
}
