import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { openStore } from '../../../src/store/open.js';
import { createTestDatabase } from '../../support/backends.js';

const base = inject('postgresUrl');

// Several Herald installations (and every parallel test) share one PostgreSQL database, each
// in its own schema. A migration must see its own schema alone: another one dropped while it
// runs once failed it with "relation herald_t_….kysely_migration does not exist" (in CI).
describe.runIf(base)('postgres: migrations beside other schemas', () => {
  it('lists only the tables of its own schema', async () => {
    const database = await createTestDatabase('postgres');
    const other = `herald_other_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: base });
    await admin.connect();
    try {
      await admin.query(`create schema "${other}"`);
      await admin.query(`create table "${other}".not_herald (id serial primary key, note text)`);
      const store = await openStore({ databaseUrl: database.url });
      try {
        await store.migrate();
        const tables = await store.db.introspection.getTables();
        const names = tables.map((table) => table.name);
        expect(names).toContain('message');
        expect(names).not.toContain('not_herald');
        expect(new Set(tables.map((table) => table.schema))).toEqual(
          new Set([new URL(database.url).searchParams.get('schema')]),
        );
        const message = tables.find((table) => table.name === 'message');
        expect(message?.columns.map((column) => column.name)).toContain('payload');
        expect(await store.pendingMigrations()).toEqual([]);
      } finally {
        await store.close();
      }
    } finally {
      await admin.query(`drop schema if exists "${other}" cascade`);
      await admin.end();
      await database.drop();
    }
  });

  it('migrates while other schemas are created and dropped around it', async () => {
    const admin = new pg.Client({ connectionString: base });
    await admin.connect();
    let churning = true;
    const churn = (async () => {
      while (churning) {
        const name = `herald_churn_${randomBytes(4).toString('hex')}`;
        await admin.query(`create schema "${name}"`);
        await admin.query(
          `create table "${name}".a (id serial primary key); create table "${name}".b (id serial primary key)`,
        );
        await admin.query(`drop schema "${name}" cascade`);
      }
    })();
    try {
      for (let i = 0; i < 8; i++) {
        const database = await createTestDatabase('postgres');
        const store = await openStore({ databaseUrl: database.url });
        try {
          expect((await store.migrate()).length).toBeGreaterThan(0);
          expect(await store.pendingMigrations()).toEqual([]);
        } finally {
          await store.close();
          await database.drop();
        }
      }
    } finally {
      churning = false;
      await churn;
      await admin.end();
    }
  });
});
