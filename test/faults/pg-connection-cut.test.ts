import { afterEach, describe, expect, it } from 'vitest';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../support/backends.js';
import { eventually } from '../support/herald.js';
import { freePort, type HeraldProcess, spawnHerald } from '../support/process.js';
import { type Receiver, startReceiver } from '../support/receiver.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { linesWith, newTally, publishStream, receivedIds, setUpApp, watchHealth } from './support.js';

const CUT_MS = 3_000;
/**
 * Messages acknowledged through the drain. The issue asks for a few thousand; on the shared
 * 2-core machine (load ~25) the API publishes ~50/s on PostgreSQL, so this keeps the test
 * near 30 s. The bench script (bench/faults/pg-restart.ts) drains thousands.
 */
const MESSAGES = 800;

describe.runIf(BACKENDS.includes('postgres'))('postgres: every connection cut mid-drain, twice', () => {
  let db: TestDatabase | undefined;
  let proxy: TcpProxy | undefined;
  let receiver: Receiver | undefined;
  const children: HeraldProcess[] = [];
  afterEach(async () => {
    for (const c of children.splice(0)) if (c.child.exitCode === null) c.child.kill('SIGKILL');
    await proxy?.close();
    await receiver?.close();
    await db?.drop();
  });

  it('keeps every process up, answers 503 while cut, delivers everything acknowledged and resumes by itself', async () => {
    db = await createTestDatabase('postgres');
    const direct = new URL(db.url);
    proxy = await startTcpProxy(direct.hostname, Number(direct.port || 5432));
    const proxied = new URL(db.url);
    proxied.port = String(proxy.port);
    receiver = await startReceiver();
    const env = {
      HERALD_DATABASE_URL: proxied.toString(),
      HERALD_DATA_DIR: db.dataDir,
      HERALD_LOG_LEVEL: 'info',
      HERALD_REQUEST_TIMEOUT_MS: '5000',
      HERALD_RETRY_SCHEDULE: '0.2,0.2,0.2',
    };
    const api = await spawnHerald('api', env);
    children.push(api);
    const metricsPorts = [await freePort(), await freePort()];
    const workers = await Promise.all(
      metricsPorts.map((port) => spawnHerald('worker', { ...env, HERALD_METRICS_PORT: String(port) })),
    );
    children.push(...workers);
    await setUpApp(api.url, 'cut', receiver);
    // Both workers have opened their store (a worker that cannot reach the database at start-up
    // stops with one line, by design: the cut must come after start-up to test riding it out).
    const ready = async (port: number) =>
      (await fetch(`http://127.0.0.1:${port}/api/v1/health`).catch(() => null))?.status === 204;
    await eventually(async () => (await Promise.all(metricsPorts.map(ready))).every(Boolean), 40_000, 100);

    const apiHealth = watchHealth(`${api.url}/api/v1/health`);
    const workerHealth = watchHealth(`http://127.0.0.1:${metricsPorts[0]}/api/v1/health`);
    const tally = newTally();
    const publishing = publishStream(api.url, 'cut', tally, { total: MESSAGES, concurrency: 16, gapMs: 2 });
    await eventually(() => tally.acknowledged.length >= 150, 20_000, 20);
    await proxy.cut(CUT_MS);
    await eventually(() => tally.acknowledged.length >= 400, 20_000, 20);
    await proxy.cut(CUT_MS);
    await publishing;

    const acknowledged = new Set(tally.acknowledged);
    await eventually(() => [...acknowledged].every((id) => receivedIds(receiver!).has(id)), 20_000, 100);
    await eventually(() => apiHealth.seen.at(-1) === 204 && workerHealth.seen.at(-1) === 204, 10_000);
    await apiHealth.stop();
    await workerHealth.stop();

    expect(tally.unexpected).toEqual([]);
    expect(tally.unavailable).toBeGreaterThan(0);
    expect(apiHealth.seen).toContain(503);
    expect(workerHealth.seen).toContain(503);
    for (const c of children) expect(c.child.exitCode, c.output().slice(-2000)).toBeNull();
    // One line when each outage starts and one when it ends, not one per refused request.
    for (const c of children) {
      const outages = linesWith(c.output(), 'database outage:');
      expect(outages).toBeGreaterThanOrEqual(1);
      expect(outages).toBeLessThanOrEqual(4);
      // A process with nothing to probe for finds out at its next retry (5 s at most).
      await eventually(() => linesWith(c.output(), 'database is back:') === outages, 10_000, 100);
    }
    expect(linesWith(api.output(), 'unhandled error')).toBe(0);
  }, 90_000);
});
