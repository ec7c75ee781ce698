import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { STATUS } from '../../../src/store/schema.js';
import { BACKENDS } from '../../support/backends.js';
import { openQueueFixture, outcome, type QueueFixture } from './harness.js';

const LEASE_MS = 60_000;

for (const backend of BACKENDS) {
  describe(`${backend}: queue claims what is due, oldest first`, () => {
    let q: QueueFixture;
    beforeEach(async () => {
      q = await openQueueFixture(backend);
    });
    afterEach(async () => {
      await q.close();
    });

    it('claims at most `limit` deliveries, the longest due first, and the rest on the next claim', async () => {
      const app = await q.app();
      const ep = await q.endpoint(app);
      const now = Date.now();
      // Written newest first, so the order claimed comes from due_at, not from insertion.
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push(await q.delivery(app, ep, { dueAt: now - i * 100 }));
      const oldestFirst = [...ids].reverse();
      // Which deliveries a claim takes is the rule; the order it hands them back in is not.
      const first = await q.store.queue.claim('w1', 2, now, now + LEASE_MS);
      expect(first.map((d) => d.id).sort()).toEqual(oldestFirst.slice(0, 2).sort());
      const rest = await q.store.queue.claim('w2', 10, now, now + LEASE_MS);
      expect(rest.map((d) => d.id).sort()).toEqual(oldestFirst.slice(2).sort());
      expect(await q.store.queue.claim('w3', 10, now, now + LEASE_MS)).toEqual([]);
    });

    it('claims a delivery due exactly now, and none with nothing owed', async () => {
      const app = await q.app();
      const ep = await q.endpoint(app);
      const now = Date.now();
      const dueNow = await q.delivery(app, ep, { dueAt: now });
      const done = await q.delivery(app, ep, { dueAt: null });
      const claimed = await q.store.queue.claim('w1', 10, now, now + LEASE_MS);
      expect(claimed.map((d) => d.id)).toEqual([dueNow]);
      expect(await q.row(done)).toMatchObject({ status: STATUS.pending, due_at: null, lease_owner: null });
    });

    it('carries what the send needs, in the one round trip', async () => {
      const app = await q.app();
      const ep = await q.endpoint(app, {
        uid: 'billing',
        headers: { 'x-tenant': 'acme' },
        throttleRate: 7,
      });
      const now = Date.now();
      const id = await q.delivery(app, ep, { dueAt: now - 1 });
      const [claimed] = await q.store.queue.claim('w1', 10, now, now + LEASE_MS);
      const { msg_id } = await q.row(id);
      expect(claimed).toMatchObject({
        id,
        msgId: msg_id,
        appId: app,
        endpointId: ep,
        attemptCount: 0,
        triggerType: 0,
        eventType: 'test.event',
        eventId: null,
        payload: '{"n":1}',
        traceParent: null,
        url: `http://127.0.0.1:9/${ep}`,
        endpointUid: 'billing',
        appUid: null,
        endpointSecrets: '[]',
        endpointDisabled: false,
        endpointThrottleRate: 7,
        reclaimed: false,
      });
      expect(JSON.parse(claimed?.endpointHeaders ?? '')).toEqual({ 'x-tenant': 'acme' });
      expect(typeof claimed?.msgCreatedAt).toBe('number');
      expect(typeof claimed?.endpointUpdatedAt).toBe('number');
    });

    it('claims a disabled endpoint’s delivery and says the endpoint is disabled', async () => {
      // The port leases it like any other; the dispatcher decides (it parks the backlog).
      const app = await q.app();
      const off = await q.endpoint(app, { disabled: true });
      const on = await q.endpoint(app);
      const now = Date.now();
      const parked = await q.delivery(app, off, { dueAt: now - 2 });
      const live = await q.delivery(app, on, { dueAt: now - 1 });
      const claimed = await q.store.queue.claim('w1', 10, now, now + LEASE_MS);
      expect(new Map(claimed.map((d) => [d.id, d.endpointDisabled]))).toEqual(
        new Map([
          [parked, true],
          [live, false],
        ]),
      );
    });

    it('tells when the next delivery falls due, ignoring ones with nothing owed', async () => {
      const app = await q.app();
      const ep = await q.endpoint(app);
      await q.delivery(app, ep, { dueAt: null });
      expect(await q.store.queue.nextDueAt()).toBeNull();
      const now = Date.now();
      const soon = await q.delivery(app, ep, { dueAt: now + 5_000 });
      await q.delivery(app, ep, { dueAt: now + 9_000 });
      expect(await q.store.queue.nextDueAt()).toBe(now + 5_000);
      // Claimed: the lease's end is when it falls due again, should its worker die.
      await q.store.queue.claim('w1', 10, now + 5_000, now + 7_000);
      expect(await q.store.queue.nextDueAt()).toBe(now + 7_000);
      // Finished: nothing owed, so the next is the other one.
      await q.store.queue.complete([outcome(soon, 'w1')], [], Date.now());
      expect(await q.store.queue.nextDueAt()).toBe(now + 9_000);
    });
  });
}
