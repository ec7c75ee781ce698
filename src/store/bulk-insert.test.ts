import { describe, expect, it } from 'vitest';
import { bulkInsert } from './bulk-insert.js';

describe('bulkInsert', () => {
  const rows = [
    { a: 'x', b: 1 },
    { a: null, b: 2 },
  ];

  it('numbers PostgreSQL placeholders across rows, and flattens the parameters row by row', () => {
    const query = bulkInsert('postgres', 'message', rows, 'on conflict do nothing returning "id"');
    expect(query.sql).toBe(
      'insert into "message" ("a", "b") values ($1, $2), ($3, $4) on conflict do nothing returning "id"',
    );
    expect(query.parameters).toEqual(['x', 1, null, 2]);
  });

  it("writes SQLite placeholders in the first row's key order, each row's values read by column", () => {
    const query = bulkInsert('sqlite', 'delivery', [{ b: 3, a: 'y' }, ...rows]);
    expect(query.sql).toBe('insert into "delivery" ("b", "a") values (?, ?), (?, ?), (?, ?)');
    expect(query.parameters).toEqual([3, 'y', 1, 'x', 2, null]);
  });
});
