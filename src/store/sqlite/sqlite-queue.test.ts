import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from './sqlite-store.js';

describe('SQLite queue operations', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('leave the connection at synchronous = FULL, so what the API writes next is fsync’d', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'herald-queue-'));
    dirs.push(dir);
    const store = openSqliteStore(join(dir, 'herald.db'));
    await store.migrate();
    const level = async () =>
      (await sql<{ synchronous: number }>`PRAGMA synchronous`.execute(store.db)).rows[0]?.synchronous;
    const FULL = 2;
    expect(await level()).toBe(FULL);
    await store.queue.claim('owner', 10, Date.now(), Date.now() + 60_000);
    await store.queue.complete([], []);
    await store.queue.renew('owner', ['dlv_x'], Date.now());
    await store.queue.nextDueAt();
    expect(await level()).toBe(FULL);
    await store.close();
  });
});
