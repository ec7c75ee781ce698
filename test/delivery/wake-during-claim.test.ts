import { describe, expect, it } from 'vitest';
import type { QueueStore } from '../../src/store/queue.js';
import { createApp, createEndpoint, publish, sleep } from '../replay/support.js';
import { BACKENDS } from '../support/backends.js';
import { eventually } from '../support/herald.js';
import { heraldWithReceiver } from '../support/scenario.js';

/**
 * A wake-up (a new message, a finished request) that arrives while a claim is under way and
 * the claim then comes back short: the worker must still look again when the next row is due.
 * It used to drop its sleep until then, and with nothing in flight nothing woke it again: a
 * re-enabled endpoint's paced backlog stalled after a tick or two on PostgreSQL, whose claim
 * is slow enough for a request to finish during it.
 */
for (const backend of BACKENDS) {
  describe(`${backend}: a wake-up during a claim that comes back short`, () => {
    const scenario = heraldWithReceiver(backend);

    it('still delivers what became due meanwhile', async () => {
      const { herald, receiver } = scenario;
      receiver.reset();
      const appId = await createApp(herald);
      await createEndpoint(herald, appId, { url: receiver.url('/race') });
      const dispatcher = herald.dispatcher!;
      const queue: QueueStore = herald.ctx.store.queue;
      const claim = queue.claim.bind(queue);
      let raced: Promise<string> | null = null;
      queue.claim = async (...args) => {
        const claimed = await claim(...args);
        if (raced === null && claimed.length === 0) {
          // Published after the claim read the queue and before it returns, as a request
          // finishing or a client publishing can be on a busy machine; the store's due signal
          // (and PostgreSQL's NOTIFY echo) lands while the claim is still under way.
          raced = publish(herald, appId, 'race.won');
          await raced;
          dispatcher.wake();
          await sleep(200);
        }
        return claimed;
      };
      try {
        dispatcher.wake();
        // This wake-up can land while the claim the worker started with is still under way (on
        // PostgreSQL, often): when that claim comes back short, the worker must claim again, not
        // sleep until its 5 s idle poll.
        await eventually(() => raced !== null, 2_000);
        const [request] = await receiver.waitForRequests(1, 2_000);
        expect(request?.headers['webhook-id']).toBe(await raced);
      } finally {
        queue.claim = claim;
      }
    });
  });
}
