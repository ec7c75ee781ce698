import { type Kysely, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../../src/store/schema.js';
import { BACKENDS } from '../../support/backends.js';
import { eventually } from '../../support/eventually.js';
import { attemptOf, openQueueFixture, outcome, type QueueFixture } from './harness.js';

const LEASE_MS = 60_000;

/**
 * Holds what an endpoint's delete takes first, the endpoint's row, while `write` runs beside it;
 * once `write` waits for that row, tries to take the delivery `id` as the delete's cascade would.
 * Fails with lock_not_available (NOWAIT) if `write` holds the delivery while it waits: the two
 * would deadlock. Then deletes the endpoint and commits, and answers what `write` resolved to.
 */
async function besideDelete(
  db: Kysely<Database>,
  endpointId: string,
  id: string,
  write: () => Promise<unknown>,
) {
  let writing: Promise<unknown> | undefined;
  await db.transaction().execute(async (trx) => {
    await sql`SELECT id FROM endpoint WHERE id = ${endpointId} FOR UPDATE`.execute(trx);
    const { rows } = await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(trx);
    writing = write();
    await eventually(async () => {
      const { rows: waiting } = await sql<{ n: number }>`
        SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE ${rows[0]?.pid}::int = ANY(pg_blocking_pids(pid))`.execute(db);
      return (waiting[0]?.n ?? 0) > 0;
    }, 5_000);
    await sql`SELECT id FROM delivery WHERE id = ${id} FOR UPDATE NOWAIT`.execute(trx);
    await sql`DELETE FROM endpoint WHERE id = ${endpointId}`.execute(trx);
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

    it('complete() waits for the endpoint before it touches its deliveries, so the two cannot deadlock', async () => {
      const app = await q.app();
      const ep = await q.endpoint(app);
      const now = Date.now();
      const id = await q.delivery(app, ep, { dueAt: now - 1 });
      const [claimed] = await q.store.queue.claim('w1', 1, now, now + LEASE_MS);
      if (!claimed) throw new Error('nothing was claimed');
      const health = {
        endpointId: ep,
        lastSuccessAt: now,
        lastFailureAt: null,
        trailingFailures: 0,
        firstTrailingFailureAt: null,
      };

      const after = await besideDelete(q.store.db, ep, id, () =>
        q.store.queue.complete([outcome(id, 'w1', { attempt: attemptOf(claimed) })], [health], Date.now()),
      );

      // The endpoint is gone, its delivery with it; the write went on after the delete, no error.
      expect(after).toEqual([]);
      expect(await q.store.db.selectFrom('delivery').select('id').where('id', '=', id).execute()).toEqual([]);
    });

    it('a line write (resend, recover, replays) waits for the endpoint before it touches its deliveries', async () => {
      const app = await q.app();
      const ep = await q.endpoint(app);
      const id = await q.delivery(app, ep, { dueAt: null });

      const found = await besideDelete(q.store.db, ep, id, () =>
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
