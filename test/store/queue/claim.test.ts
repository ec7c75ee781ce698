import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { STATUS } from '../../../src/store/schema.js';
import { BACKENDS } from '../../support/backends.js';
import { openQueueFixture, type QueueFixture } from './harness.js';

const LEASE_MS = 60_000;

for (const backend of BACKENDS) {
  describe(`${backend}: queue claim, complete and renew`, () => {
    let q: QueueFixture;
    beforeEach(async () => {
      q = await openQueueFixture(backend);
    });
    afterEach(async () => {
      await q.close();
    });

    it('claims due deliveries under a lease and leaves ones not yet due', async () => {
      const app = await q.app();
      const ep = await q.endpoint(app);
      const now = Date.now();
      const due = await q.delivery(app, ep, { dueAt: now - 1 });
      const later = await q.delivery(app, ep, { dueAt: now + 60_000 });
      const claimed = await q.store.queue.claim('w1', 10, now, now + LEASE_MS);
      expect(claimed.map((d) => d.id)).toEqual([due]);
      expect(claimed[0]).toMatchObject({
        appId: app,
        endpointId: ep,
        reclaimed: false,
        endpointDisabled: false,
      });
      expect(await q.row(due)).toMatchObject({
        status: STATUS.sending,
        lease_owner: 'w1',
        due_at: now + LEASE_MS,
      });
      expect(await q.row(later)).toMatchObject({ status: STATUS.pending, lease_owner: null });
      expect(await q.store.queue.claim('w2', 10, now, now + LEASE_MS)).toEqual([]);
    });

    it('claims from the endpoints it is given alone, within the shares, leaving the rest due', async () => {
      const appA = await q.app();
      const appB = await q.app();
      const named = await q.endpoint(appB);
      const other = await q.endpoint(appA);
      const idle = await q.endpoint(appB);
      const capped = await q.endpoint(appB);
      const now = Date.now();
      const wanted = [
        await q.delivery(appB, named, { dueAt: now - 2 }),
        await q.delivery(appB, named, { dueAt: now - 1 }),
      ];
      const left = await q.delivery(appA, other, { dueAt: now - 5 });
      await q.delivery(appB, idle, { dueAt: now + 60_000 });
      const held = await q.delivery(appB, capped, { dueAt: now - 3 });
      const claimed = await q.store.queue.claim(
        'w1',
        10,
        now,
        now + LEASE_MS,
        { endpoints: { [capped]: 0 } },
        [named, idle, capped],
      );
      expect(claimed.map((d) => d.id)).toEqual(wanted);
      expect(await q.row(left)).toMatchObject({ lease_owner: null, due_at: now - 5 });
      expect(await q.row(held)).toMatchObject({ lease_owner: null, due_at: now - 3 });
      // The full claim still finds what the narrow one left.
      const rest = await q.store.queue.claim('w1', 10, now, now + LEASE_MS);
      expect(rest.map((d) => d.id).sort()).toEqual([left, held].sort());
    });

    it('drops an outcome written by an owner whose lease was taken over', async () => {
      const app = await q.app();
      const ep = await q.endpoint(app);
      const now = Date.now();
      const id = await q.delivery(app, ep, { dueAt: now - 1 });
      await q.store.queue.claim('w1', 10, now, now + 10);
      // w1's lease lapsed and w2 took the delivery: w1's late outcome must not overwrite it.
      const [taken] = await q.store.queue.claim('w2', 10, now + 20, now + LEASE_MS);
      expect(taken).toMatchObject({ id, reclaimed: true });
      const outcome = (owner: string, status: number) => ({
        deliveryId: id,
        owner,
        status,
        attemptCount: 1,
        dueAt: null,
        nextAttemptAt: null,
        attempt: null,
      });
      await q.store.queue.complete([outcome('w1', STATUS.fail)], [], Date.now());
      expect(await q.row(id)).toMatchObject({ status: STATUS.sending, lease_owner: 'w2' });
      await q.store.queue.complete([outcome('w2', STATUS.success)], [], Date.now());
      expect(await q.row(id)).toMatchObject({ status: STATUS.success, lease_owner: null, due_at: null });
    });

    it('renews only the leases its owner still holds', async () => {
      const app = await q.app();
      const ep = await q.endpoint(app);
      const now = Date.now();
      const mine = await q.delivery(app, ep, { dueAt: now - 1 });
      await q.store.queue.claim('w1', 10, now, now + LEASE_MS);
      const theirs = await q.delivery(app, ep, { dueAt: now + 5_000, leaseOwner: 'w2' });
      await q.store.queue.renew('w1', [mine, theirs], now + 2 * LEASE_MS);
      expect((await q.row(mine)).due_at).toBe(now + 2 * LEASE_MS);
      expect((await q.row(theirs)).due_at).toBe(now + 5_000);
    });

    it('tells when the next delivery falls due', async () => {
      expect(await q.store.queue.nextDueAt()).toBeNull();
      const app = await q.app();
      const ep = await q.endpoint(app);
      const at = Date.now() + 30_000;
      await q.delivery(app, ep, { dueAt: at });
      await q.delivery(app, ep, { dueAt: at + 1 });
      expect(await q.store.queue.nextDueAt()).toBe(at);
    });
  });
}
