import { type Kysely, type RawBuilder, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../../src/store/schema.js';
import { BACKENDS } from '../../support/backends.js';
import { eventually } from '../../support/eventually.js';
import { attemptOf, healthOf, openQueueFixture, outcome, type QueueFixture } from './harness.js';

const LEASE_MS = 60_000;

/**
 * A delete as the cascade runs it: it locks the endpoint's row first, then `next` (a row the
 * delete takes after it), then removes what `remove` says.
 */
interface Deleting {
  endpointId: string;
  next: RawBuilder<unknown>;
  remove: RawBuilder<unknown>;
}

/** An endpoint's delete: its row, then its deliveries (`deliveryId` among them). */
const endpointDelete = (endpointId: string, deliveryId: string): Deleting => ({
  endpointId,
  next: sql`SELECT id FROM delivery WHERE id = ${deliveryId} FOR UPDATE NOWAIT`,
  remove: sql`DELETE FROM endpoint WHERE id = ${endpointId}`,
});

/** An application's delete: its endpoints' rows, their deliveries, then its messages (`msgId` among them). */
const applicationDelete = (appId: string, endpointId: string, msgId: string): Deleting => ({
  endpointId,
  next: sql`SELECT id FROM message WHERE id = ${msgId} FOR UPDATE NOWAIT`,
  remove: sql`DELETE FROM application WHERE id = ${appId}`,
});

/**
 * Holds what `deleting` takes first, the endpoint's row, while `write` runs beside it; once `write`
 * waits for that row, takes `deleting.next` (NOWAIT: it fails with lock_not_available if `write`
 * holds it, and the two would deadlock), then removes and commits. Answers what `write` resolved to.
 */
async function besideDelete(db: Kysely<Database>, deleting: Deleting, write: () => Promise<unknown>) {
  let writing: Promise<unknown> | undefined;
  await db.transaction().execute(async (trx) => {
    await sql`SELECT id FROM endpoint WHERE id = ${deleting.endpointId} FOR UPDATE`.execute(trx);
    const { rows } = await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(trx);
    writing = write();
    await eventually(async () => {
      const { rows: waiting } = await sql<{ n: number }>`
        SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE ${rows[0]?.pid}::int = ANY(pg_blocking_pids(pid))`.execute(db);
      return (waiting[0]?.n ?? 0) > 0;
    }, 5_000);
    await deleting.next.execute(trx);
    await deleting.remove.execute(trx);
  });
  return writing;
}

// SQLite has one writer at a time, so a write and a delete cannot hold each other's rows.
for (const backend of BACKENDS.filter((b) => b === 'postgres')) {
  describe(`${backend}: writes to deliveries beside their endpoint's delete`, () => {
    let q: QueueFixture;
    beforeEach(async () => {
      q = await openQueueFixture(backend);
    });
    afterEach(async () => {
      await q.close();
    });

    /** A claimed delivery of a new application's endpoint, and the outcome a worker writes for it. */
    async function inFlight() {
      const app = await q.app();
      const ep = await q.endpoint(app);
      const now = Date.now();
      const id = await q.delivery(app, ep, { dueAt: now - 1 });
      const [claimed] = await q.store.queue.claim('w1', 1, now, now + LEASE_MS);
      if (!claimed) throw new Error('nothing was claimed');
      const write = () =>
        q.store.queue.complete(
          [outcome(id, 'w1', { attempt: attemptOf(claimed) })],
          [healthOf(ep)],
          Date.now(),
        );
      return { app, ep, id, msgId: claimed.msgId, write };
    }
    const deliveries = (id: string) =>
      q.store.db.selectFrom('delivery').select('id').where('id', '=', id).execute();

    it('complete() waits for the endpoint before it touches its deliveries, so the two cannot deadlock', async () => {
      const { ep, id, write } = await inFlight();

      const after = await besideDelete(q.store.db, endpointDelete(ep, id), write);

      // The endpoint is gone, its delivery with it; the write went on after the delete, no error.
      expect(after).toEqual([]);
      expect(await deliveries(id)).toEqual([]);
    });

    it('complete() waits for the endpoints before it records attempts of their messages, as an application’s delete takes them', async () => {
      const { app, ep, id, msgId, write } = await inFlight();

      const after = await besideDelete(q.store.db, applicationDelete(app, ep, msgId), write);

      // Everything went with the application, and the write recorded nothing of it: no error.
      expect(after).toEqual([]);
      expect(await deliveries(id)).toEqual([]);
      expect(await q.attempts(ep)).toEqual([]);
    });

    it('a line write (resend, recover, replays) waits for the endpoint before it touches its deliveries', async () => {
      const app = await q.app();
      const ep = await q.endpoint(app);
      const id = await q.delivery(app, ep, { dueAt: null });

      const found = await besideDelete(q.store.db, endpointDelete(ep, id), () =>
        q.store.db.transaction().execute(async (trx) => {
          const ordering = await q.store.lines.lock(trx, ep);
          // What a replay does next: its deliveries made owed again (none left to write here).
          await trx
            .updateTable('delivery')
            .set({ due_at: Date.now() })
            .where('endpoint_id', '=', ep)
            .execute();
          return ordering;
        }),
      );

      // It read the endpoint after the delete committed: gone, so the write follows no ordering.
      expect(found).toBeUndefined();
    });
  });
}
