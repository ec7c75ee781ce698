import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../../src/store/sqlite/sqlite-store.js';
import { eventually } from '../../support/herald.js';

describe('SQLite background checkpoints', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('copy committed writes into the database file without the main connection doing it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'herald-ckpt-'));
    dirs.push(dir);
    const path = join(dir, 'herald.db');
    const store = openSqliteStore(path);
    await sql`create table notes (id integer primary key, body text)`.execute(store.db);
    // A few kilobytes: far below the size at which the main connection would checkpoint itself.
    for (let i = 0; i < 20; i++)
      await sql`insert into notes (body) values (${'x'.repeat(200)})`.execute(store.db);

    // The database file alone (no -wal beside it) holds only what a checkpoint copied into it.
    const rowsInFile = () => {
      copyFileSync(path, join(dir, 'copy.db'));
      const copy = new SqliteDatabase(join(dir, 'copy.db'), { readonly: true });
      try {
        const table = copy.prepare("select 1 from sqlite_master where name = 'notes'").get();
        return table ? (copy.prepare('select count(*) as n from notes').get() as { n: number }).n : 0;
      } finally {
        copy.close();
      }
    };
    await eventually(() => rowsInFile() === 20 || null, 5_000);
    await store.close();

    const reopened = openSqliteStore(path);
    const { rows } = await sql<{ n: number }>`select count(*) as n from notes`.execute(reopened.db);
    expect(rows[0]?.n).toBe(20);
    await reopened.close();
  });
});
