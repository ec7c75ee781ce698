import { describe, expect, it } from 'vitest';
import { bulkInsert } from './bulk-insert.js';

describe('bulkInsert', () => {
  const rows = [
    { a: 'x', b: 1, c: 'left out' },
    { a: null, b: 2, c: 'left out' },
  ];

  it('numbers PostgreSQL placeholders across rows, and flattens the parameters row by row', () => {
    const query = bulkInsert(
      'postgres',
      'message',
      ['a', 'b'],
      rows,
      'on conflict do nothing returning "id"',
    );
    expect(query.sql).toBe(
      'insert into "message" ("a", "b") values ($1, $2), ($3, $4) on conflict do nothing returning "id"',
    );
    expect(query.parameters).toEqual(['x', 1, null, 2]);
  });

  it('writes SQLite placeholders, and reuses the text for the same shape with other values', () => {
    const first = bulkInsert('sqlite', 'delivery', ['b', 'a'], rows);
    const again = bulkInsert('sqlite', 'delivery', ['b', 'a'], [{ a: 'y', b: 3, c: '' }, rows[1]!]);
    expect(first.sql).toBe('insert into "delivery" ("b", "a") values (?, ?), (?, ?)');
    expect(again.sql).toBe(first.sql);
    expect(again.parameters).toEqual([3, 'y', 2, null]);
  });
});
