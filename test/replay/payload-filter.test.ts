import { describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/backends.js';
import { eventually } from '../support/herald.js';
import { heraldWithReceiver } from '../support/scenario.js';
import {
  createApp,
  createEndpoint,
  endpointMessageStatuses,
  messageIds,
  publish,
  sleep,
  waitForTask,
} from './support.js';

for (const backend of BACKENDS) {
  describe(`${backend}: replays follow the endpoint's payload filter`, () => {
    const scenario = heraldWithReceiver(backend);

    it('replay-missing sends only the missed messages the filter matches', async () => {
      const { herald, receiver } = scenario;
      receiver.reset();
      const appId = await createApp(herald);
      const since = new Date(Date.now() - 1_000).toISOString();
      const big = await publish(herald, appId, 'invoice.paid', { data: { amount: 500, currency: 'eur' } });
      await publish(herald, appId, 'invoice.paid', { data: { amount: 5, currency: 'eur' } });
      await publish(herald, appId, 'invoice.paid', { data: { amount: 900, currency: 'usd' } });
      const rawBig = await publish(
        herald,
        appId,
        'invoice.paid',
        { data: {} },
        {
          transformationsParams: { rawPayload: '{"data":{"amount":700,"currency":"eur"}}' },
        },
      );
      const endpointId = await createEndpoint(herald, appId, {
        url: receiver.url('/missing'),
        filter: { 'data.amount': { $gte: 100 }, 'data.currency': 'eur' },
      });
      const dry = await herald.api('POST', `/api/v1/app/${appId}/endpoint/${endpointId}/replay-missing`, {
        since,
        dryRun: true,
      });
      expect(dry.body.data).toMatchObject({ count: 2, dryRun: true });
      const res = await herald.api('POST', `/api/v1/app/${appId}/endpoint/${endpointId}/replay-missing`, {
        since,
      });
      const task = await waitForTask(herald, res.body.id);
      expect(task.data).toMatchObject({ count: 2, processed: 4 });
      await receiver.waitForRequests(2);
      await sleep(300);
      expect(messageIds(receiver.requests).sort()).toEqual([big, rawBig].sort());
    });

    it('bulk replay re-sends only the deliveries whose message passes the filter as it is now', async () => {
      const { herald, receiver } = scenario;
      receiver.reset();
      const appId = await createApp(herald);
      const since = new Date(Date.now() - 1_000).toISOString();
      const endpointId = await createEndpoint(herald, appId, { url: receiver.url('/bulk') });
      const eu = await publish(herald, appId, 'order.updated', { data: { region: 'eu' } });
      await publish(herald, appId, 'order.updated', { data: { region: 'us' } });
      // Both delivered and recorded (a delivery being sent is not replayed).
      await eventually(async () =>
        [...(await endpointMessageStatuses(herald, appId, endpointId)).values()].join() === '0,0'
          ? true
          : null,
      );
      const patch = await herald.api('PATCH', `/api/v1/app/${appId}/endpoint/${endpointId}`, {
        filter: { 'data.region': 'eu' },
      });
      expect(patch.status).toBe(200);
      receiver.reset();
      const res = await herald.api('POST', `/api/v1/app/${appId}/endpoint/${endpointId}/bulk-replay`, {
        since,
      });
      const task = await waitForTask(herald, res.body.id);
      expect(task.data).toMatchObject({ count: 1, processed: 2 });
      await receiver.waitForRequests(1);
      await sleep(300);
      expect(messageIds(receiver.requests)).toEqual([eu]);
    });
  });
}
