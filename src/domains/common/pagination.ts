/**
 * Cursor pagination in Svix's envelope. The iterator is the sort key of the last row
 * returned; a `prevIterator` is the first row's key prefixed with `-`, and passing it back
 * walks the other way. Cursors compare on a unique, immutable key, so rows inserted while a
 * client pages never shift or repeat what it sees.
 */

export interface Page<T> {
  data: T[];
  iterator: string | null;
  prevIterator: string | null;
  done: boolean;
}

export interface PageRequest {
  limit: number;
  /** Rows after this key (in the list's order), or before it when `backwards`. */
  cursor: string | null;
  backwards: boolean;
  /** The list's own order: true for newest/largest first. */
  descending: boolean;
}

const DEFAULT_LIMIT = 50;

export function pageRequest(
  query: { limit?: number; iterator?: string | null },
  descending: boolean,
): PageRequest {
  const iterator = query.iterator ?? null;
  const backwards = iterator?.startsWith('-') ?? false;
  return {
    limit: query.limit ?? DEFAULT_LIMIT,
    cursor: iterator ? (backwards ? iterator.slice(1) : iterator) : null,
    backwards,
    descending,
  };
}

/**
 * How to query one page: compare the key with `op` against the cursor, order by `direction`,
 * and fetch one more row than the limit to learn whether the list goes on.
 */
export function pageQueryPlan(req: PageRequest): { op: '>' | '<'; direction: 'asc' | 'desc'; fetch: number } {
  const forwardAscending = req.descending === req.backwards;
  return {
    op: forwardAscending ? '>' : '<',
    direction: forwardAscending ? 'asc' : 'desc',
    fetch: req.limit + 1,
  };
}

/** Builds the envelope from the rows a plan fetched. */
export function toPage<T>(req: PageRequest, rows: T[], key: (row: T) => string): Page<T> {
  const more = rows.length > req.limit;
  const data = rows.slice(0, req.limit);
  if (req.backwards) data.reverse();
  const first = data[0];
  const last = data[data.length - 1];
  return {
    data,
    iterator: last ? key(last) : req.backwards ? req.cursor : null,
    prevIterator: first ? `-${key(first)}` : req.backwards ? null : req.cursor ? `-${req.cursor}` : null,
    done: !more,
  };
}
