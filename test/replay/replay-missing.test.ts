import { beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/backends.js';
import { heraldWithReceiver } from '../support/scenario.js';
import {
  createApp,
  createEndpoint,
  createEventTypes,
  endpointAttempts,
  messageIds,
  publish,
  sleep,
  waitForTask,
} from './support.js';

for (const backend of BACKENDS) {
  describe(`${backend}: replay-missing`, () => {
    const scenario = heraldWithReceiver(backend);

    beforeAll(async () => {
      await createEventTypes(scenario.herald, ['order.created', 'order.shipped', 'user.deleted']);
    });

    it('sends exactly the never-attempted messages in the window that the current filters match', async () => {
      const { herald, receiver } = scenario;
      receiver.reset();
      const appId = await createApp(herald);
      const outside = await publish(herald, appId, 'order.created', { n: 0 });
      await sleep(20);
      const since = new Date().toISOString();
      await sleep(20);
      // Published before the endpoint existed.
      const early = await publish(herald, appId, 'order.created', { n: 1 });
      const earlyOther = await publish(herald, appId, 'user.deleted', { n: 2 });
      const endpointId = await createEndpoint(herald, appId, {
        url: receiver.url('/missing'),
        filterTypes: ['order.created'],
      });
      // Delivered live: not missing.
      const live = await publish(herald, appId, 'order.created', { n: 3 });
      // Filtered out at the time, wanted once the filter widens.
      const filtered = await publish(herald, appId, 'order.shipped', { n: 4 });
      // Still not wanted after the filter changes.
      const unwanted = await publish(herald, appId, 'user.deleted', { n: 5 });
      await receiver.waitForRequests(1);
      expect(messageIds(receiver.requests)).toEqual([live]);
      const patch = await herald.api('PATCH', `/api/v1/app/${appId}/endpoint/${endpointId}`, {
        filterTypes: ['order.*'],
      });
      expect(patch.status).toBe(200);
      await sleep(20);
      const until = new Date().toISOString();
      await sleep(20);
      const later = await publish(herald, appId, 'order.shipped', { n: 6 });
      await receiver.waitForRequests(2);

      receiver.reset();
      // A dry run counts what the replay will send, and sends nothing.
      const dry = await herald.api('POST', `/api/v1/app/${appId}/endpoint/${endpointId}/replay-missing`, {
        since,
        until,
        dryRun: true,
      });
      expect(dry.status).toBe(202);
      expect(dry.body).toMatchObject({
        status: 'finished',
        task: 'endpoint.replay',
        data: { count: 2, dryRun: true },
      });
      await sleep(300);
      expect(receiver.requests).toHaveLength(0);
      const res = await herald.api('POST', `/api/v1/app/${appId}/endpoint/${endpointId}/replay-missing`, {
        since,
        until,
      });
      expect(res.status).toBe(202);
      expect(res.body).toMatchObject({ status: 'running', task: 'endpoint.replay' });
      const task = await waitForTask(herald, res.body.id);
      expect(task.data).toMatchObject({ count: 2, total: 4, processed: 4 });
      await receiver.waitForRequests(2);
      await sleep(500);
      expect(messageIds(receiver.requests).sort()).toEqual([early, filtered].sort());
      expect([outside, earlyOther, live, unwanted, later]).not.toContain(
        receiver.requests[0]!.headers['webhook-id'],
      );

      const attempts = await endpointAttempts(herald, appId, endpointId);
      const byMsg = new Map(
        attempts.map((a: { msgId: string; triggerType: number }) => [a.msgId, a.triggerType]),
      );
      expect(byMsg.get(early)).toBe(1);
      expect(byMsg.get(filtered)).toBe(1);
      expect(byMsg.get(live)).toBe(0);

      // A second replay finds nothing missing any more.
      receiver.reset();
      const again = await herald.api('POST', `/api/v1/app/${appId}/endpoint/${endpointId}/replay-missing`, {
        since,
      });
      const second = await waitForTask(herald, again.body.id);
      expect(second.data.count).toBe(0);
      await sleep(300);
      expect(receiver.requests).toHaveLength(0);
    });

    it('honours the endpoint channels when replaying', async () => {
      const { herald, receiver } = scenario;
      receiver.reset();
      const appId = await createApp(herald);
      const since = new Date(Date.now() - 1_000).toISOString();
      const onChannel = await publish(herald, appId, 'order.created', {}, { channels: ['eu'] });
      await publish(herald, appId, 'order.created', {}, { channels: ['us'] });
      await publish(herald, appId, 'order.created');
      const endpointId = await createEndpoint(herald, appId, { url: receiver.url('/eu'), channels: ['eu'] });
      const res = await herald.api('POST', `/api/v1/app/${appId}/endpoint/${endpointId}/replay-missing`, {
        since,
      });
      const task = await waitForTask(herald, res.body.id);
      expect(task.data.count).toBe(1);
      await receiver.waitForRequests(1);
      await sleep(300);
      expect(messageIds(receiver.requests)).toEqual([onChannel]);
    });
  });
}
