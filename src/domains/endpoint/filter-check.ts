/**
 * An endpoint's payload filter as written through the API: refused with a 422 when it is not
 * in the language (`filter-language.ts`), stored as JSON text, and compared with the schemas of
 * the event types the endpoint receives, which may turn up warnings (never errors: schemas
 * evolve, and a filter may be written before the field it reads is published).
 */
import type { Kysely } from 'kysely';
import type { ValidationIssue } from '../../errors.js';
import type { Database } from '../../store/schema.js';
import { declaresPath } from '../event-type/schema-paths.js';
import { latestSchema } from '../event-type/schema-validation.js';
import { type FilterNode, parseFilter, payloadPaths } from '../message/filter-language.js';
import { matchesEventType } from '../message/subscription.js';

/** A filter path that no schema of the endpoint's event types declares. */
export interface FilterWarning {
  loc: string[];
  msg: string;
}

/** Where a filter sits in an endpoint's create, update or patch body. */
export const FILTER_LOC = ['body', 'filter'];

/** A filter sent to the API, read: its tree (null: no filter), or the 422 issues refusing it. */
export function readRequestFilter(filter: Record<string, unknown> | null | undefined): {
  tree: FilterNode | null;
  issues: ValidationIssue[];
} {
  if (filter == null) return { tree: null, issues: [] };
  const parsed = parseFilter(filter, FILTER_LOC);
  return parsed.ok ? { tree: parsed.filter, issues: [] } : { tree: null, issues: parsed.issues };
}

/** The stored form of a filter the API accepted: an empty one is no filter. */
export function storedFilter(filter: Record<string, unknown> | null): string | null {
  return filter === null || Object.keys(filter).length === 0 ? null : JSON.stringify(filter);
}

/**
 * The paths of `tree` that no latest schema of the event types `eventTypes` lets through
 * (`null`: every event type of the catalog). Nothing when none of them has a schema.
 */
export async function filterWarnings(
  db: Kysely<Database>,
  tree: FilterNode,
  eventTypes: string[] | null,
): Promise<FilterWarning[]> {
  const paths = payloadPaths(tree);
  if (paths.length === 0) return [];
  const rows = await db
    .selectFrom('event_type')
    .select(['name', 'schemas'])
    .where('archived', '=', 0)
    .where('schemas', 'is not', null)
    .execute();
  const schemas = rows
    .filter((r) => matchesEventType(eventTypes, r.name))
    .map((r) => ({ name: r.name, schema: latestSchema(JSON.parse(r.schemas!))?.schema }))
    .filter((s): s is { name: string; schema: Record<string, unknown> } => s.schema !== undefined);
  if (schemas.length === 0) return [];
  const shown = schemas.slice(0, 5).map((s) => s.name);
  const names =
    shown.join(', ') + (schemas.length > shown.length ? ` and ${schemas.length - shown.length} more` : '');
  return paths
    .filter((path) => !schemas.some((s) => declaresPath(s.schema, path.split('.'))))
    .map((path) => ({
      loc: [...FILTER_LOC, path],
      msg: `filter.${path}: no schema of ${names} declares this path; the filter keeps it, but check its spelling`,
    }));
}
