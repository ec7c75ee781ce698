import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/backends.js';
import { eventually, startTestHerald, type TestHerald } from '../support/herald.js';
import { type HostileMode, type HostileReceiver, startHostileReceiver } from '../support/hostile-receiver.js';
import { type Receiver, startReceiver } from '../support/receiver.js';
import { heraldWithReceiver } from '../support/scenario.js';

for (const backend of BACKENDS) {
  describe(`${backend}: a receiver answering with bytes a database cannot hold`, () => {
    const scenario = heraldWithReceiver(backend);

    it('records the attempt with NUL shown as U+FFFD, and its batch-mates are delivered once', async () => {
      const { herald, receiver } = scenario;
      await herald.api('POST', '/api/v1/app', { name: 'nul', uid: 'nul' });
      const res = await herald.api('POST', '/api/v1/app/nul/endpoint', { url: receiver.url('/nul') });
      expect(res.status).toBe(201);
      receiver.respondWith(() => ({ status: 200, body: 'ok\u0000done' }));
      const ids: string[] = [];
      for (let i = 0; i < 20; i++) {
        const msg = await herald.api('POST', '/api/v1/app/nul/msg', {
          eventType: 'nul.test',
          payload: { i },
        });
        expect(msg.status).toBe(202);
        ids.push(msg.body.id as string);
      }
      const attempts = await eventually(async () => {
        const rows = await herald.ctx.store.db
          .selectFrom('attempt')
          .select(['msg_id', 'response', 'status'])
          .where(
            'app_id',
            '=',
            (
              await herald.ctx.store.db
                .selectFrom('application')
                .select('id')
                .where('uid', '=', 'nul')
                .executeTakeFirstOrThrow()
            ).id,
          )
          .execute();
        return rows.length === 20 ? rows : null;
      });
      expect(attempts.every((a) => a.response === 'ok\uFFFDdone' && a.status === 0)).toBe(true);
      const shown = await herald.api('GET', `/api/v1/app/nul/attempt/msg/${ids[0]}`);
      expect(shown.body.data[0].response).toBe('ok\uFFFDdone');
      // Nothing was sent twice: the batch was written the first time.
      await new Promise((r) => setTimeout(r, 300));
      expect(receiver.requests.filter((r) => r.path === '/nul')).toHaveLength(20);
    });
  });
}

/** Publishes `count` messages to `uid` from 4 clients at once; returns messages per second. */
async function publishRate(herald: TestHerald, uid: string, count: number): Promise<number> {
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < count) {
        const i = next++;
        const res = await herald.api('POST', `/api/v1/app/${uid}/msg`, {
          eventType: 'rate.test',
          payload: { i },
        });
        expect(res.status).toBe(202);
      }
    }),
  );
  return count / ((performance.now() - started) / 1000);
}

for (const backend of BACKENDS) {
  describe(`${backend}: hostile receivers and the publish rate`, () => {
    let herald: TestHerald;
    let hostile: HostileReceiver;
    let receiver: Receiver;
    beforeAll(async () => {
      herald = await startTestHerald(backend, { config: { HERALD_REQUEST_TIMEOUT_MS: '3000' } });
      hostile = await startHostileReceiver();
      receiver = await startReceiver();
    });
    afterAll(async () => {
      await herald?.stop();
      await hostile?.close();
      await receiver?.close();
    });

    /**
     * Two applications with the same fan-out: `calm-*` to healthy endpoints only, `storm-*` to
     * the same number with all but one hostile in `modes`. Publishing to the stormy one must keep
     * its pace: a generous quarter, measured in the same test, because the hostile servers run in
     * this process too and the machine may be loaded (before the fix, 100,000 headers alone
     * blocked this event loop for ~120 ms a response).
     */
    async function compareRates(tag: string, modes: HostileMode[]) {
      await herald.api('POST', '/api/v1/app', { name: `calm-${tag}`, uid: `calm-${tag}` });
      await herald.api('POST', '/api/v1/app', { name: `storm-${tag}`, uid: `storm-${tag}` });
      for (let i = 0; i <= modes.length; i++)
        await herald.api('POST', `/api/v1/app/calm-${tag}/endpoint`, {
          url: receiver.url(`/calm-${tag}/${i}`),
        });
      await herald.api('POST', `/api/v1/app/storm-${tag}/endpoint`, { url: receiver.url(`/storm-${tag}`) });
      for (const [i, mode] of modes.entries())
        await herald.api('POST', `/api/v1/app/storm-${tag}/endpoint`, {
          url: hostile.url(mode, `${tag}${i}`),
        });
      await publishRate(herald, `calm-${tag}`, 20); // warm-up: connections, caches
      const calm = await publishRate(herald, `calm-${tag}`, 60);
      const loop = monitorEventLoopDelay({ resolution: 10 });
      loop.enable();
      const stormy = await publishRate(herald, `storm-${tag}`, 60);
      loop.disable();
      expect(stormy).toBeGreaterThan(calm * 0.25);
      return { calm, stormy, loopMaxMs: loop.max / 1e6 };
    }

    it('an endless response body does not slow publishing', async () => {
      await compareRates('endless', ['endless-body', 'endless-body', 'garbage-after-headers', 'trickle']);
      const id = (
        await herald.ctx.store.db
          .selectFrom('application')
          .select('id')
          .where('uid', '=', 'storm-endless')
          .executeTakeFirstOrThrow()
      ).id;
      // A 200 with a body cut at the cap: accepted, and the stored body bounded.
      const attempts = await eventually(async () => {
        const rows = await herald.ctx.store.db
          .selectFrom('attempt')
          .select(['url', 'response', 'response_status_code'])
          .where('app_id', '=', id)
          .where('url', 'like', '%endless-body%')
          .execute();
        return rows.length >= 10 ? rows : null;
      });
      expect(attempts.filter((a) => a.response_status_code === 200).length).toBeGreaterThan(0);
      expect(Math.max(...attempts.map((a) => (a.response ?? '').length))).toBeLessThanOrEqual(8 * 1024);
    }, 20_000);

    it('a 10 MB response header is classified and publishing keeps its rate', async () => {
      await compareRates('headers', [
        'huge-header',
        'many-headers',
        'many-headers',
        'malformed',
        'slow-headers',
      ]);
      const id = (
        await herald.ctx.store.db
          .selectFrom('application')
          .select('id')
          .where('uid', '=', 'storm-headers')
          .executeTakeFirstOrThrow()
      ).id;
      const attempts = await eventually(async () => {
        const rows = await herald.ctx.store.db
          .selectFrom('attempt')
          .select(['url', 'error_class', 'response_headers'])
          .where('app_id', '=', id)
          .where('url', 'like', `${hostile.url('hang').slice(0, -'hang'.length)}%`)
          .execute();
        return rows.filter((r) => !r.url.includes('slow-headers')).length >= 10 ? rows : null;
      });
      for (const a of attempts.filter((r) => /huge-header|many-headers/.test(r.url))) {
        expect(a.error_class).toBe('invalid_response');
        expect((a.response_headers ?? '').length).toBeLessThan(5 * 1024);
      }
    }, 20_000);
  });
}
