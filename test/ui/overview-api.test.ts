import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/backends.js';
import { eventually, startTestHerald, type TestHerald } from '../support/herald.js';
import { type Receiver, startReceiver } from '../support/receiver.js';

interface Overview {
  window: string;
  bucketSeconds: number;
  buckets: Array<{ start: string; succeeded: number; failed: number }>;
  queue: { due: number; scheduled: number; inFlight: number; held: number; oldestDueAt: string | null };
  disabledEndpoints: Array<{
    appId: string;
    endpointId: string;
    url: string;
    disabledAt: string;
    reason: string;
  }>;
}

const sum = (o: Overview, key: 'succeeded' | 'failed') => o.buckets.reduce((n, b) => n + b[key], 0);

for (const backend of BACKENDS) {
  describe(`${backend}: the operator overview (GET /api/v1/stats/overview)`, () => {
    let herald: TestHerald;
    let receiver: Receiver;
    let appId: string;
    let failing: { id: string; url: string };

    beforeAll(async () => {
      herald = await startTestHerald(backend);
      receiver = await startReceiver();
      receiver.respondWith((req) => (req.path === '/fail' ? { status: 500, body: 'down' } : { status: 200 }));
      appId = (await herald.api('POST', '/api/v1/app', { name: 'Overview' })).body.id;
      await herald.api('POST', `/api/v1/app/${appId}/endpoint`, { url: receiver.url('/ok') });
      failing = (await herald.api('POST', `/api/v1/app/${appId}/endpoint`, { url: receiver.url('/fail') }))
        .body;
    });
    afterAll(async () => {
      await herald?.stop();
      await receiver?.close();
    });

    it('counts attempts per minute over the last hour, split into succeeded and failed', async () => {
      for (const n of [1, 2])
        await herald.api('POST', `/api/v1/app/${appId}/msg`, { eventType: 'overview.test', payload: { n } });
      // Each message: one success at /ok, and four failures at /fail (first try + three retries).
      const overview = await eventually(async () => {
        const res = await herald.api('GET', '/api/v1/stats/overview');
        const o = res.body as Overview;
        return res.status === 200 && sum(o, 'succeeded') === 2 && sum(o, 'failed') === 8 && o.queue.due === 0
          ? o
          : null;
      });
      expect(overview.window).toBe('hour');
      expect(overview.bucketSeconds).toBe(60);
      expect(overview.buckets).toHaveLength(60);
      const last = Date.parse(overview.buckets.at(-1)!.start);
      expect(Date.now() - last).toBeLessThan(60_000);
      expect(Date.now() - last).toBeGreaterThanOrEqual(0);
      expect(Date.parse(overview.buckets[1]!.start) - Date.parse(overview.buckets[0]!.start)).toBe(60_000);
      expect(overview.queue).toMatchObject({ due: 0, scheduled: 0, oldestDueAt: null });
    });

    it('covers the last day in quarter hours', async () => {
      const res = await herald.api('GET', '/api/v1/stats/overview?window=day');
      expect(res.status).toBe(200);
      expect(res.body.bucketSeconds).toBe(900);
      expect(res.body.buckets).toHaveLength(96);
      expect(sum(res.body, 'succeeded')).toBe(2);
      expect(sum(res.body, 'failed')).toBe(8);
    });

    it('lists an endpoint disabled recently, with its reason, and the deliveries held for it', async () => {
      expect(
        (await herald.api('PATCH', `/api/v1/app/${appId}/endpoint/${failing.id}`, { disabled: true })).status,
      ).toBe(200);
      await herald.api('POST', `/api/v1/app/${appId}/msg`, { eventType: 'overview.test', payload: { n: 3 } });
      const overview = await eventually(async () => {
        const o = (await herald.api('GET', '/api/v1/stats/overview')).body as Overview;
        return o.queue.held === 1 && sum(o, 'succeeded') === 3 ? o : null;
      });
      expect(overview.disabledEndpoints).toEqual([
        {
          appId,
          endpointId: failing.id,
          url: failing.url,
          disabledAt: expect.any(String),
          reason: expect.stringMatching(/API/),
        },
      ]);
      expect(Date.now() - Date.parse(overview.disabledEndpoints[0]!.disabledAt)).toBeLessThan(60_000);
    });

    it('answers 403 to a consumer-portal token and 422 to an unknown window', async () => {
      const access = await herald.api('POST', `/api/v1/auth/app-portal-access/${appId}`, {});
      const portal = await herald.api('GET', '/api/v1/stats/overview', undefined, {
        authorization: `Bearer ${access.body.token}`,
      });
      expect(portal.status).toBe(403);
      const bad = await herald.api('GET', '/api/v1/stats/overview?window=week');
      expect(bad.status).toBe(422);
      expect(JSON.stringify(bad.body.detail)).toContain('window');
    });
  });

  describe(`${backend}: the overview with no worker running`, () => {
    let herald: TestHerald;
    afterAll(async () => herald?.stop());

    it('shows the backlog and how long its oldest delivery has waited', async () => {
      herald = await startTestHerald(backend, { worker: false });
      const app = (await herald.api('POST', '/api/v1/app', { name: 'Stalled' })).body;
      await herald.api('POST', `/api/v1/app/${app.id}/endpoint`, { url: 'http://127.0.0.1:9/never' });
      const before = Date.now();
      await herald.api('POST', `/api/v1/app/${app.id}/msg`, { eventType: 'x.y', payload: {} });
      const res = await herald.api('GET', '/api/v1/stats/overview');
      expect(res.body.queue.due).toBe(1);
      const oldest = Date.parse(res.body.queue.oldestDueAt);
      expect(oldest).toBeGreaterThanOrEqual(before - 1000);
      expect(oldest).toBeLessThanOrEqual(Date.now());
    });
  });
}
