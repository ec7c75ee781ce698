import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/backends.js';
import { eventually, startTestHerald, type TestHerald } from '../support/herald.js';
import { type Receiver, startReceiver } from '../support/receiver.js';

interface ListedMessage {
  id: string;
  deliveryStatus: string | null;
  deliveries: Record<'exhausted' | 'failing' | 'pending' | 'succeeded', number>;
}

for (const backend of BACKENDS) {
  describe(`${backend}: messages' delivery status across endpoints`, () => {
    let herald: TestHerald;
    let receiver: Receiver;
    let appId: string;
    const sent = { ok: '', failing: '', mixed: '', gone: '', later: '', unrouted: '' };

    const list = async (query: string) => {
      const res = await herald.api('GET', `/api/v1/app/${appId}/msg?with_content=false&${query}`);
      expect(res.status, query).toBe(200);
      return res.body as { data: ListedMessage[]; iterator: string | null; done: boolean };
    };
    const ids = async (query: string) => (await list(query)).data.map((m) => m.id);

    beforeAll(async () => {
      // A quick retry, then the next a minute out: a failing delivery stays failing for the tests.
      herald = await startTestHerald(backend, { config: { HERALD_RETRY_SCHEDULE: '0.05,60' } });
      receiver = await startReceiver();
      receiver.respondWith((req) => {
        if (req.path === '/fail') return { status: 500 };
        if (req.path === '/gone') return { status: 410 };
        return { status: 200 };
      });
      appId = (await herald.api('POST', '/api/v1/app', { name: 'Shop' })).body.id;
      const endpoint = async (path: string, channels: string[]) => {
        const res = await herald.api('POST', `/api/v1/app/${appId}/endpoint`, {
          url: receiver.url(path),
          channels,
        });
        expect(res.status).toBe(201);
      };
      await endpoint('/ok', ['ok', 'mixed']);
      await endpoint('/fail', ['fail', 'mixed']);
      await endpoint('/gone', ['gone']);
      const publish = async (body: object) => {
        const res = await herald.api('POST', `/api/v1/app/${appId}/msg`, {
          eventType: 'order.paid',
          payload: {},
          ...body,
        });
        expect(res.status).toBe(202);
        return res.body.id as string;
      };
      sent.ok = await publish({ channels: ['ok'], tags: ['vip'], eventId: 'order-1' });
      sent.failing = await publish({ channels: ['fail'], tags: ['vip'] });
      sent.mixed = await publish({ channels: ['mixed'] });
      sent.gone = await publish({ channels: ['gone'] });
      sent.later = await publish({
        channels: ['ok'],
        deliverAt: new Date(Date.now() + 3_600_000).toISOString(),
      });
      sent.unrouted = await publish({ channels: ['nobody'] });
      // ok: 2 requests; fail: first try and the quick retry for each of 2 messages; gone: 1.
      await eventually(async () => {
        const by = (path: string) => receiver.requests.filter((r) => r.path === path).length;
        return by('/ok') === 2 && by('/fail') === 4 && by('/gone') === 1 ? true : null;
      });
      // The outcomes are written after the receiver answers: wait for the last one.
      await eventually(async () =>
        (await list('')).data.find((m) => m.id === sent.gone)?.deliveryStatus === 'exhausted' &&
        (await list('')).data.filter((m) => m.deliveryStatus === 'failing').length === 2
          ? true
          : null,
      );
    });
    afterAll(async () => {
      await herald?.stop();
      await receiver?.close();
    });

    it('summarises every listed message across its endpoints, most urgent state first', async () => {
      const byId = new Map((await list('')).data.map((m) => [m.id, m]));
      expect(byId.get(sent.ok)).toMatchObject({
        deliveryStatus: 'succeeded',
        deliveries: { succeeded: 1, failing: 0, pending: 0, exhausted: 0 },
      });
      expect(byId.get(sent.failing)).toMatchObject({ deliveryStatus: 'failing', deliveries: { failing: 1 } });
      expect(byId.get(sent.mixed)).toMatchObject({
        deliveryStatus: 'failing',
        deliveries: { succeeded: 1, failing: 1, pending: 0, exhausted: 0 },
      });
      expect(byId.get(sent.gone)).toMatchObject({
        deliveryStatus: 'exhausted',
        deliveries: { exhausted: 1 },
      });
      expect(byId.get(sent.later)).toMatchObject({ deliveryStatus: 'pending', deliveries: { pending: 1 } });
      expect(byId.get(sent.unrouted)).toMatchObject({
        deliveryStatus: null,
        deliveries: { succeeded: 0, failing: 0, pending: 0, exhausted: 0 },
      });
    });

    it('filters by delivery status without naming an endpoint, newest first', async () => {
      expect(await ids('delivery_status=failing')).toEqual([sent.mixed, sent.failing]);
      expect(await ids('delivery_status=exhausted')).toEqual([sent.gone]);
      expect(await ids('delivery_status=pending')).toEqual([sent.later]);
      expect(await ids('delivery_status=succeeded')).toEqual([sent.ok]);
    });

    it('combines the status filter with tags, event types and time', async () => {
      expect(await ids('delivery_status=failing&tag=vip')).toEqual([sent.failing]);
      expect(await ids('delivery_status=succeeded&tag=vip')).toEqual([sent.ok]);
      expect(await ids('delivery_status=exhausted&tag=vip')).toEqual([]);
      expect(await ids('delivery_status=failing&event_types=order.shipped')).toEqual([]);
      const future = new Date(Date.now() + 60_000).toISOString();
      expect(await ids(`delivery_status=failing&after=${future}`)).toEqual([]);
    });

    it('pages a filtered list with the iterator in both directions', async () => {
      const first = await list('delivery_status=failing&limit=1');
      expect(first.data.map((m) => m.id)).toEqual([sent.mixed]);
      expect(first.done).toBe(false);
      const second = await list(`delivery_status=failing&limit=1&iterator=${first.iterator}`);
      expect(second.data.map((m) => m.id)).toEqual([sent.failing]);
      expect(second.done).toBe(true);
      const back = await herald.api(
        'GET',
        `/api/v1/app/${appId}/msg?delivery_status=failing&limit=1&iterator=${(second as { prevIterator?: string }).prevIterator}`,
      );
      expect(back.body.data.map((m: ListedMessage) => m.id)).toEqual([sent.mixed]);
    });

    it('finds a message by id or eventId, with its delivery status', async () => {
      for (const key of [sent.ok, 'order-1']) {
        const res = await herald.api('GET', `/api/v1/app/${appId}/msg/${key}`);
        expect(res.status).toBe(200);
        expect(res.body).toMatchObject({ id: sent.ok, deliveryStatus: 'succeeded' });
      }
    });

    it('refuses an unknown delivery status with a 422 naming the parameter', async () => {
      const res = await herald.api('GET', `/api/v1/app/${appId}/msg?delivery_status=broken`);
      expect(res.status).toBe(422);
      expect(res.body.detail[0].loc).toEqual(['query', 'delivery_status']);
    });

    it("charts an endpoint's attempts over time, succeeded and failed", async () => {
      const endpoints = (await herald.api('GET', `/api/v1/app/${appId}/endpoint`)).body.data as Array<{
        id: string;
        url: string;
      }>;
      const failing = endpoints.find((e) => e.url.endsWith('/fail'))!;
      const res = await herald.api(
        'GET',
        `/api/v1/app/${appId}/endpoint/${failing.id}/stats/attempts?window=hour`,
      );
      expect(res.status).toBe(200);
      expect(res.body.bucketSeconds).toBe(60);
      expect(res.body.buckets).toHaveLength(60);
      const total = (key: 'succeeded' | 'failed') =>
        res.body.buckets.reduce((n: number, b: Record<string, number>) => n + (b[key] ?? 0), 0);
      expect([total('succeeded'), total('failed')]).toEqual([0, 4]);
      const day = await herald.api(
        'GET',
        `/api/v1/app/${appId}/endpoint/${failing.id}/stats/attempts?window=day`,
      );
      expect(day.body.buckets).toHaveLength(96);
      // Another application's endpoint under this one: not found, as if it did not exist.
      const other = (await herald.api('POST', '/api/v1/app', { name: 'Other' })).body.id;
      const foreign = await herald.api('GET', `/api/v1/app/${other}/endpoint/${failing.id}/stats/attempts`);
      expect(foreign.status).toBe(404);
      const bad = await herald.api(
        'GET',
        `/api/v1/app/${appId}/endpoint/${failing.id}/stats/attempts?window=year`,
      );
      expect(bad.status).toBe(422);
    });
  });
}
