import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { QueueStore } from '../../../src/store/queue.js';
import { BACKENDS } from '../../support/backends.js';
import { openQueueFixture, type QueueFixture } from './harness.js';

/** The port's optional shared bucket; the cases below run where the backend has one. */
function takeTokensOf(queue: QueueStore): NonNullable<QueueStore['takeTokens']> {
  const take = queue.takeTokens;
  if (!take) throw new Error('this backend has no shared token bucket');
  return take.bind(queue);
}

for (const backend of BACKENDS) {
  describe(`${backend}: queue token buckets`, () => {
    let q: QueueFixture;
    beforeEach(async () => {
      q = await openQueueFixture(backend);
    });
    afterEach(async () => {
      await q.close();
    });

    if (backend === 'sqlite') {
      it('has no shared bucket: one process keeps an endpoint’s bucket in memory', () => {
        expect(q.store.queue.takeTokens).toBeUndefined();
      });
      return;
    }

    /** Empties `key`'s bucket as of `agoMs` before the database's clock. */
    const drainedAgo = (key: string, agoMs: number) =>
      sql`UPDATE rate_limit SET tokens = 0,
            updated_at = (extract(epoch from clock_timestamp()) * 1000)::bigint - ${agoMs}
          WHERE key = ${key}`.execute(q.store.db);

    it('starts a bucket full, one second’s worth, and grants no more than it holds', async () => {
      const take = takeTokensOf(q.store.queue);
      expect(await take('ep_a', 3, 2)).toBe(2);
      // One left; refilling a whole token takes 333 ms, far longer than one round trip here.
      expect(await take('ep_a', 3, 10)).toBe(1);
      expect(await take('ep_a', 3, 1)).toBe(0);
    });

    it('refills at the rate, from the database’s clock', async () => {
      const take = takeTokensOf(q.store.queue);
      await take('ep_a', 10, 10);
      await drainedAgo('ep_a', 500);
      // Half a second at 10/s: at least 5 tokens back (a little more if this machine is slow).
      expect(await take('ep_a', 10, 5)).toBe(5);
      expect(await take('ep_a', 10, 5)).toBeLessThan(5);
    });

    it('never holds more than one second’s worth, however long it sat unused', async () => {
      const take = takeTokensOf(q.store.queue);
      await take('ep_a', 10, 1);
      await drainedAgo('ep_a', 3_600_000);
      expect(await take('ep_a', 10, 1_000)).toBe(10);
    });

    it('is one bucket for every process on the database, and one per key', async () => {
      const mine = takeTokensOf(q.store.queue);
      const theirs = takeTokensOf((await q.openAnotherStore()).queue);
      expect(await mine('ep_a', 1, 1)).toBe(1);
      expect(await theirs('ep_a', 1, 1)).toBe(0);
      expect(await theirs('ep_b', 1, 1)).toBe(1);
    });
  });
}
