import { afterEach, describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/backends.js';
import { eventually, startTestHerald, type TestHerald } from '../support/herald.js';
import { type Receiver, startReceiver } from '../support/receiver.js';

for (const backend of BACKENDS) {
  describe(`${backend}: leases`, () => {
    let herald: TestHerald | undefined;
    let receiver: Receiver | undefined;
    afterEach(async () => {
      await herald?.stop();
      await receiver?.close();
    });

    it('reclaims a delivery whose lease expired, and leaves one whose lease has not', async () => {
      receiver = await startReceiver();
      herald = await startTestHerald(backend, { worker: false });
      await herald.api('POST', '/api/v1/app', { name: 'l', uid: 'l' });
      await herald.api('POST', '/api/v1/app/l/endpoint', { url: receiver.url('/') });
      const live = await herald.api('POST', '/api/v1/app/l/msg', {
        eventType: 'a',
        payload: { which: 'live' },
      });
      const dead = await herald.api('POST', '/api/v1/app/l/msg', {
        eventType: 'a',
        payload: { which: 'dead' },
      });
      const { db } = herald.ctx.store;
      const now = Date.now();
      // Another worker holds both: one still within its lease, one whose worker died long ago.
      await db
        .updateTable('delivery')
        .set({ lease_owner: 'other-worker', status: 3, due_at: now + 60_000 })
        .where('msg_id', '=', live.body.id)
        .execute();
      await db
        .updateTable('delivery')
        .set({ lease_owner: 'dead-worker', status: 3, due_at: now - 1_000 })
        .where('msg_id', '=', dead.body.id)
        .execute();

      herald.startWorker();
      await receiver.waitForRequests(1);
      await eventually(
        async () =>
          (
            await db
              .selectFrom('delivery')
              .select('status')
              .where('msg_id', '=', dead.body.id)
              .executeTakeFirstOrThrow()
          ).status === 0,
      );
      await new Promise((r) => setTimeout(r, 500));
      expect(receiver.requests.map((r) => JSON.parse(r.body).which)).toEqual(['dead']);
      const held = await db
        .selectFrom('delivery')
        .selectAll()
        .where('msg_id', '=', live.body.id)
        .executeTakeFirstOrThrow();
      expect(held.lease_owner).toBe('other-worker');
      expect(held.status).toBe(3);
    });
  });
}
