import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newId } from '../../../src/core/ids.js';
import { STATUS, TRIGGER } from '../../../src/store/schema.js';
import { BACKENDS } from '../../support/backends.js';
import { openQueueFixture, type QueueFixture } from './harness.js';

const LEASE_MS = 60_000;

/** `count` due deliveries to each of `endpoints`, written in one statement per table. */
async function backlog(q: QueueFixture, appId: string, endpoints: string[], count: number, dueAt: number) {
  const messages = [];
  const deliveries = [];
  for (const endpointId of endpoints) {
    for (let i = 0; i < count; i++) {
      const msgId = newId('msg');
      messages.push({
        id: msgId,
        app_id: appId,
        event_type: 'test.event',
        event_id: null,
        payload: '{}',
        channels: null,
        tags: null,
        created_at: dueAt,
        payload_expires_at: dueAt + 86_400_000,
        trace_parent: null,
      });
      deliveries.push({
        id: newId('dlv'),
        msg_id: msgId,
        endpoint_id: endpointId,
        app_id: appId,
        status: STATUS.pending,
        attempt_count: 0,
        due_at: dueAt,
        lease_owner: null,
        trigger_type: TRIGGER.scheduled,
        next_attempt_at: null,
        created_at: dueAt,
        updated_at: dueAt,
      });
    }
  }
  for (let i = 0; i < messages.length; i += 500) {
    await q.store.db
      .insertInto('message')
      .values(messages.slice(i, i + 500))
      .execute();
    await q.store.db
      .insertInto('delivery')
      .values(deliveries.slice(i, i + 500))
      .execute();
  }
}

async function endpoints(q: QueueFixture, appId: string, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push(await q.endpoint(appId));
  return ids;
}

const count = (ids: string[]) => {
  const out = new Map<string, number>();
  for (const id of ids) out.set(id, (out.get(id) ?? 0) + 1);
  return out;
};

for (const backend of BACKENDS) {
  describe(`${backend}: queue fairness`, () => {
    let q: QueueFixture;
    beforeEach(async () => {
      q = await openQueueFixture(backend);
    });
    afterEach(async () => {
      await q.close();
    });

    it("a claim with a backlog of 10,000 for one application still includes another application's due delivery", async () => {
      const now = Date.now();
      const noisy = await q.app();
      await backlog(q, noisy, await endpoints(q, noisy, 100), 100, now - 60_000);
      const quiet = await q.app();
      const [quietEndpoint] = await endpoints(q, quiet, 1);
      const late = await q.delivery(quiet, quietEndpoint as string, { dueAt: now - 1 });
      const claimed = await q.store.queue.claim('w1', 256, now, now + LEASE_MS);
      expect(claimed).toHaveLength(256);
      // Handed over among the first: the worker starts requests in claim order.
      expect(claimed.slice(0, 2).map((d) => d.id)).toContain(late);
    });

    it('shares a claim evenly across applications and across endpoints, whatever their backlog', async () => {
      const now = Date.now();
      const big = await q.app();
      const bigEndpoints = await endpoints(q, big, 4);
      await backlog(q, big, bigEndpoints, 50, now - 1_000);
      const small = await q.app();
      const [smallEndpoint] = await endpoints(q, small, 1);
      await backlog(q, small, [smallEndpoint as string], 50, now);
      const claimed = await q.store.queue.claim('w1', 40, now, now + LEASE_MS);
      const byApp = count(claimed.map((d) => d.appId));
      expect(byApp.get(big)).toBe(20);
      expect(byApp.get(small)).toBe(20);
      const byEndpoint = count(claimed.filter((d) => d.appId === big).map((d) => d.endpointId));
      expect([...byEndpoint.values()]).toEqual([5, 5, 5, 5]);
      // Each endpoint's rows in due order, none skipped.
      expect(claimed.filter((d) => d.appId === small)).toHaveLength(20);
    });

    it('gives a lone endpoint the whole claim (the drain is not held back)', async () => {
      const now = Date.now();
      const app = await q.app();
      const [ep] = await endpoints(q, app, 1);
      await backlog(q, app, [ep as string], 300, now - 1);
      expect(await q.store.queue.claim('w1', 256, now, now + LEASE_MS)).toHaveLength(256);
      expect(await q.store.queue.claim('w1', 256, now, now + LEASE_MS)).toHaveLength(44);
    });

    it('serves every endpoint in turn when there are more endpoints than a claim holds', async () => {
      const now = Date.now();
      const app = await q.app();
      const many = await endpoints(q, app, 30);
      await backlog(q, app, many, 3, now - 1);
      const seen = new Set<string>();
      for (let i = 0; i < 3; i++) {
        const claimed = await q.store.queue.claim('w1', 10, now, now + LEASE_MS);
        expect(new Set(claimed.map((d) => d.endpointId)).size).toBe(10);
        for (const d of claimed) seen.add(d.endpointId);
      }
      expect(seen.size).toBe(30);
    });

    it('takes no more of an application or an endpoint than the shares allow', async () => {
      const now = Date.now();
      const full = await q.app();
      const [fullEndpoint] = await endpoints(q, full, 1);
      await backlog(q, full, [fullEndpoint as string], 20, now - 1);
      const other = await q.app();
      const [slow, fast] = await endpoints(q, other, 2);
      await backlog(q, other, [slow as string, fast as string], 20, now - 1);
      const claimed = await q.store.queue.claim('w1', 30, now, now + LEASE_MS, {
        perEndpoint: 8,
        apps: { [full]: 0 },
        endpoints: { [slow as string]: 1 },
      });
      const byEndpoint = count(claimed.map((d) => d.endpointId));
      expect(byEndpoint.get(fullEndpoint as string)).toBeUndefined();
      expect(byEndpoint.get(slow as string)).toBe(1);
      expect(byEndpoint.get(fast as string)).toBe(8);
      // What was not taken is still due for the next claim.
      expect((await q.store.queue.claim('w1', 100, now, now + LEASE_MS)).length).toBe(60 - 9);
    });

    it('gives a listed endpoint its own share, above perEndpoint (the cap of endpoints it does not list)', async () => {
      // The worker lists the endpoints it has lanes for (their capacity) and caps only the ones it
      // has not heard from with perEndpoint: capping a listed fast endpoint too held a drain to a
      // trickle of 32-row claims.
      const now = Date.now();
      const app = await q.app();
      const [known, unknown] = await endpoints(q, app, 2);
      await backlog(q, app, [known as string, unknown as string], 30, now - 1);
      const claimed = await q.store.queue.claim('w1', 100, now, now + LEASE_MS, {
        perEndpoint: 4,
        endpoints: { [known as string]: 25 },
      });
      const byEndpoint = count(claimed.map((d) => d.endpointId));
      expect(byEndpoint.get(known as string)).toBe(25);
      expect(byEndpoint.get(unknown as string)).toBe(4);
    });

    it('never claims a delivery leased to another worker, nor one not yet due', async () => {
      const now = Date.now();
      const app = await q.app();
      const [ep] = await endpoints(q, app, 1);
      await q.delivery(app, ep as string, { dueAt: now + 5_000, leaseOwner: 'w2' });
      await q.delivery(app, ep as string, { dueAt: now + 60_000 });
      const due = await q.delivery(app, ep as string, { dueAt: now - 1 });
      expect((await q.store.queue.claim('w1', 10, now, now + LEASE_MS)).map((d) => d.id)).toEqual([due]);
    });

    if (backend === 'postgres') {
      it('two workers claiming at once share the backlog, include the other application, and never take a row twice', async () => {
        const now = Date.now();
        const noisy = await q.app();
        await backlog(q, noisy, await endpoints(q, noisy, 20), 50, now - 60_000);
        const quiet = await q.app();
        const [quietEndpoint] = await endpoints(q, quiet, 1);
        const late = await q.delivery(quiet, quietEndpoint as string, { dueAt: now - 1 });
        const other = await q.openAnotherStore();
        const [a, b] = await Promise.all([
          q.store.queue.claim('w1', 100, now, now + LEASE_MS),
          other.queue.claim('w2', 100, now, now + LEASE_MS),
        ]);
        const ids = [...(a ?? []), ...(b ?? [])].map((d) => d.id);
        expect(new Set(ids).size).toBe(ids.length);
        expect(ids.length).toBe(200);
        expect(ids).toContain(late);
      });
    }
  });
}
