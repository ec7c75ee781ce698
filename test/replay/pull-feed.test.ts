import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/core/ids.js';
import { BACKENDS } from '../support/backends.js';
import { startTestHerald, type TestHerald } from '../support/herald.js';
import { createApp, publish, sleep } from './support.js';

interface FeedPage {
  data: { id: string; eventType: string; payload: Record<string, unknown>; channels: string[] | null }[];
  iterator: string;
  done: boolean;
}

for (const backend of BACKENDS) {
  describe(`${backend}: the pull feed`, () => {
    let herald: TestHerald;

    beforeAll(async () => {
      herald = await startTestHerald(backend, { worker: false });
    });
    afterAll(async () => {
      await herald?.stop();
    });

    const page = async (appId: string, query: string, headers?: Record<string, string>) => {
      const res = await herald.api('GET', `/api/v1/app/${appId}/events${query}`, undefined, headers);
      expect(res.status).toBe(200);
      return res.body as FeedPage;
    };

    it('returns every message exactly once, oldest first, across pages while new messages arrive', async () => {
      const appId = await createApp(herald);
      const published: string[] = [];
      let publishing = true;
      // Four concurrent publishers: their transactions commit out of id order.
      const publishers = Promise.all(
        Array.from({ length: 4 }, async (_, p) => {
          for (let i = 0; i < 40; i++) published.push(await publish(herald, appId, 'invoice.paid', { p, i }));
        }),
      ).finally(() => {
        publishing = false;
      });

      const seen: string[] = [];
      let iterator: string | null = null;
      let pages = 0;
      for (;;) {
        const body: FeedPage = await page(appId, `?limit=7${iterator ? `&iterator=${iterator}` : ''}`);
        pages++;
        seen.push(...body.data.map((m) => m.id));
        iterator = body.iterator;
        if (body.done) {
          if (!publishing && seen.length >= published.length) break;
          await sleep(150);
        }
      }
      await publishers;
      expect(pages).toBeGreaterThan(160 / 7);
      expect(seen).toHaveLength(160);
      expect(new Set(seen).size).toBe(160);
      expect(new Set(seen)).toEqual(new Set(published));
      expect(seen).toEqual([...seen].sort());
      // Caught up: the iterator now points past the newest message.
      const after = await page(appId, `?iterator=${iterator}`);
      expect(after).toMatchObject({ data: [], done: true, iterator });
    });

    it('does not skip a message whose transaction commits after a newer one is visible', async () => {
      const appId = await createApp(herald);
      // A publish that took its id now and commits later (a slow transaction, another process).
      const startedAt = Date.now();
      const lateId = newId('msg', startedAt);
      const newer = await publish(herald, appId, 'invoice.paid', { n: 2 });
      // Without a settle window a consumer sees the newer message at once and moves past the late one.
      const eager = await page(appId, '?settle_ms=0');
      expect(eager.data.map((m) => m.id)).toEqual([newer]);
      // With one, the newer message is not served while a message older than it may still appear.
      const patient = await page(appId, '?settle_ms=3000');
      expect(patient.data).toHaveLength(0);
      await herald.ctx.store.db
        .insertInto('message')
        .values({
          id: lateId,
          app_id: appId,
          event_type: 'invoice.paid',
          event_id: null,
          payload: JSON.stringify({ n: 1 }),
          channels: null,
          tags: null,
          created_at: startedAt,
          payload_expires_at: startedAt + 86_400_000,
          trace_parent: null,
        })
        .execute();
      expect((await page(appId, `?settle_ms=0&iterator=${eager.iterator}`)).data).toHaveLength(0);

      const seen: string[] = [];
      let iterator: string = patient.iterator;
      while (seen.length < 2) {
        const body: FeedPage = await page(appId, `?settle_ms=3000&iterator=${iterator}`);
        seen.push(...body.data.map((m) => m.id));
        iterator = body.iterator;
        await sleep(100);
      }
      expect(seen).toEqual([lateId, newer]);
    });

    it('filters by event types and channels, and starts after a time', async () => {
      const appId = await createApp(herald);
      const a = await publish(herald, appId, 'order.created', { n: 1 }, { channels: ['eu'] });
      const b = await publish(herald, appId, 'order.shipped', { n: 2 }, { channels: ['us'] });
      await sleep(20);
      const between = new Date().toISOString();
      await sleep(20);
      const c = await publish(herald, appId, 'order.created', { n: 3 }, { channels: ['us', 'ca'] });
      const d = await publish(herald, appId, 'user.deleted', { n: 4 });
      const all = await page(appId, '?settle_ms=0');
      expect(all.data.map((m) => m.id)).toEqual([a, b, c, d]);
      expect(all.data[0]).toMatchObject({ eventType: 'order.created', payload: { n: 1 }, channels: ['eu'] });

      const created = await page(appId, '?settle_ms=0&event_types=order.created');
      expect(created.data.map((m) => m.id)).toEqual([a, c]);
      const shippedOrDeleted = await page(
        appId,
        '?settle_ms=0&event_types=order.shipped&event_types=user.deleted',
      );
      expect(shippedOrDeleted.data.map((m) => m.id)).toEqual([b, d]);
      const onChannels = await page(appId, '?settle_ms=0&channels=ca&channels=eu');
      expect(onChannels.data.map((m) => m.id)).toEqual([a, c]);
      const later = await page(appId, `?settle_ms=0&after=${encodeURIComponent(between)}`);
      expect(later.data.map((m) => m.id)).toEqual([c, d]);
    });

    it('serves a message only once it has settled, unless asked for none', async () => {
      const appId = await createApp(herald);
      const id = await publish(herald, appId, 'invoice.paid');
      const fresh = await page(appId, '?settle_ms=30000');
      expect(fresh.data).toHaveLength(0);
      expect(fresh.done).toBe(true);
      const now = await page(appId, '?settle_ms=0');
      expect(now.data.map((m) => m.id)).toEqual([id]);
      await sleep(1_100);
      const settled = await page(appId, `?iterator=${fresh.iterator}`);
      expect(settled.data.map((m) => m.id)).toEqual([id]);
    });

    it('works with a portal token for its own application only', async () => {
      const appId = await createApp(herald);
      const other = await createApp(herald, 'Other');
      const id = await publish(herald, appId, 'invoice.paid');
      const access = await herald.api('POST', `/api/v1/auth/app-portal-access/${appId}`, {});
      expect(access.status).toBe(200);
      const auth = { authorization: `Bearer ${access.body.token}` };
      const own = await page(appId, '?settle_ms=0', auth);
      expect(own.data.map((m) => m.id)).toEqual([id]);
      const theirs = await herald.api('GET', `/api/v1/app/${other}/events`, undefined, auth);
      expect(theirs.status).toBe(404);
    });

    it('refuses a malformed iterator, naming it', async () => {
      const appId = await createApp(herald);
      const res = await herald.api('GET', `/api/v1/app/${appId}/events?iterator=nonsense`);
      expect(res.status).toBe(422);
      expect(res.body.detail[0].loc).toContain('iterator');
    });

    it("keeps an endpoint's view to the messages its filters let through, each once across pages", async () => {
      const appId = await createApp(herald);
      const wanted: string[] = [];
      for (let n = 0; n < 30; n++) {
        const id = await publish(
          herald,
          appId,
          n % 2 ? 'invoice.paid' : 'invoice.voided',
          { data: { n } },
          {
            channels: [n % 3 ? 'eu' : 'us'],
          },
        );
        if (n % 2 && n % 3 && n >= 10) wanted.push(id);
      }
      const ep = await herald.api('POST', `/api/v1/app/${appId}/endpoint`, {
        url: 'https://example.com/pull',
        channels: ['eu'],
        filter: { 'data.n': { $gte: 10 }, $eventType: 'invoice.paid' },
      });
      const seen: string[] = [];
      let iterator: string | null = null;
      for (;;) {
        const res = await herald.api(
          'GET',
          `/api/v1/app/${appId}/endpoint/${ep.body.id}/events?limit=3&settle_ms=0${iterator ? `&iterator=${iterator}` : ''}`,
        );
        expect(res.status).toBe(200);
        seen.push(...res.body.data.map((m: { id: string }) => m.id));
        iterator = res.body.iterator;
        if (res.body.done) break;
      }
      expect(seen).toEqual(wanted);
    });
  });
}
