import { afterEach, describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/backends.js';
import { eventually, startTestHerald, type TestHerald } from '../support/herald.js';
import { type HeraldProcess, spawnHerald } from '../support/process.js';
import { type Receiver, startReceiver } from '../support/receiver.js';
import { newTally, publishOne, setUpApp, warmUp } from './support.js';

const HELD = 4;
const HEARTBEAT_MS = 1_000;
/** Eight beats: on a loaded 2-core machine a resumed process can take a second or two to beat again. */
const DEAD_AFTER_MS = 8_000;
/** Longer than a heartbeat, shorter than the death threshold: a long GC pause, a blocked loop. */
const PAUSE_MS = 2_500;

for (const backend of BACKENDS) {
  describe(`${backend}: a worker that stalls for a while`, () => {
    let api: TestHerald | undefined;
    let receiver: Receiver | undefined;
    const children: HeraldProcess[] = [];
    afterEach(async () => {
      for (const c of children.splice(0)) {
        if (c.child.exitCode === null) {
          c.child.kill('SIGCONT');
          c.child.kill('SIGKILL');
        }
      }
      await api?.stop();
      await receiver?.close();
    });

    it('keeps its leases when its event loop is stopped longer than a heartbeat but less than the threshold', async () => {
      receiver = await startReceiver();
      let answer = () => {};
      const answered = new Promise<void>((resolve) => {
        answer = resolve;
      });
      // After the warm-up (request 1), the held requests are answered only at the end: until then
      // their worker holds the leases.
      receiver.respondWith(async (req) => {
        if (req.n > 1) await answered;
        return { status: 200 };
      });
      api = await startTestHerald(backend, { worker: false });
      const env = {
        HERALD_DATABASE_URL: api.db.url,
        HERALD_DATA_DIR: api.db.dataDir,
        HERALD_LEASE_MS: '60000',
        // The held requests must outlast the whole test without timing out on the worker's side.
        HERALD_REQUEST_TIMEOUT_MS: '50000',
        HERALD_HEARTBEAT_MS: String(HEARTBEAT_MS),
        HERALD_WORKER_DEAD_AFTER_MS: String(DEAD_AFTER_MS),
      };
      const slow = await spawnHerald('worker', env);
      children.push(slow);
      await setUpApp(api.url, 'p', receiver);
      await warmUp(api.url, 'p', receiver);
      const tally = newTally();
      for (let n = 0; n < HELD; n++) await publishOne(api.url, 'p', n, tally);
      await receiver.waitForRequests(1 + HELD, 40_000);
      const other = await spawnHerald('worker', env);
      children.push(other);
      const { db } = api.ctx.store;
      await eventually(
        async () => (await db.selectFrom('worker').select('owner').execute()).length === 2,
        40_000,
        100,
      );
      const leasesBefore = await db
        .selectFrom('delivery')
        .select(['id', 'lease_owner', 'due_at'])
        // The held ones: the warm-up was delivered (status 0).
        .where('status', '!=', 0)
        .orderBy('id')
        .execute();
      expect(new Set(leasesBefore.map((d) => d.lease_owner)).size).toBe(1);

      // SIGSTOP freezes the whole process, timers and all, exactly like a blocked event loop.
      slow.child.kill('SIGSTOP');
      await new Promise((r) => setTimeout(r, PAUSE_MS));
      slow.child.kill('SIGCONT');
      // Past the threshold measured from the stop: a false death would have happened by now.
      await new Promise((r) => setTimeout(r, DEAD_AFTER_MS - PAUSE_MS + 2 * HEARTBEAT_MS));

      const leasesAfter = await db
        .selectFrom('delivery')
        .select(['id', 'lease_owner', 'due_at'])
        // The held ones: the warm-up was delivered (status 0).
        .where('status', '!=', 0)
        .orderBy('id')
        .execute();
      expect(leasesAfter.map((d) => [d.id, d.lease_owner])).toEqual(
        leasesBefore.map((d) => [d.id, d.lease_owner]),
      );
      expect(leasesAfter.every((d) => d.due_at! > Date.now())).toBe(true);
      expect(receiver.requests).toHaveLength(1 + HELD);
      expect(other.output()).not.toContain('stopped beating');

      answer();
      await eventually(
        async () =>
          (await db.selectFrom('delivery').select('status').where('status', '!=', 0).execute()).length === 0,
        10_000,
        100,
      );
      expect(receiver.requests).toHaveLength(1 + HELD);
    }, 90_000);
  });
}
