/**
 * The one rule for an endpoint's event type filter (`filterTypes`, `eventTypes` in the 2.x SDKs),
 * the same on create, PUT and PATCH and for both spellings:
 * - `null` (or leaving it out on create) receives every event type;
 * - a wildcard `noun.*` is accepted whether or not the catalog has a `noun.…` yet (it is meant
 *   to receive those added later);
 * - an exact name must be an event type of the catalog that is not archived. Having been
 *   published does not count: publishing an unknown type is allowed (as in Svix), but it does
 *   not put it in the catalog, so it cannot be subscribed to by name until it is created.
 */
import type { Kysely } from 'kysely';
import type { ValidationIssue } from '../../errors.js';
import type { Database } from '../../store/schema.js';
import { isValidEventTypeFilter } from './schema-validation.js';

/**
 * The filter a request sets and the field it came in: `eventTypes` when it holds a list or is
 * the only one sent (`null` clears the filter), `filterTypes` otherwise.
 */
export function requestedFilter(fields: { eventTypes?: string[] | null; filterTypes?: string[] | null }): {
  field: 'eventTypes' | 'filterTypes';
  filter: string[] | null | undefined;
} {
  return fields.eventTypes != null || (fields.eventTypes === null && fields.filterTypes === undefined)
    ? { field: 'eventTypes', filter: fields.eventTypes }
    : { field: 'filterTypes', filter: fields.filterTypes };
}

/** Every entry of `filter` that breaks the rule above, as 422 issues naming `field`. */
export async function checkEventTypeFilter(
  db: Kysely<Database>,
  field: string,
  filter: readonly string[] | null | undefined,
): Promise<ValidationIssue[]> {
  if (!filter) return [];
  const issues: ValidationIssue[] = [];
  const exact = filter.filter((f) => !f.endsWith('*'));
  for (const entry of filter.filter((f) => f.endsWith('*'))) {
    if (!isValidEventTypeFilter(entry))
      issues.push({
        loc: ['body', field],
        msg: `${field}: "${entry}" is not a valid wildcard (use "noun.*")`,
        type: 'value_error',
      });
  }
  if (exact.length === 0) return issues;
  const known = new Set(
    (
      await db
        .selectFrom('event_type')
        .select('name')
        .where('name', 'in', exact)
        .where('archived', '=', 0)
        .execute()
    ).map((r) => r.name),
  );
  for (const name of exact) {
    if (!known.has(name))
      issues.push({
        loc: ['body', field],
        msg: `${field}: event type "${name}" is not in the catalog (create it first, or use a wildcard such as "${name.split('.')[0]}.*")`,
        type: 'value_error',
      });
  }
  return issues;
}
