import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openQueueFixture, outcome, type QueueFixture } from './harness.js';

/**
 * SQLite only, on purpose: the SQLite queue drops its own commits to `synchronous = NORMAL`
 * (see sqlite-queue.ts) and must put the connection back to FULL, or the API's next publish
 * would be acknowledged before it is fsync'd. PostgreSQL has no such per-connection switch
 * in the queue (it never changes `synchronous_commit`), so there is nothing to assert there.
 */
describe('sqlite: queue operations and durability', () => {
  let q: QueueFixture;
  beforeEach(async () => {
    q = await openQueueFixture('sqlite');
  });
  afterEach(async () => {
    await q.close();
  });

  it('leave the connection at synchronous = FULL, so what the API writes next is fsync’d', async () => {
    const level = async () =>
      (await sql<{ synchronous: number }>`PRAGMA synchronous`.execute(q.store.db)).rows[0]?.synchronous;
    const FULL = 2;
    expect(await level()).toBe(FULL);
    const app = await q.app();
    const ep = await q.endpoint(app);
    const id = await q.delivery(app, ep, { dueAt: Date.now() - 1 });
    await q.store.queue.claim('owner', 10, Date.now(), Date.now() + 60_000);
    expect(await level()).toBe(FULL);
    await q.store.queue.renew('owner', [id], Date.now() + 60_000);
    await q.store.queue.complete([outcome(id, 'owner')], [], Date.now());
    await q.store.queue.nextDueAt();
    expect(await level()).toBe(FULL);
  });
});
