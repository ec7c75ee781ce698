import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { STATUS } from '../../../src/store/schema.js';
import { BACKENDS } from '../../support/backends.js';
import { openQueueFixture, outcome, type QueueFixture } from './harness.js';

const LEASE_MS = 60_000;

for (const backend of BACKENDS) {
  describe(`${backend}: queue leases`, () => {
    let q: QueueFixture;
    beforeEach(async () => {
      q = await openQueueFixture(backend);
    });
    afterEach(async () => {
      await q.close();
    });

    it('leaves a delivery alone while its lease runs, and hands it over, marked reclaimed, once it lapses', async () => {
      const app = await q.app();
      const ep = await q.endpoint(app);
      const now = Date.now();
      const id = await q.delivery(app, ep, { dueAt: now - 1 });
      const [first] = await q.store.queue.claim('w1', 10, now, now + 1_000);
      expect(first).toMatchObject({ id, reclaimed: false });
      expect(await q.store.queue.claim('w2', 10, now + 999, now + LEASE_MS)).toEqual([]);
      const [second] = await q.store.queue.claim('w2', 10, now + 1_000, now + 1_000 + LEASE_MS);
      expect(second).toMatchObject({ id, reclaimed: true, attemptCount: 0 });
      expect(await q.row(id)).toMatchObject({
        status: STATUS.sending,
        lease_owner: 'w2',
        due_at: now + 1_000 + LEASE_MS,
      });
    });

    it('gives back what an owner leased but does not hold (a claim whose answer was lost), and nothing else', async () => {
      const app = await q.app();
      const ep = await q.endpoint(app);
      const now = Date.now();
      const [kept, lost, alsoLost] = [
        await q.delivery(app, ep, { dueAt: now - 3 }),
        await q.delivery(app, ep, { dueAt: now - 2 }),
        await q.delivery(app, ep, { dueAt: now - 1 }),
      ];
      expect(await q.store.queue.claim('w1', 3, now, now + LEASE_MS)).toHaveLength(3);
      const others = await q.delivery(app, ep, { dueAt: now + LEASE_MS, leaseOwner: 'w2' });

      expect(await q.store.queue.releaseUnheld('w1', [kept as string], now + 1)).toBe(2);
      expect(await q.row(kept as string)).toMatchObject({ lease_owner: 'w1', due_at: now + LEASE_MS });
      expect(await q.row(others)).toMatchObject({ lease_owner: 'w2', due_at: now + LEASE_MS });
      // Due at once, and the next claim (this worker's own) reports them reclaimed.
      const again = await q.store.queue.claim('w1', 10, now + 1, now + 1 + LEASE_MS);
      expect(again.map((d) => [d.id, d.reclaimed]).sort()).toEqual(
        [
          [lost, true],
          [alsoLost, true],
        ].sort(),
      );
      expect(
        await q.store.queue.releaseUnheld(
          'w1',
          [kept as string, lost as string, alsoLost as string],
          now + 2,
        ),
      ).toBe(0);
    });

    it('takes the lease away from the old owner: its renewals no longer count', async () => {
      const app = await q.app();
      const ep = await q.endpoint(app);
      const now = Date.now();
      const id = await q.delivery(app, ep, { dueAt: now - 1 });
      await q.store.queue.claim('w1', 10, now, now + 10);
      await q.store.queue.claim('w2', 10, now + 20, now + LEASE_MS);
      await q.store.queue.renew('w1', [id], now + 5 * LEASE_MS);
      expect(await q.row(id)).toMatchObject({ lease_owner: 'w2', due_at: now + LEASE_MS });
      await q.store.queue.renew('w2', [id], now + 2 * LEASE_MS);
      expect(await q.row(id)).toMatchObject({ lease_owner: 'w2', due_at: now + 2 * LEASE_MS });
    });

    it('does not call a retry reclaimed: the worker that tried it gave the lease back', async () => {
      const app = await q.app();
      const ep = await q.endpoint(app);
      const now = Date.now();
      const id = await q.delivery(app, ep, { dueAt: now - 1 });
      await q.store.queue.claim('w1', 10, now, now + LEASE_MS);
      await q.store.queue.complete(
        [
          outcome(id, 'w1', {
            status: STATUS.pending,
            attemptCount: 1,
            dueAt: now + 5,
            nextAttemptAt: now + 5,
          }),
        ],
        [],
        Date.now(),
      );
      expect(await q.row(id)).toMatchObject({ status: STATUS.pending, lease_owner: null, due_at: now + 5 });
      const [retry] = await q.store.queue.claim('w2', 10, now + 5, now + LEASE_MS);
      expect(retry).toMatchObject({ id, reclaimed: false, attemptCount: 1 });
    });

    it('renews nothing for an owner that holds nothing, and accepts an empty list', async () => {
      const app = await q.app();
      const ep = await q.endpoint(app);
      const now = Date.now();
      const waiting = await q.delivery(app, ep, { dueAt: now + 5_000 });
      await q.store.queue.renew('w1', [waiting], now + LEASE_MS);
      await q.store.queue.renew('w1', [], now + LEASE_MS);
      expect(await q.row(waiting)).toMatchObject({ lease_owner: null, due_at: now + 5_000 });
    });
  });
}
