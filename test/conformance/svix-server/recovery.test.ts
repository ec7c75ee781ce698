import { describe, expect, it } from 'vitest';
import { BACKENDS } from '../../support/backends.js';
import { eventually } from '../../support/herald.js';
import { svixServer } from './harness.js';

/** Svix's recovery cases from `e2e_endpoint.rs`. */
for (const backend of BACKENDS) {
  describe(`${backend}: Svix e2e_endpoint recovery`, () => {
    const svix = svixServer(backend);

    // test_recovery_should_fail_if_start_time_too_old
    it('refuses to recover from a `since` older than 14 days (422 naming since)', async () => {
      const app = await svix.createApp('app1');
      const ep = await svix.createEndpoint(app.id, svix.receiver.url('/old'));
      const since = new Date(Date.now() - 21 * 86_400_000).toISOString();
      const res = await svix.api('POST', `/api/v1/app/${app.id}/endpoint/${ep.id}/recover/`, { since });
      expect(res.status).toBe(422);
      expect(res.body.detail[0].loc).toEqual(['body', 'since']);
      // Just within the limit (14 days back) is accepted.
      const recent = new Date(Date.now() - 14 * 86_400_000).toISOString();
      expect(
        (await svix.api('POST', `/api/v1/app/${app.id}/endpoint/${ep.id}/recover/`, { since: recent }))
          .status,
      ).toBe(202);
    });

    // test_recovery_expected_retry_counts
    it('recovers a failed message sent after `since`, and none sent before it', async () => {
      const app = await svix.createApp('app1');
      svix.receiver.respondWith((req) => ({ status: req.path === '/recover' ? 500 : 200 }));
      try {
        const ep = await svix.createEndpoint(app.id, svix.receiver.url('/recover'));
        const base = svix.herald.ctx.config.retrySchedule.length + 1;
        const beforeMsg = new Date(Date.now() - 1000).toISOString();
        const msg = await svix.createMessage(app.id, { test: 'data1' });
        await svix.attemptsOf(app.id, msg.id, base);
        // Let the delivery settle as failed before recovering.
        await eventually(async () => {
          const res = await svix.api('GET', `/api/v1/app/${app.id}/endpoint/${ep.id}/msg/?status=2`);
          return res.body.data.length === 1;
        });
        const recover = async (since: string) => {
          const task = await svix.api('POST', `/api/v1/app/${app.id}/endpoint/${ep.id}/recover/`, { since });
          expect(task.status).toBe(202);
          await eventually(
            async () =>
              (await svix.api('GET', `/api/v1/background-task/${task.body.id}`)).body.status === 'finished',
          );
        };
        const afterMsg = new Date().toISOString();
        await new Promise((r) => setTimeout(r, 10));
        await recover(afterMsg);
        expect(await svix.attemptsOf(app.id, msg.id, base)).toHaveLength(base);
        await recover(beforeMsg);
        // Herald difference: a recovered delivery gets a fresh retry schedule (Svix tries it once
        // more), so against a receiver still failing it is tried `base` more times.
        expect(await svix.attemptsOf(app.id, msg.id, 2 * base)).toHaveLength(2 * base);
      } finally {
        await svix.api('DELETE', `/api/v1/app/${app.id}/`);
        svix.receiver.reset();
      }
    });
  });
}
