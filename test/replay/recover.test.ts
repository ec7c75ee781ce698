import { describe, expect, it } from 'vitest';
import { dueOffset, replayRate } from '../../src/domains/background-task/pacing.js';
import { BACKENDS } from '../support/backends.js';
import { eventually } from '../support/herald.js';
import { heraldWithReceiver } from '../support/scenario.js';
import {
  createApp,
  createEndpoint,
  endpointAttempts,
  endpointMessageStatuses,
  messageIds,
  publish,
  publishMany,
  sleep,
  waitForTask,
} from './support.js';

for (const backend of BACKENDS) {
  describe(`${backend}: a disabled endpoint's backlog and recover`, () => {
    const scenario = heraldWithReceiver(backend);

    it('holds deliveries while disabled and drains them on re-enable, oldest first and paced', async () => {
      const { herald, receiver } = scenario;
      receiver.reset();
      const appId = await createApp(herald);
      const endpointId = await createEndpoint(herald, appId, { url: receiver.url('/backlog') });
      const patch = await herald.api('PATCH', `/api/v1/app/${appId}/endpoint/${endpointId}`, {
        disabled: true,
      });
      expect(patch.status).toBe(200);
      const ids = await publishMany(herald, appId, 120);
      await sleep(500);
      expect(receiver.requests).toHaveLength(0);

      const enabledAt = Date.now();
      const enable = await herald.api('PATCH', `/api/v1/app/${appId}/endpoint/${endpointId}`, {
        disabled: false,
      });
      expect(enable.status).toBe(200);
      expect(enable.body.disabled).toBe(false);
      const received = await receiver.waitForRequests(120, 20_000);
      await sleep(300);
      expect(receiver.requests).toHaveLength(120);
      expect(new Set(messageIds(received))).toEqual(new Set(ids));
      // Each held delivery became due at its turn (oldest message first, at the replay
      // rate), never all at once: none arrived before its place in the schedule.
      const rate = replayRate(null);
      const arrival = new Map(received.map((r) => [r.headers['webhook-id'], r.receivedAt]));
      ids.forEach((id, i) => {
        expect(arrival.get(id)!).toBeGreaterThanOrEqual(enabledAt + dueOffset(i, rate));
      });
      expect(Math.max(...arrival.values()) - enabledAt).toBeGreaterThanOrEqual(dueOffset(119, rate));
    });

    it('recover re-sends exactly the failed deliveries in the window, as manual attempts', async () => {
      const { herald, receiver } = scenario;
      receiver.reset();
      let failing = true;
      receiver.respondWith((req) =>
        failing && JSON.parse(req.body).fail ? { status: 500, body: 'down' } : { status: 200 },
      );
      const appId = await createApp(herald);
      const endpointId = await createEndpoint(herald, appId, { url: receiver.url('/recover') });
      const before = await publish(herald, appId, 'invoice.paid', { fail: true });
      await sleep(20);
      const since = new Date().toISOString();
      await sleep(20);
      const ok = await publish(herald, appId, 'invoice.paid', { fail: false });
      const failedA = await publish(herald, appId, 'invoice.paid', { fail: true });
      const failedB = await publish(herald, appId, 'invoice.paid', { fail: true });
      await sleep(20);
      const until = new Date().toISOString();
      await sleep(20);
      const after = await publish(herald, appId, 'invoice.paid', { fail: true });

      // Four tries each (the test schedule has three retries), then failed for good.
      await eventually(async () => {
        const statuses = await endpointMessageStatuses(herald, appId, endpointId);
        return (
          [before, failedA, failedB, after].every((id) => statuses.get(id) === 2) && statuses.get(ok) === 0
        );
      });
      const attemptsBefore = (await endpointAttempts(herald, appId, endpointId)).length;
      expect(attemptsBefore).toBe(17);

      failing = false;
      receiver.reset();
      receiver.respondWith(() => ({ status: 200 }));
      const res = await herald.api('POST', `/api/v1/app/${appId}/endpoint/${endpointId}/recover`, {
        since,
        until,
      });
      expect(res.status).toBe(202);
      expect(res.body).toMatchObject({ status: 'running', task: 'endpoint.recover' });
      expect(res.body.id).toMatch(/^qtask_[A-Za-z0-9]{27}$/);
      const task = await waitForTask(herald, res.body.id);
      expect(task).toMatchObject({ status: 'finished', data: { count: 2, processed: 2, total: 2 } });

      const received = await receiver.waitForRequests(2);
      await sleep(500);
      expect(messageIds(receiver.requests).sort()).toEqual([failedA, failedB].sort());
      expect(received).toHaveLength(2);

      const attempts = await eventually(async () => {
        const all = await endpointAttempts(herald, appId, endpointId);
        return all.length === attemptsBefore + 2 ? all : null;
      });
      const manual = attempts.filter((a: { triggerType: number }) => a.triggerType === 1);
      expect(manual.map((a: { msgId: string }) => a.msgId).sort()).toEqual([failedA, failedB].sort());
      expect(manual.every((a: { status: number }) => a.status === 0)).toBe(true);
      const statuses = await endpointMessageStatuses(herald, appId, endpointId);
      expect([
        statuses.get(failedA),
        statuses.get(failedB),
        statuses.get(before),
        statuses.get(after),
      ]).toEqual([0, 0, 2, 2]);
    });

    it('refuses a window that ends before it starts, naming until', async () => {
      const { herald, receiver } = scenario;
      const appId = await createApp(herald);
      const endpointId = await createEndpoint(herald, appId, { url: receiver.url('/x') });
      const res = await herald.api('POST', `/api/v1/app/${appId}/endpoint/${endpointId}/recover`, {
        since: '2030-01-02T00:00:00Z',
        until: '2030-01-01T00:00:00Z',
      });
      expect(res.status).toBe(422);
      expect(res.body.detail[0].loc).toEqual(['body', 'until']);
      const bad = await herald.api('POST', `/api/v1/app/${appId}/endpoint/${endpointId}/recover`, {
        since: 'yesterday',
      });
      expect(bad.status).toBe(422);
      expect(bad.body.detail[0].loc).toContain('since');
    });
  });
}
