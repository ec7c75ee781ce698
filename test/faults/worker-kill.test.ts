import { afterEach, describe, expect, it } from 'vitest';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../support/backends.js';
import { eventually, startTestHerald, type TestHerald } from '../support/herald.js';
import { type HeraldProcess, spawnHerald } from '../support/process.js';
import { type Receiver, startReceiver } from '../support/receiver.js';
import { newTally, publishOne, setUpApp, warmUp } from './support.js';

const HELD = 5;
/** A lease far longer than the heartbeat's death threshold (5 beats of 1 s). */
const ENV = {
  HERALD_LEASE_MS: '60000',
  HERALD_HEARTBEAT_MS: '1000',
  HERALD_WORKER_DEAD_AFTER_MS: '5000',
  // The held requests never time out on the worker's side within the test: only the heartbeat
  // can bring them back (a timeout would retry them and pass this test for the wrong reason).
  HERALD_REQUEST_TIMEOUT_MS: '50000',
};

for (const backend of BACKENDS) {
  describe(`${backend}: a worker killed while it holds leases`, () => {
    let db: TestDatabase | undefined;
    let api: TestHerald | undefined;
    let receiver: Receiver | undefined;
    const children: HeraldProcess[] = [];
    afterEach(async () => {
      for (const c of children.splice(0)) if (c.child.exitCode === null) c.child.kill('SIGKILL');
      await api?.stop();
      api = undefined;
      await receiver?.close();
      await db?.drop();
      db = undefined;
    });

    it('has its deliveries sent again within 10 s (its heartbeat went stale), not after the 60 s lease', async () => {
      receiver = await startReceiver();
      // After the warm-up (request 1), the next requests never get an answer: the worker that
      // sent them holds their leases.
      receiver.respondWith((req) => (req.n > 1 && req.n <= 1 + HELD ? { hang: true } : { status: 200 }));
      let base: string;
      let env: Record<string, string>;
      if (backend === 'sqlite') {
        db = await createTestDatabase('sqlite');
        env = { ...ENV, HERALD_DATABASE_URL: db.url, HERALD_DATA_DIR: db.dataDir };
        const first = await spawnHerald('serve', env);
        children.push(first);
        base = first.url;
      } else {
        api = await startTestHerald('postgres', { worker: false });
        env = { ...ENV, HERALD_DATABASE_URL: api.db.url, HERALD_DATA_DIR: api.db.dataDir };
        children.push(await spawnHerald('worker', env));
        base = api.url;
      }
      const doomed = children[0]!;
      await setUpApp(base, 'k', receiver);
      await warmUp(base, 'k', receiver);
      const tally = newTally();
      for (let n = 0; n < HELD; n++) await publishOne(base, 'k', n, tally);
      expect(tally.acknowledged).toHaveLength(HELD);
      await receiver.waitForRequests(1 + HELD, 40_000);

      // On PostgreSQL a live worker (beating already) finds the dead one; on SQLite, `herald serve` restarted does.
      if (backend === 'postgres') {
        children.push(await spawnHerald('worker', env));
        const { db: store } = api!.ctx.store;
        await eventually(
          async () => (await store.selectFrom('worker').select('owner').execute()).length === 2,
          40_000,
          100,
        );
      }
      doomed.child.kill('SIGKILL');
      const killedAt = Date.now();
      await doomed.exited;
      if (backend === 'sqlite') children.push(await spawnHerald('serve', env));
      // From the kill, or from when the restarted process answers if its start-up took longer than the
      // heartbeat threshold (a start can take seconds on a loaded machine).
      const from = Math.max(killedAt, Date.now() - Number(ENV.HERALD_WORKER_DEAD_AFTER_MS));
      const survivor = children[1]!;

      await eventually(() => receiver!.requests.length >= 1 + 2 * HELD, 15_000, 50);
      const resent = receiver.requests.slice(1 + HELD);
      expect(new Set(resent.map((r) => r.headers['webhook-id']))).toEqual(new Set(tally.acknowledged));
      expect(Math.max(...resent.map((r) => r.receivedAt)) - from).toBeLessThan(10_000);
      await eventually(() => survivor.output().includes('stopped beating'), 5_000);
    }, 90_000);
  });
}
