import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { STATUS } from '../../../src/store/schema.js';
import { BACKENDS } from '../../support/backends.js';
import { openQueueFixture, outcome, type QueueFixture } from './harness.js';

const LEASE_MS = 60_000;
const DEAD_AFTER_MS = 10_000;

for (const backend of BACKENDS) {
  describe(`${backend}: queue heartbeats`, () => {
    let q: QueueFixture;
    beforeEach(async () => {
      q = await openQueueFixture(backend);
    });
    afterEach(async () => {
      await q.close();
    });

    const workers = () => q.store.db.selectFrom('worker').selectAll().orderBy('owner').execute();

    it('records a beat, keeps the start time and never moves the beat back', async () => {
      const now = Date.now();
      await q.store.queue.beat('w1', now, now - 5);
      await q.store.queue.beat('w1', now + 2_000, now + 2_000);
      await q.store.queue.beat('w1', now + 1_000, now + 1_000);
      expect(await workers()).toEqual([{ owner: 'w1', started_at: now - 5, heartbeat_at: now + 2_000 }]);
    });

    it("makes a dead worker's leased deliveries due now, keeps their owner, and reports them reclaimed", async () => {
      const app = await q.app();
      const ep = await q.endpoint(app);
      const now = Date.now();
      const leased = await q.delivery(app, ep, { dueAt: now - 1 });
      const scheduled = await q.delivery(app, ep, { dueAt: now + 30_000 });
      await q.store.queue.beat('dead', now - 20_000, now - 30_000);
      await q.store.queue.claim('dead', 1, now - 1, now + LEASE_MS);
      expect(await q.store.queue.claim('live', 10, now, now + LEASE_MS)).toEqual([]);

      const result = await q.store.queue.releaseDead(now, now - DEAD_AFTER_MS);
      expect(result).toEqual({ owners: ['dead'], released: 1 });
      expect(await q.row(leased)).toMatchObject({ status: STATUS.sending, lease_owner: 'dead', due_at: now });
      // A retry scheduled for later, leased by nobody, stays where it was.
      expect(await q.row(scheduled)).toMatchObject({ lease_owner: null, due_at: now + 30_000 });
      expect(await workers()).toEqual([]);
      const [taken] = await q.store.queue.claim('live', 10, now, now + LEASE_MS);
      expect(taken).toMatchObject({ id: leased, reclaimed: true });
    });

    it('leaves the leases of a worker that beat within the threshold', async () => {
      const app = await q.app();
      const ep = await q.endpoint(app);
      const now = Date.now();
      const id = await q.delivery(app, ep, { dueAt: now - 1 });
      // Late by more than one beat but less than the threshold: slow, not dead.
      await q.store.queue.beat('slow', now - DEAD_AFTER_MS + 1_000, now - 60_000);
      await q.store.queue.claim('slow', 10, now - 1, now + LEASE_MS);
      expect(await q.store.queue.releaseDead(now, now - DEAD_AFTER_MS)).toEqual({ owners: [], released: 0 });
      expect(await q.row(id)).toMatchObject({ lease_owner: 'slow', due_at: now + LEASE_MS });
      expect((await workers()).map((w) => w.owner)).toEqual(['slow']);
    });

    it('lets a late outcome of a worker judged dead land when nobody took the delivery over', async () => {
      const app = await q.app();
      const ep = await q.endpoint(app);
      const now = Date.now();
      const id = await q.delivery(app, ep, { dueAt: now - 1 });
      await q.store.queue.beat('paused', now - 20_000, now - 20_000);
      await q.store.queue.claim('paused', 10, now - 1, now + LEASE_MS);
      await q.store.queue.releaseDead(now, now - DEAD_AFTER_MS);
      await q.store.queue.complete([outcome(id, 'paused')], [], now);
      expect(await q.row(id)).toMatchObject({ status: STATUS.success, lease_owner: null, due_at: null });
      // It beats again after its pause and is a live worker once more.
      await q.store.queue.beat('paused', now + 1, now - 20_000);
      expect((await workers()).map((w) => w.owner)).toEqual(['paused']);
    });

    it('removes the row of a worker that stops cleanly, and nothing of another', async () => {
      const now = Date.now();
      await q.store.queue.beat('w1', now, now);
      await q.store.queue.beat('w2', now, now);
      await q.store.queue.leave('w1');
      expect((await workers()).map((w) => w.owner)).toEqual(['w2']);
    });
  });
}
