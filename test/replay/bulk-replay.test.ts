import { beforeAll, describe, expect, it } from 'vitest';
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
  describe(`${backend}: bulk-replay`, () => {
    const scenario = heraldWithReceiver(backend);
    let appId: string;
    let endpointId: string;
    let since: string;
    const sent = { paidOk: '', paidFail: '', refundOk: '', refundFail: '', voidFail: '' };

    beforeAll(async () => {
      const { herald, receiver } = scenario;
      // Messages whose payload says `fail` get a 503 until they are exhausted.
      receiver.respondWith((req) => (JSON.parse(req.body).fail ? { status: 503 } : { status: 200 }));
      appId = await createApp(herald);
      endpointId = await createEndpoint(herald, appId, { url: receiver.url('/bulk') });
      since = new Date(Date.now() - 1_000).toISOString();
      sent.paidOk = await publish(herald, appId, 'invoice.paid', { fail: false }, { tags: ['vip'] });
      sent.paidFail = await publish(herald, appId, 'invoice.paid', { fail: true }, { channels: ['eu'] });
      sent.refundOk = await publish(herald, appId, 'invoice.refunded', { fail: false }, { channels: ['eu'] });
      sent.refundFail = await publish(herald, appId, 'invoice.refunded', { fail: true }, { tags: ['vip'] });
      sent.voidFail = await publish(herald, appId, 'invoice.voided', { fail: true });
      await eventually(async () => {
        const statuses = await endpointMessageStatuses(herald, appId, endpointId);
        return [sent.paidFail, sent.refundFail, sent.voidFail].every((id) => statuses.get(id) === 2) &&
          [sent.paidOk, sent.refundOk].every((id) => statuses.get(id) === 0)
          ? statuses
          : null;
      });
    });

    const bulkReplay = (body: object) =>
      scenario.herald.api('POST', `/api/v1/app/${appId}/endpoint/${endpointId}/bulk-replay`, {
        since,
        ...body,
      });

    it("a dry run's count equals what the replay then sends", async () => {
      const { herald, receiver } = scenario;
      receiver.reset();
      receiver.respondWith(() => ({ status: 200 }));
      const filters = { status: 2, eventTypes: ['invoice.paid', 'invoice.refunded'] };
      const dry = await bulkReplay({ ...filters, dryRun: true });
      expect(dry.status).toBe(202);
      expect(dry.body).toMatchObject({
        status: 'finished',
        task: 'endpoint.bulk-replay',
        data: { dryRun: true },
      });
      expect(dry.body.data.count).toBe(2);
      const stored = await herald.api('GET', `/api/v1/background-task/${dry.body.id}`);
      expect(stored.body.data).toEqual(dry.body.data);
      await sleep(500);
      expect(receiver.requests).toHaveLength(0);

      const run = await bulkReplay(filters);
      expect(run.status).toBe(202);
      expect(run.body.status).toBe('running');
      const task = await waitForTask(herald, run.body.id);
      expect(task.data.count).toBe(dry.body.data.count);
      await receiver.waitForRequests(dry.body.data.count);
      await sleep(500);
      expect(messageIds(receiver.requests).sort()).toEqual([sent.paidFail, sent.refundFail].sort());
    });

    it('filters by channel, tag and the last response status class', async () => {
      const { herald, receiver } = scenario;
      const count = async (body: object) => {
        const res = await bulkReplay({ ...body, dryRun: true });
        expect(res.status).toBe(202);
        return res.body.data.count as number;
      };
      // After the first test: paidFail and refundFail now succeeded; voidFail is still failed.
      await eventually(async () => {
        const statuses = await endpointMessageStatuses(herald, appId, endpointId);
        return statuses.get(sent.paidFail) === 0 && statuses.get(sent.refundFail) === 0;
      });
      expect(await count({})).toBe(5);
      expect(await count({ channel: 'eu' })).toBe(2);
      expect(await count({ tag: 'vip' })).toBe(2);
      expect(await count({ statusCodeClass: 500 })).toBe(1);
      expect(await count({ statusCodeClass: 200 })).toBe(4);
      expect(await count({ status: 0, tag: 'vip' })).toBe(2);
      expect(await count({ since: new Date(Date.now() + 60_000).toISOString() })).toBe(0);

      receiver.reset();
      const run = await bulkReplay({ statusCodeClass: 500 });
      await waitForTask(herald, run.body.id);
      await receiver.waitForRequests(1);
      await sleep(300);
      expect(messageIds(receiver.requests)).toEqual([sent.voidFail]);
    });

    it('refuses an unknown status code class, naming the field', async () => {
      const res = await bulkReplay({ statusCodeClass: 250 });
      expect(res.status).toBe(422);
      expect(res.body.detail[0].loc).toContain('statusCodeClass');
    });
  });
}
