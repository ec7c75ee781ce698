import { describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/backends.js';
import { eventually } from '../support/herald.js';
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
