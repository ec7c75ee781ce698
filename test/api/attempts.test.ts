import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/backends.js';
import { eventually, startTestHerald, type TestHerald } from '../support/herald.js';
import { type Receiver, startReceiver } from '../support/receiver.js';

interface Attempt {
  id: string;
  msgId: string;
  endpointId: string;
  url: string;
  response: string;
  responseStatusCode: number;
  status: number;
  statusText: string;
  triggerType: number;
  timestamp: string;
  msg?: { id: string; eventType: string; payload: unknown } | null;
  errorClass?: string | null;
  requestHeaders?: Record<string, string> | null;
}

for (const backend of BACKENDS) {
  describe(`${backend}: message attempts`, () => {
    let herald: TestHerald;
    let receiver: Receiver;
    const ep: Record<'ok' | 'fail' | 'drop', string> = { ok: '', fail: '', drop: '' };
    let paid: { id: string };
    let shipped: { id: string };

    const get = (path: string, headers?: Record<string, string>) =>
      herald.api('GET', path, undefined, headers);
    const attempts = async (path: string): Promise<Attempt[]> => {
      const res = await get(path);
      expect(res.status, path).toBe(200);
      return res.body.data;
    };

    beforeAll(async () => {
      // One quick retry, then the next one a minute out: failing deliveries stay pending with a nextAttempt.
      herald = await startTestHerald(backend, { config: { HERALD_RETRY_SCHEDULE: '0.05,60' } });
      receiver = await startReceiver();
      receiver.respondWith((req) => {
        if (req.path.startsWith('/fail')) return { status: 500, body: 'boom' };
        if (req.path.startsWith('/drop')) return { destroy: true };
        return { status: 200, body: '{"ok":true}' };
      });
      await herald.api('POST', '/api/v1/app', { name: 'Shop', uid: 'shop' });
      for (const name of ['ok', 'fail', 'drop'] as const) {
        const res = await herald.api('POST', '/api/v1/app/shop/endpoint', {
          url: receiver.url(`/${name}`),
          uid: `${name}-ep`,
          headers: { 'x-api-key': 'do-not-show-me' },
        });
        expect(res.status).toBe(201);
        ep[name] = res.body.id;
      }
      paid = (
        await herald.api('POST', '/api/v1/app/shop/msg', {
          eventType: 'order.paid',
          eventId: 'order-1-paid',
          payload: { order: 1 },
          channels: ['eu'],
          tags: ['vip'],
        })
      ).body;
      shipped = (
        await herald.api('POST', '/api/v1/app/shop/msg', {
          eventType: 'order.shipped',
          payload: { order: 1 },
          channels: ['us'],
        })
      ).body;
      // ok: one try per message; fail and drop: the first try and the quick retry.
      await eventually(async () => {
        const counts = await Promise.all(
          Object.values(ep).map(
            async (id) => (await get(`/api/v1/app/shop/attempt/endpoint/${id}`)).body.data.length,
          ),
        );
        return counts.join() === '2,4,4';
      });
    });
    afterAll(async () => {
      await herald?.stop();
      await receiver?.close();
    });

    it("lists an endpoint's attempts newest first with their outcome", async () => {
      const ok = await attempts(`/api/v1/app/shop/attempt/endpoint/${ep.ok}`);
      // Newest first by attempt id; the two messages' deliveries may finish in either order.
      expect(ok.map((a) => a.id)).toEqual(
        ok
          .map((a) => a.id)
          .sort()
          .reverse(),
      );
      expect(new Set(ok.map((a) => a.msgId))).toEqual(new Set([shipped.id, paid.id]));
      expect(ok[0]).toMatchObject({
        endpointId: ep.ok,
        url: receiver.url('/ok'),
        response: '{"ok":true}',
        responseStatusCode: 200,
        status: 0,
        statusText: 'success',
        triggerType: 0,
      });
      expect(ok[0]!.id).toMatch(/^atmpt_[A-Za-z0-9]{27}$/);
      expect(Date.parse(ok[0]!.timestamp)).toBeGreaterThan(0);
      // Request headers are shown with credentials redacted.
      expect(ok[0]!.requestHeaders?.['x-api-key']).toBe('[redacted]');
      expect(JSON.stringify(ok)).not.toContain('do-not-show-me');

      const failed = await attempts('/api/v1/app/shop/attempt/endpoint/fail-ep');
      expect(failed).toHaveLength(4);
      expect(
        failed.every((a) => a.status === 2 && a.statusText === 'fail' && a.responseStatusCode === 500),
      ).toBe(true);
    });

    it('filters attempts by status and status code class (0 is no response)', async () => {
      const base = '/api/v1/app/shop/attempt/endpoint';
      expect(await attempts(`${base}/${ep.fail}?status=0`)).toEqual([]);
      expect(await attempts(`${base}/${ep.fail}?status=2`)).toHaveLength(4);
      expect(await attempts(`${base}/${ep.fail}?status_code_class=500`)).toHaveLength(4);
      expect(await attempts(`${base}/${ep.fail}?status_code_class=200`)).toEqual([]);
      const none = await attempts(`${base}/${ep.drop}?status_code_class=0`);
      expect(none).toHaveLength(4);
      expect(none.every((a) => a.responseStatusCode === 0)).toBe(true);
      expect(await attempts(`${base}/${ep.drop}?status_code_class=500`)).toEqual([]);
      expect(await attempts(`${base}/${ep.ok}?status_code_class=200&status=0`)).toHaveLength(2);
    });

    it('filters attempts by the message channel, tag and event types', async () => {
      const base = `/api/v1/app/shop/attempt/endpoint/${ep.fail}`;
      const eu = await attempts(`${base}?channel=eu`);
      expect(eu.map((a) => a.msgId)).toEqual([paid.id, paid.id]);
      expect((await attempts(`${base}?tag=vip`)).map((a) => a.msgId)).toEqual([paid.id, paid.id]);
      expect((await attempts(`${base}?event_types=order.shipped`)).map((a) => a.msgId)).toEqual([
        shipped.id,
        shipped.id,
      ]);
      expect(await attempts(`${base}?event_types=order.paid&event_types=order.shipped`)).toHaveLength(4);
      expect(await attempts(`${base}?channel=us&tag=vip`)).toEqual([]);
    });

    it('bounds attempts by before and after', async () => {
      const all = await attempts(`/api/v1/app/shop/attempt/endpoint/${ep.fail}`);
      const oldest = all[all.length - 1]!;
      const newest = all[0]!;
      // `after` is inclusive on attempt lists, as in Svix (e2e_attempt test_pagination_by_endpoint).
      const after = await attempts(`/api/v1/app/shop/attempt/endpoint/${ep.fail}?after=${oldest.timestamp}`);
      expect(after.map((a) => a.id)).toContain(oldest.id);
      expect(after.map((a) => a.id)).toContain(newest.id);
      const later = new Date(Date.parse(oldest.timestamp) + 1).toISOString();
      const afterLater = await attempts(`/api/v1/app/shop/attempt/endpoint/${ep.fail}?after=${later}`);
      expect(afterLater.map((a) => a.id)).not.toContain(oldest.id);
      const before = await attempts(
        `/api/v1/app/shop/attempt/endpoint/${ep.fail}?before=${newest.timestamp}`,
      );
      expect(before.map((a) => a.id)).toContain(oldest.id);
      expect(before.map((a) => a.id)).not.toContain(newest.id);
      expect(
        await attempts(`/api/v1/app/shop/attempt/endpoint/${ep.fail}?before=2000-01-01T00:00:00Z`),
      ).toEqual([]);
    });

    it('pages attempts forward and back', async () => {
      const all = (await attempts(`/api/v1/app/shop/attempt/endpoint/${ep.drop}`)).map((a) => a.id);
      const url = (it?: string) =>
        `/api/v1/app/shop/attempt/endpoint/${ep.drop}?limit=3${it ? `&iterator=${it}` : ''}`;
      const p1 = await get(url());
      expect(p1.body.data.map((a: Attempt) => a.id)).toEqual(all.slice(0, 3));
      expect(p1.body.done).toBe(false);
      const p2 = await get(url(p1.body.iterator));
      expect(p2.body.data.map((a: Attempt) => a.id)).toEqual(all.slice(3));
      expect(p2.body.done).toBe(true);
      const back = await get(url(p2.body.prevIterator));
      expect(back.body.data.map((a: Attempt) => a.id)).toEqual(all.slice(0, 3));
    });

    it('leaves the response out with with_content=false and embeds the message with with_msg', async () => {
      const bare = await attempts(
        `/api/v1/app/shop/attempt/endpoint/${ep.ok}?with_content=false&with_msg=true`,
      );
      expect(bare.map((a) => a.response)).toEqual(['{}', '{}']);
      expect(bare.find((a) => a.msgId === paid.id)!.msg).toMatchObject({
        id: paid.id,
        eventType: 'order.paid',
        eventId: 'order-1-paid',
        payload: {},
      });
      const plain = await attempts(`/api/v1/app/shop/attempt/endpoint/${ep.ok}`);
      expect(plain[0]!.msg).toBeUndefined();
    });

    it("lists a message's attempts, narrowed to one endpoint by id or uid", async () => {
      const all = await attempts(`/api/v1/app/shop/attempt/msg/${paid.id}`);
      expect(all).toHaveLength(5);
      expect(new Set(all.map((a) => a.msgId))).toEqual(new Set([paid.id]));
      const byEventId = await attempts('/api/v1/app/shop/attempt/msg/order-1-paid');
      expect(byEventId.map((a) => a.id)).toEqual(all.map((a) => a.id));
      const okOnly = await attempts(`/api/v1/app/shop/attempt/msg/${paid.id}?endpoint_id=ok-ep`);
      expect(okOnly.map((a) => a.endpointId)).toEqual([ep.ok]);
      expect(await attempts(`/api/v1/app/shop/attempt/msg/${paid.id}?status_code_class=200`)).toHaveLength(1);
      expect(await attempts(`/api/v1/app/shop/attempt/msg/${paid.id}?status=2`)).toHaveLength(4);
      const unknown = await get(`/api/v1/app/shop/attempt/msg/${paid.id}?endpoint_id=nope`);
      expect(unknown.status).toBe(404);
    });

    it("lists an endpoint's messages with the delivery status and next attempt", async () => {
      const failing = await get(`/api/v1/app/shop/endpoint/${ep.fail}/msg`);
      expect(failing.status).toBe(200);
      expect(failing.body.data.map((m: { id: string }) => m.id)).toEqual([shipped.id, paid.id]);
      const [first] = failing.body.data;
      expect(first).toMatchObject({ id: shipped.id, eventType: 'order.shipped', payload: { order: 1 } });
      expect(first.status).toBe(1);
      expect(first.statusText).toBe('pending');
      // The next retry is about a minute out (60 s ± 20% jitter).
      expect(Date.parse(first.nextAttempt)).toBeGreaterThan(Date.now() + 30_000);

      const delivered = await get(`/api/v1/app/shop/endpoint/ok-ep/msg?with_content=false`);
      expect(delivered.body.data.map((m: { status: number }) => m.status)).toEqual([0, 0]);
      expect(delivered.body.data[0].nextAttempt).toBeNull();
      expect(delivered.body.data[0].payload).toEqual({});

      const pending = await get(`/api/v1/app/shop/endpoint/${ep.fail}/msg?status=1&tag=vip`);
      expect(pending.body.data.map((m: { id: string }) => m.id)).toEqual([paid.id]);
      expect((await get(`/api/v1/app/shop/endpoint/${ep.fail}/msg?status=0`)).body.data).toEqual([]);
      const eu = await get(`/api/v1/app/shop/endpoint/${ep.fail}/msg?channel=eu&event_types=order.paid`);
      expect(eu.body.data.map((m: { id: string }) => m.id)).toEqual([paid.id]);
      const paged = await get(`/api/v1/app/shop/endpoint/${ep.fail}/msg?limit=1`);
      expect(paged.body.done).toBe(false);
      const next = await get(
        `/api/v1/app/shop/endpoint/${ep.fail}/msg?limit=1&iterator=${paged.body.iterator}`,
      );
      expect(next.body.data.map((m: { id: string }) => m.id)).toEqual([paid.id]);
    });

    it('lists the endpoints a message went to with each delivery status', async () => {
      const res = await get('/api/v1/app/shop/msg/order-1-paid/endpoint');
      expect(res.status).toBe(200);
      // By endpoint id ascending, as Svix lists them (e2e_attempt test_list_attempted_destinations).
      const expected = [ep.ok, ep.fail, ep.drop].sort();
      expect(res.body.data.map((e: { id: string }) => e.id)).toEqual(expected);
      const byId = new Map(res.body.data.map((e: { id: string }) => [e.id, e]));
      expect(byId.get(ep.ok)).toMatchObject({
        uid: 'ok-ep',
        url: receiver.url('/ok'),
        status: 0,
        statusText: 'success',
        nextAttempt: null,
      });
      expect(byId.get(ep.fail)).toMatchObject({ uid: 'fail-ep', status: 1, statusText: 'pending' });
      expect(Date.parse((byId.get(ep.fail) as { nextAttempt: string }).nextAttempt)).toBeGreaterThan(
        Date.now(),
      );
      const p1 = await get('/api/v1/app/shop/msg/order-1-paid/endpoint?limit=2');
      expect(p1.body.data.map((e: { id: string }) => e.id)).toEqual(expected.slice(0, 2));
      const p2 = await get(`/api/v1/app/shop/msg/order-1-paid/endpoint?limit=2&iterator=${p1.body.iterator}`);
      expect(p2.body.data.map((e: { id: string }) => e.id)).toEqual(expected.slice(2));
      expect(p2.body.done).toBe(true);
    });

    it('gets one attempt under its message, and 404 under another', async () => {
      const [latest] = await attempts(`/api/v1/app/shop/attempt/msg/${paid.id}?endpoint_id=${ep.ok}`);
      const res = await get(`/api/v1/app/shop/msg/order-1-paid/attempt/${latest!.id}`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        id: latest!.id,
        msgId: paid.id,
        responseStatusCode: 200,
        response: '{"ok":true}',
      });
      const wrong = await get(`/api/v1/app/shop/msg/${shipped.id}/attempt/${latest!.id}`);
      expect(wrong.status).toBe(404);
    });

    it("expunges an attempt's response body", async () => {
      const [attempt] = await attempts(`/api/v1/app/shop/attempt/msg/${shipped.id}?endpoint_id=${ep.fail}`);
      expect(attempt!.response).toBe('boom');
      const del = await herald.api(
        'DELETE',
        `/api/v1/app/shop/msg/${shipped.id}/attempt/${attempt!.id}/content`,
      );
      expect(del.status).toBe(204);
      const after = await get(`/api/v1/app/shop/msg/${shipped.id}/attempt/${attempt!.id}`);
      expect(after.body.response).toBe('EXPUNGED');
      expect(after.body.responseStatusCode).toBe(500);
      expect(after.body.responseHeaders ?? null).toBeNull();
    });

    it('answers 422 naming the query field for invalid attempt filters', async () => {
      const cases: [string, string][] = [
        ['status=9', 'status'],
        ['status=pending', 'status'],
        ['status_code_class=250', 'status_code_class'],
        ['iterator=msg_1srOrx2ZWZBpBUvZwXKQmoEYga2', 'iterator'],
        ['with_msg=perhaps', 'with_msg'],
        ['expanded_statuses=2', 'expanded_statuses'],
        ['event_types=a%20b', 'event_types'],
        ['before=not-a-date', 'before'],
      ];
      for (const [query, field] of cases) {
        const res = await get(`/api/v1/app/shop/attempt/endpoint/${ep.ok}?${query}`);
        expect(res.status, query).toBe(422);
        expect(res.body.detail[0].loc.slice(0, 2), query).toEqual(['query', field]);
      }
      const msgList = await get(`/api/v1/app/shop/endpoint/${ep.ok}/msg?status=7`);
      expect(msgList.status).toBe(422);
      expect(msgList.body.detail[0].loc).toEqual(['query', 'status']);
      const dest = await get(
        `/api/v1/app/shop/msg/${paid.id}/endpoint?iterator=msg_1srOrx2ZWZBpBUvZwXKQmoEYga2`,
      );
      expect(dest.status).toBe(422);
      const attemptId = await get(`/api/v1/app/shop/msg/${paid.id}/attempt/not-an-attempt`);
      expect(attemptId.status).toBe(422);
      expect(attemptId.body.detail[0].loc).toEqual(['path', 'attempt_id']);
    });
  });
}
