import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HeraldContext } from '../../../src/context.js';
import { resendMessage } from '../../../src/domains/attempt/resend.js';
import { REPLAY_JOBS } from '../../../src/domains/background-task/jobs.js';
import type { ClaimedDelivery } from '../../../src/store/queue.js';
import { STATUS } from '../../../src/store/schema.js';
import { BACKENDS } from '../../support/backends.js';
import { eventually } from '../../support/herald.js';
import { openPgSession } from '../../support/pg-session.js';
import { openQueueFixture, outcome, type QueueFixture } from './harness.js';

const LEASE_MS = 60_000;

/** Each key's claimed delivery ids, in the order the claim handed them over. */
function byKey(claimed: ClaimedDelivery[]): Record<string, string[]> {
  const keys: Record<string, string[]> = {};
  for (const d of claimed) {
    const key = d.orderingKey ?? 'none';
    keys[key] = [...(keys[key] ?? []), d.id];
  }
  return keys;
}

for (const backend of BACKENDS) {
  describe(`${backend}: queue ordering (FIFO endpoints)`, () => {
    let q: QueueFixture;
    let app: string;
    let ep: string;
    beforeEach(async () => {
      q = await openQueueFixture(backend);
      app = await q.app();
      ep = await q.endpoint(app, { ordering: 'fifo' });
    });
    afterEach(async () => {
      await q.close();
    });

    /** `count` deliveries of `key`, published in that order. */
    async function line(key: string, count: number, now = Date.now()): Promise<string[]> {
      const ids: string[] = [];
      for (let i = 0; i < count; i++)
        ids.push(await q.delivery(app, ep, { orderingKey: key, dueAt: now - 1 }));
      return ids;
    }

    /** A delivery of `key` that exhausted its retries on a key that skips: failed, out of its line. */
    async function skipped(key: string): Promise<string> {
      const id = await q.delivery(app, ep, { orderingKey: key, dueAt: null, status: STATUS.fail });
      await q.store.db.updateTable('delivery').set({ ordering_key: null }).where('id', '=', id).execute();
      return id;
    }

    it("hands over each key's deliveries from its head, in publish order, every key at once", async () => {
      const a = await line('a', 3);
      const b = await line('b', 2);
      const claimed = await q.store.queue.claim('w1', 10, Date.now(), Date.now() + LEASE_MS);
      expect(byKey(claimed)).toEqual({ a, b });
      // Heads first, so a worker starts every key before any key's second delivery.
      expect(
        claimed
          .slice(0, 2)
          .map((d) => d.id)
          .sort(),
      ).toEqual([a[0], b[0]].sort());
      expect(claimed[0]).toMatchObject({
        orderingKey: expect.any(String),
        fifoOnExhausted: 'block',
        fifoBatchSize: 1,
      });
    });

    it('gives another worker nothing of a key while any of its run is leased', async () => {
      const a = await line('a', 3);
      const now = Date.now();
      const first = await q.store.queue.claim('w1', 1, now, now + LEASE_MS);
      expect(first.map((d) => d.id)).toEqual([a[0]]);
      const b = await line('b', 1, now);
      const second = await q.store.queue.claim('w2', 10, now, now + LEASE_MS);
      expect(second.map((d) => d.id)).toEqual(b);
      // The head is delivered: the key's next delivery is its head now.
      await q.store.queue.complete([outcome(a[0]!, 'w1', { leavesLine: true })], [], now);
      expect(await q.row(a[0]!)).toMatchObject({ status: STATUS.success, ordering_key: null });
      const third = await q.store.queue.claim('w2', 10, now, now + LEASE_MS);
      expect(third.map((d) => d.id)).toEqual([a[1], a[2]]);
    });

    it('holds a key whose head waits for a retry or is blocked, and keeps the other keys flowing', async () => {
      const now = Date.now();
      const retrying = await q.delivery(app, ep, { orderingKey: 'retrying', dueAt: now + 30_000 });
      const behindRetry = await line('retrying', 1, now);
      const blocked = await q.delivery(app, ep, { orderingKey: 'blocked', dueAt: null, status: STATUS.fail });
      const behindBlock = await line('blocked', 1, now);
      const free = await line('free', 1, now);
      const claimed = await q.store.queue.claim('w1', 10, now, now + LEASE_MS);
      expect(claimed.map((d) => d.id)).toEqual(free);
      // Recovering the blocked head resumes its key in order: the head first.
      await q.store.db
        .updateTable('delivery')
        .set({ status: STATUS.pending, due_at: now })
        .where('id', '=', blocked)
        .execute();
      const resumed = await q.store.queue.claim('w1', 10, now, now + LEASE_MS);
      expect(resumed.map((d) => d.id)).toEqual([blocked, ...behindBlock]);
      expect((await q.row(behindRetry[0]!)).lease_owner).toBeNull();
      expect((await q.row(retrying)).lease_owner).toBeNull();
    });

    it('stops a run at the first delivery that is not due', async () => {
      const now = Date.now();
      const [head] = await line('a', 1, now);
      await q.delivery(app, ep, { orderingKey: 'a', dueAt: now + 30_000 });
      await line('a', 1, now);
      const claimed = await q.store.queue.claim('w1', 10, now, now + LEASE_MS);
      expect(claimed.map((d) => d.id)).toEqual([head]);
    });

    it("makes a dead worker's run due again, and the key resumes from its head", async () => {
      const now = Date.now();
      const a = await line('a', 2, now);
      await q.store.queue.beat('dead', now - 20_000, now - 30_000);
      await q.store.queue.claim('dead', 10, now - 1, now + LEASE_MS);
      expect(await q.store.queue.claim('live', 10, now, now + LEASE_MS)).toEqual([]);
      await q.store.queue.releaseDead(now, now - 10_000);
      const taken = await q.store.queue.claim('live', 10, now, now + LEASE_MS);
      expect(taken.map((d) => [d.id, d.reclaimed])).toEqual([
        [a[0], true],
        [a[1], true],
      ]);
    });

    it('takes whole batches of one key when the endpoint batches', async () => {
      const batching = await q.endpoint(app, { ordering: 'fifo', fifoBatchSize: 3 });
      const ids: string[] = [];
      for (let i = 0; i < 5; i++)
        ids.push(await q.delivery(app, batching, { orderingKey: 'k', dueAt: Date.now() - 1 }));
      const claimed = await q.store.queue.claim('w1', 10, Date.now(), Date.now() + LEASE_MS);
      expect(claimed.map((d) => d.id)).toEqual(ids.slice(0, 3));
    });

    it("claims a FIFO endpoint a publish named by its keys' heads too", async () => {
      const now = Date.now();
      const a = await line('a', 3, now);
      const first = await q.store.queue.claim('w1', 1, now, now + LEASE_MS, {}, [ep]);
      expect(first.map((d) => d.id)).toEqual([a[0]]);
      expect(await q.store.queue.claim('w2', 10, now, now + LEASE_MS, {}, [ep])).toEqual([]);
    });

    it('serves the keys in turn from one claim to the next', async () => {
      const now = Date.now();
      for (const key of ['a', 'b', 'c']) await line(key, 2, now);
      const served: string[] = [];
      for (let i = 0; i < 6; i++) {
        const [d] = await q.store.queue.claim('w1', 1, now, now + LEASE_MS);
        served.push(d!.orderingKey!);
        await q.store.queue.complete([outcome(d!.id, 'w1', { leavesLine: true })], [], now);
      }
      expect(served).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
    });

    it('lets a delivery that joined a line while in flight leave it once delivered', async () => {
      // Claimed while its endpoint was unordered, so the worker judges it without a key…
      const plain = await q.endpoint(app);
      const now = Date.now();
      const inFlight = await q.delivery(app, plain, { dueAt: now - 2 });
      const [claimed] = await q.store.queue.claim('w1', 10, now, now + LEASE_MS);
      expect(claimed).toMatchObject({ id: inFlight, orderingKey: null });
      // …then the endpoint became FIFO, which put the delivery at the head of key k's line.
      await q.store.db.updateTable('endpoint').set({ ordering: 'fifo' }).where('id', '=', plain).execute();
      await q.store.db
        .updateTable('delivery')
        .set({ ordering_key: 'k' })
        .where('id', '=', inFlight)
        .execute();
      const next = await q.delivery(app, plain, { orderingKey: 'k', dueAt: now - 1 });
      await q.store.queue.complete([outcome(inFlight, 'w1', { leavesLine: false })], [], now);
      const after = await q.store.queue.claim('w1', 10, Date.now(), Date.now() + LEASE_MS);
      expect(after.map((d) => d.id)).toEqual([next]);
    });

    const endpointRow = (id: string) =>
      q.store.db.selectFrom('endpoint').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    /** Sends a delivery's message again, as the recover task or a resend through the API writes it. */
    const sendAgain = {
      async recover(deliveryId: string, now: number) {
        const endpoint = await endpointRow(ep);
        const schedule = { start: now, rate: 1_000 };
        await q.store.db
          .transaction()
          .execute((trx) =>
            REPLAY_JOBS['endpoint.recover']!.apply(trx, q.store.lines, endpoint, [deliveryId], schedule, now),
          );
      },
      async resend(deliveryId: string, now: number) {
        const { msg_id } = await q.row(deliveryId);
        const message = await q.store.db
          .selectFrom('message')
          .selectAll()
          .where('id', '=', msg_id)
          .executeTakeFirstOrThrow();
        const ctx = { store: q.store, now: () => now } as unknown as HeraldContext;
        await resendMessage(ctx, message, await endpointRow(ep));
      },
    };

    for (const how of ['recover', 'resend'] as const)
      it(`gives no worker an older message of a key sent again (${how}) while the key's run is in flight, then sends it before the rest`, async () => {
        const now = Date.now();
        const older = await skipped('a');
        const a = await line('a', 3, now);
        const run = await q.store.queue.claim('w1', 2, now, now + LEASE_MS);
        expect(run.map((d) => d.id)).toEqual([a[0], a[1]]);
        await sendAgain[how](older, now);
        expect(await q.store.queue.claim('w2', 10, now, now + LEASE_MS)).toEqual([]);
        await q.store.queue.complete([outcome(a[0]!, 'w1', { leavesLine: true })], [], now);
        expect(await q.store.queue.claim('w2', 10, now, now + LEASE_MS)).toEqual([]);
        await q.store.queue.complete([outcome(a[1]!, 'w1', { leavesLine: true })], [], now);
        // The run is done: the older message goes first, then the key's message still owed.
        const after = await q.store.queue.claim('w2', 10, now, now + LEASE_MS);
        expect(after.map((d) => d.id)).toEqual([older, a[2]]);
      });

    // PostgreSQL only: there workers claim in parallel with the API's writes (SQLite has one writer).
    if (backend === 'postgres')
      it("makes a resend wait for a claim that holds the key's head, and keeps the run that claim leased ahead", async () => {
        const now = Date.now();
        const older = await skipped('a');
        const a = await line('a', 2, now);
        const claim = await openPgSession(q.url);
        try {
          // A claim of another worker, between locking the key's head and committing the run it leases.
          await claim.query('BEGIN');
          await claim.query('SELECT id FROM delivery WHERE id = $1 FOR UPDATE', [a[0]]);
          let resent = false;
          const resend = sendAgain.resend(older, now).then(() => {
            resent = true;
          });
          await eventually(async () => resent || (await claim.waitingBehind()) > 0);
          expect(resent).toBe(false);
          await claim.query(
            'UPDATE delivery SET status = $1, lease_owner = $2, due_at = $3 WHERE id = ANY($4)',
            [STATUS.sending, 'w1', now + LEASE_MS, a],
          );
          await claim.query('COMMIT');
          await resend;
        } finally {
          await claim.close();
        }
        expect(await q.store.queue.claim('w2', 10, now, now + LEASE_MS)).toEqual([]);
        await q.store.queue.complete(
          a.map((id) => outcome(id, 'w1', { leavesLine: true })),
          [],
          now,
        );
        const after = await q.store.queue.claim('w2', 10, now, now + LEASE_MS);
        expect(after.map((d) => d.id)).toEqual([older]);
      });

    it('keeps a delivery being sent ahead of its key when its endpoint becomes FIFO, and the key waits for it', async () => {
      const plain = await q.endpoint(app);
      const now = Date.now();
      // Published in this order to an unordered endpoint: the first waits for a retry while the
      // second is being sent.
      const first = await q.delivery(app, plain, { orderingKey: 'k', dueAt: now + 30_000 });
      const second = await q.delivery(app, plain, { orderingKey: 'k', dueAt: now - 1 });
      await q.store.db
        .updateTable('delivery')
        .set({ ordering_key: null })
        .where('endpoint_id', '=', plain)
        .execute();
      const taken = await q.store.queue.claim('w1', 10, now, now + LEASE_MS);
      expect(taken.map((d) => d.id)).toEqual([second]);
      await q.store.db.transaction().execute(async (trx) => {
        await q.store.lines.lock(trx, plain);
        await trx.updateTable('endpoint').set({ ordering: 'fifo' }).where('id', '=', plain).execute();
        await q.store.lines.move(trx, plain, 'fifo');
      });
      // The first one's retry comes due: still the key waits for the one being sent.
      await q.store.db.updateTable('delivery').set({ due_at: now }).where('id', '=', first).execute();
      expect(await q.store.queue.claim('w2', 10, now, now + LEASE_MS)).toEqual([]);
      await q.store.queue.complete([outcome(second, 'w1')], [], now);
      const after = await q.store.queue.claim('w2', 10, now, now + LEASE_MS);
      expect(after.map((d) => d.id)).toEqual([first]);
    });

    it('leaves an unordered endpoint of the same application as it was', async () => {
      const plain = await q.endpoint(app);
      const a = await line('a', 2);
      // Due a millisecond apart: rows due at the same moment come in either order.
      const now = Date.now();
      const other = [
        await q.delivery(app, plain, { dueAt: now - 2 }),
        await q.delivery(app, plain, { dueAt: now - 1 }),
      ];
      const claimed = await q.store.queue.claim('w1', 10, Date.now(), Date.now() + LEASE_MS);
      expect(byKey(claimed)).toEqual({ a, none: other });
    });

    it('gives each key to one of two workers claiming at the same moment', async () => {
      const keys = Array.from({ length: 20 }, (_, i) => `k${i}`);
      const now = Date.now();
      for (const key of keys) await line(key, 3, now);
      const other = await q.openAnotherStore();
      const [one, two] = await Promise.all([
        q.store.queue.claim('w1', 30, now, now + LEASE_MS),
        other.queue.claim('w2', 30, now, now + LEASE_MS),
      ]);
      const oneKeys = new Set(one.map((d) => d.orderingKey));
      expect(two.filter((d) => oneKeys.has(d.orderingKey))).toEqual([]);
      for (const run of Object.values({ ...byKey(one), ...byKey(two) })) {
        const rows = await Promise.all(run.map((id) => q.row(id)));
        expect(rows.map((r) => r.msg_id)).toEqual([...rows.map((r) => r.msg_id)].sort());
      }
      // Between them, every key was taken: losing a race for a head moves on, never leaves it.
      expect(new Set([...one, ...two].map((d) => d.orderingKey)).size).toBe(keys.length);
    });
  });
}
