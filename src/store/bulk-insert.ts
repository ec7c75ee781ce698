import { CompiledQuery } from 'kysely';
import type { Dialect } from './store.js';

/** Statement texts kept, one per shape (table, columns, row count, tail). */
const MAX_TEXTS = 64;
const texts = new Map<string, string>();

/**
 * A multi-row INSERT of `rows` into `table`, as SQL text and one flat list of parameters,
 * without Kysely's query builder. For the outbox's inserts (up to 1,000 messages, and their
 * deliveries) the builder made and froze an operation node per value: most of the 6–8% of the
 * API's busy time that Kysely took in a profile, and garbage besides. The columns are the first
 * row's keys: every row of one insert is built by the same object literal, so they share them.
 * The text depends only on the shape, so it is built once per shape; `tail` is SQL after the
 * VALUES (ON CONFLICT, RETURNING), the same for every call with that shape.
 */
export function bulkInsert<Row extends object>(
  dialect: Dialect,
  table: string,
  rows: readonly Row[],
  tail = '',
): CompiledQuery {
  const columns = Object.keys(rows[0] ?? {}) as (keyof Row & string)[];
  const key = `${dialect}\u0000${table}\u0000${columns.join(',')}\u0000${rows.length}\u0000${tail}`;
  let text = texts.get(key);
  if (text === undefined) {
    text = insertText(dialect, table, columns, rows.length, tail);
    if (texts.size >= MAX_TEXTS) texts.delete(texts.keys().next().value as string);
    texts.set(key, text);
  }
  const parameters: unknown[] = new Array(rows.length * columns.length);
  let i = 0;
  for (const row of rows) for (const column of columns) parameters[i++] = row[column];
  return CompiledQuery.raw(text, parameters);
}

function insertText(
  dialect: Dialect,
  table: string,
  columns: readonly string[],
  rowCount: number,
  tail: string,
): string {
  const tuples: string[] = new Array(rowCount);
  let n = 0;
  for (let r = 0; r < rowCount; r++) {
    const marks: string[] = new Array(columns.length);
    for (let c = 0; c < columns.length; c++) marks[c] = dialect === 'postgres' ? `$${++n}` : '?';
    tuples[r] = `(${marks.join(', ')})`;
  }
  const names = columns.map((c) => `"${c}"`).join(', ');
  return `insert into "${table}" (${names}) values ${tuples.join(', ')}${tail ? ` ${tail}` : ''}`;
}
