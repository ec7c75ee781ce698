import SqliteDatabase from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/backends.js';
import { eventually } from '../support/herald.js';
import { type HeraldProcess, spawnHerald } from '../support/process.js';
import { type Receiver, startReceiver } from '../support/receiver.js';
import { linesWith, newTally, publishOne, receivedIds, setUpApp } from './support.js';

const MAX_SIZE_MB = 4;

describe('sqlite: the database runs out of space', () => {
  let db: TestDatabase | undefined;
  let receiver: Receiver | undefined;
  let herald: HeraldProcess | undefined;
  let filler: SqliteDatabase.Database | undefined;
  afterEach(async () => {
    if (herald?.child.exitCode === null) herald.child.kill('SIGKILL');
    filler?.close();
    await receiver?.close();
    await db?.drop();
  });

  it('answers 507 storage_full and says so once, health 503, then recovers without a restart and loses nothing', async () => {
    db = await createTestDatabase('sqlite');
    const path = db.url.slice('sqlite:'.length);
    receiver = await startReceiver();
    // A database capped at 4 MiB stands for a full disk: SQLite refuses to grow it with SQLITE_FULL.
    herald = await spawnHerald('serve', {
      HERALD_DATABASE_URL: db.url,
      HERALD_DATA_DIR: db.dataDir,
      HERALD_SQLITE_MAX_SIZE_MB: String(MAX_SIZE_MB),
      HERALD_LOG_LEVEL: 'info',
    });
    await setUpApp(herald.url, 'full', receiver);

    // Another connection (not capped) takes nearly all the room, as other files on a disk would.
    filler = new SqliteDatabase(path);
    filler.pragma('busy_timeout = 5000');
    filler.exec('CREATE TABLE filler (b BLOB)');
    const maxPages = (MAX_SIZE_MB * 1_048_576) / (filler.pragma('page_size', { simple: true }) as number);
    const insert = filler.prepare('INSERT INTO filler (b) VALUES (zeroblob(16384))');
    for (
      let i = 0;
      i < 1_000 && (filler.pragma('page_count', { simple: true }) as number) < maxPages - 40;
      i++
    )
      insert.run();

    const tally = newTally();
    for (let n = 0; n < 500 && tally.full < 5; n++) await publishOne(herald.url, 'full', n, tally);
    expect(tally.unexpected).toEqual([]);
    expect(tally.full).toBe(5);
    const health = await fetch(`${herald.url}/api/v1/health`);
    expect(health.status).toBe(503);
    const body = (await health.json()) as { code: string; detail: string };
    expect(body.code).toBe('storage_full');
    expect(body.detail).toContain(`disk full at ${path}`);
    expect((await fetch(`${herald.url}/api/v1/health/ping`)).status).toBe(204);
    // Said once, in words an operator acts on, not once per refused request.
    expect(linesWith(herald.output(), 'database outage:')).toBe(1);
    expect(herald.output()).toMatch(/database outage: SQLite database .*: disk full at /);
    expect(herald.output()).not.toContain('cannot rollback');

    filler.exec('DELETE FROM filler');
    const url = herald.url;
    await eventually(async () => (await fetch(`${url}/api/v1/health`)).status === 204, 10_000, 100);
    const before = tally.acknowledged.length;
    for (let n = 0; n < 20; n++) await publishOne(herald.url, 'full', 1_000 + n, tally);
    expect(tally.acknowledged.length).toBe(before + 20);
    expect(linesWith(herald.output(), 'database is back:')).toBe(1);

    const acknowledged = new Set(tally.acknowledged);
    await eventually(() => [...acknowledged].every((id) => receivedIds(receiver!).has(id)), 20_000, 100);
    herald.child.kill('SIGTERM');
    expect(await herald.exited).toBe(0);
    // Every delivery settled: nothing stays leased or sending after the episode.
    const stuck = filler.prepare('SELECT count(*) AS n FROM delivery WHERE status != 0').get() as {
      n: number;
    };
    expect(stuck.n).toBe(0);
    expect(filler.pragma('integrity_check', { simple: true })).toBe('ok');
  }, 60_000);
});
