import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../support/backends.js';
import { eventually } from '../support/herald.js';
import { freePort, type HeraldProcess, spawnHerald } from '../support/process.js';
import { type Receiver, startReceiver } from '../support/receiver.js';
import { newTally, publishStream, receivedIds, setUpApp, watchHealth } from './support.js';

/**
 * This test's Herald backends only: Herald names each connection `herald:ROLE:PID/PURPOSE`,
 * and the PIDs are this test's own child processes (never another test's backends).
 */
const OURS = `application_name LIKE 'herald:%' AND substring(application_name from '^herald:[a-z]+:([0-9]+)/')::int = ANY($1::int[])`;

describe.runIf(BACKENDS.includes('postgres'))('postgres: Herald backends terminated mid-drain', () => {
  let db: TestDatabase | undefined;
  let admin: pg.Client | undefined;
  let receiver: Receiver | undefined;
  const children: HeraldProcess[] = [];
  afterEach(async () => {
    for (const c of children.splice(0)) if (c.child.exitCode === null) c.child.kill('SIGKILL');
    await admin?.end();
    await receiver?.close();
    await db?.drop();
  });

  it('survives pg_terminate_backend on every connection, twice, and delivers everything acknowledged', async () => {
    db = await createTestDatabase('postgres');
    receiver = await startReceiver();
    const env = {
      HERALD_DATABASE_URL: db.url,
      HERALD_DATA_DIR: db.dataDir,
      HERALD_REQUEST_TIMEOUT_MS: '5000',
      HERALD_RETRY_SCHEDULE: '0.2,0.2,0.2',
    };
    const api = await spawnHerald('api', env);
    children.push(api);
    const metricsPort = await freePort();
    children.push(
      await spawnHerald('worker', { ...env, HERALD_METRICS_PORT: String(metricsPort) }),
      await spawnHerald('worker', env),
    );
    const pids = children.map((c) => c.child.pid!);
    const adminUrl = new URL(db.url);
    adminUrl.searchParams.delete('schema');
    admin = new pg.Client({ connectionString: adminUrl.toString() });
    await admin.connect();
    const backends = async () =>
      (
        await admin!.query<{ application_name: string }>(
          `SELECT application_name FROM pg_stat_activity WHERE ${OURS}`,
          [pids],
        )
      ).rows.map((r) => r.application_name);
    const terminate = async () =>
      (await admin!.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE ${OURS}`, [pids]))
        .rowCount ?? 0;

    await setUpApp(api.url, 'term', receiver);
    // Both workers are up and listen for due work on a connection of their own.
    await eventually(
      async () => (await backends()).filter((n) => n.endsWith('/listen')).length === 2,
      40_000,
      100,
    );
    const apiHealth = watchHealth(`${api.url}/api/v1/health`);
    const tally = newTally();
    const publishing = publishStream(api.url, 'term', tally, { total: 600, concurrency: 16, gapMs: 2 });
    await eventually(() => tally.acknowledged.length >= 100, 20_000, 20);
    const first = await terminate();
    await eventually(() => tally.acknowledged.length >= 300, 20_000, 20);
    const second = await terminate();
    await publishing;

    expect(first).toBeGreaterThanOrEqual(6);
    expect(second).toBeGreaterThanOrEqual(6);
    const acknowledged = new Set(tally.acknowledged);
    await eventually(() => [...acknowledged].every((id) => receivedIds(receiver!).has(id)), 20_000, 100);
    // The LISTEN connections came back by themselves, and a catch-up claim ran after each.
    await eventually(
      async () => (await backends()).filter((n) => n.endsWith('/listen')).length === 2,
      20_000,
      100,
    );
    await eventually(async () => (await fetch(`${api.url}/api/v1/health`)).status === 204, 10_000);
    await eventually(
      async () => (await fetch(`http://127.0.0.1:${metricsPort}/api/v1/health`)).status === 204,
      10_000,
    );
    await apiHealth.stop();

    expect(tally.unexpected).toEqual([]);
    for (const c of children) expect(c.child.exitCode, c.output().slice(-2000)).toBeNull();
    expect(api.output()).not.toContain('unhandled error');
    // Every answer was true (202 for what was stored, 503 store_unavailable for what was not:
    // `unexpected` is empty), and retrying the refused ones got all 600 stored.
    expect(tally.acknowledged).toHaveLength(600);
  }, 90_000);
});
