import { describe, expect, it } from 'vitest';
import { BACKENDS } from '../../support/backends.js';
import { startTestHerald } from '../../support/herald.js';
import { svixServer } from './harness.js';

/** Svix's `e2e_endpoint.rs` (endpoints themselves; secrets, headers and recovery have their own files). */
for (const backend of BACKENDS) {
  describe(`${backend}: Svix e2e_endpoint`, () => {
    const svix = svixServer(backend);
    const eventType = async (name: string) => {
      const res = await svix.api('POST', '/api/v1/event-type/', {
        name,
        description: 'test-event-description',
      });
      expect([201, 409]).toContain(res.status);
    };
    const get = async (appId: string, id: string) => {
      const res = await svix.api('GET', `/api/v1/app/${appId}/endpoint/${id}/`);
      expect(res.status).toBe(200);
      return res.body;
    };

    // test_create
    it('creates an endpoint with Svix defaults (version 1, enabled, no filters, no rate)', async () => {
      const app = await svix.createApp('v1EndpointPatchTestApp');
      const created = await svix.api('POST', `/api/v1/app/${app.id}/endpoint/`, {
        url: 'http://example.com',
      });
      expect(created.status).toBe(201);
      expect(await get(app.id, created.body.id)).toMatchObject({
        rateLimit: null,
        uid: null,
        // Herald difference: the URL is kept as given (Svix normalizes it to `http://example.com/`).
        url: 'http://example.com',
        version: 1,
        disabled: false,
        filterTypes: null,
        channels: null,
      });
    });

    // test_patch
    it('patches each field alone (description, rateLimit, uid, url, version, disabled, filterTypes, channels)', async () => {
      const app = await svix.createApp('v1EndpointPatchTestApp');
      const ep = await svix.createEndpoint(app.id, 'http://bad.url');
      const path = `/api/v1/app/${app.id}/endpoint/${ep.id}/`;
      const expected: Record<string, unknown> = {
        description: '',
        rateLimit: null,
        uid: null,
        url: 'http://bad.url',
        version: 1,
        disabled: false,
        filterTypes: null,
        channels: null,
      };
      await eventType('test');
      const steps: Record<string, unknown>[] = [
        { description: 'test' },
        { rateLimit: 1 },
        { rateLimit: null },
        { uid: 'some' },
        { uid: null },
        { url: 'http://bad.url2' },
        { version: 2 },
        { disabled: true },
        { filterTypes: ['test'] },
        { filterTypes: null },
        { channels: ['test'] },
        { channels: null },
      ];
      for (const step of steps) {
        const res = await svix.api('PATCH', path, step);
        expect(res.status, JSON.stringify(step)).toBe(200);
        Object.assign(expected, step);
        expect(await get(app.id, ep.id), JSON.stringify(step)).toMatchObject(expected);
      }
    });

    // test_crud
    it('creates, reads (only under its own application), replaces, upserts, lists and deletes endpoints', async () => {
      const app1 = await svix.createApp('v1EndpointCrudTestApp1');
      const app2 = await svix.createApp('v1EndpointCrudTestApp2');
      const ep11 = await svix.createEndpoint(app1.id, 'http://v1EndpointCrudTestApp1Ep1Ver1.test/foo');
      const ep12 = await svix.createEndpoint(app1.id, 'http://v1EndpointCrudTestApp1Ep2.test/');
      const ep21 = await svix.createEndpoint(app2.id, 'http://v1EndpointCrudTestApp2Ep1.test/');
      const ep22 = await svix.createEndpoint(app2.id, 'http://v1EndpointCrudTestApp2Ep2.test/');
      expect(ep11.version).toBe(1);
      for (const [appId, ep] of [
        [app1.id, ep11],
        [app1.id, ep12],
        [app2.id, ep21],
        [app2.id, ep22],
      ] as const) {
        expect(await get(appId, ep.id)).toEqual(ep);
        const otherApp = appId === app1.id ? app2.id : app1.id;
        expect((await svix.api('GET', `/api/v1/app/${otherApp}/endpoint/${ep.id}/`)).status).toBe(404);
      }

      const replaced = await svix.api('PUT', `/api/v1/app/${app1.id}/endpoint/${ep11.id}/`, {
        url: 'http://v1EndpointCrudTestApp1Ep1Ver2.test/',
        version: 1,
      });
      expect(replaced.status).toBe(200);
      expect(replaced.body.url).toBe('http://v1EndpointCrudTestApp1Ep1Ver2.test/');
      expect(await get(app1.id, ep11.id)).toEqual(replaced.body);

      const upserted = await svix.api('PUT', `/api/v1/app/${app1.id}/endpoint/fake-id/`, {
        url: 'http://v1EndpointCrudTestApp1Ep1Ver2.test/',
        version: 1,
      });
      expect(upserted.status).toBe(201);

      const list1 = await svix.api('GET', `/api/v1/app/${app1.id}/endpoint/`);
      expect(list1.body.data).toHaveLength(3);
      expect(list1.body.data).toEqual(expect.arrayContaining([replaced.body, ep12, upserted.body]));
      const list2 = await svix.api('GET', `/api/v1/app/${app2.id}/endpoint/`);
      expect(list2.body.data).toEqual(expect.arrayContaining([ep21, ep22]));

      for (const [appId, ep] of [
        [app1.id, ep11],
        [app1.id, ep12],
        [app2.id, ep21],
        [app2.id, ep22],
      ] as const) {
        const deleted = await svix.api('DELETE', `/api/v1/app/${appId}/endpoint/${ep.id}/`);
        expect(deleted.status).toBe(204);
        expect((await svix.api('GET', `/api/v1/app/${appId}/endpoint/${ep.id}/`)).status).toBe(404);
      }

      const withMetadata = await svix.createEndpoint(app1.id, 'https://somewhere.beyond.the.c', {
        metadata: { foo: 'bar', bizz: 'baz' },
      });
      expect((await get(app1.id, withMetadata.id)).metadata).toEqual({ foo: 'bar', bizz: 'baz' });
      const cleared = await svix.api('PATCH', `/api/v1/app/${app1.id}/endpoint/${withMetadata.id}/`, {
        metadata: {},
      });
      expect(cleared.body.metadata).toEqual({});
    });

    // test_uid
    it('keeps endpoint uids unique within an application only, and reusable after deletion', async () => {
      const app = await svix.createApp('v1EndpointUidTestApp1');
      const ep1 = await svix.createEndpoint(app.id, 'http://v1EndpointUidTestApp1Ep1.test', {
        uid: 'test_uid',
      });
      const dup = await svix.api('POST', `/api/v1/app/${app.id}/endpoint/`, {
        url: 'http://v1EndpointUidTestApp1Ep2.test',
        version: 1,
        uid: 'test_uid',
      });
      expect(dup.status).toBe(409);
      const ep2 = await svix.createEndpoint(app.id, 'http://v1EndpointUidTestApp1Ep2.test');
      const clash = await svix.api('PUT', `/api/v1/app/${app.id}/endpoint/${ep2.id}/`, {
        url: 'http://v1EndpointUidTestApp1Ep2.test',
        version: 1,
        uid: 'test_uid',
      });
      expect(clash.status).toBe(409);
      const same = await svix.api('PUT', `/api/v1/app/${app.id}/endpoint/${ep1.id}/`, {
        url: 'http://v1EndpointUidTestApp1Ep1.test',
        version: 1,
        uid: 'test_uid',
      });
      expect(same.status).toBe(200);
      expect(same.body).toMatchObject({ id: ep1.id, uid: 'test_uid' });

      for (const ep of [ep1, ep2])
        expect((await svix.api('DELETE', `/api/v1/app/${app.id}/endpoint/${ep.id}/`)).status).toBe(204);
      await svix.createEndpoint(app.id, 'http://v1EndpointUidTestApp1Ep1.test', { uid: 'test_uid' });
      expect((await svix.api('DELETE', `/api/v1/app/${app.id}/`)).status).toBe(204);

      const a1 = await svix.createApp('v1EndpointUidTestApp1');
      const a2 = await svix.createApp('v1EndpointUidTestApp2');
      await svix.createEndpoint(a1.id, 'http://v1EndpointUidTestApp1Ep1.test', { uid: 'test_uid' });
      await svix.createEndpoint(a2.id, 'http://v1EndpointUidTestApp2Ep1.test', { uid: 'test_uid' });
    });

    // test_endpoint_filter_events
    it('refuses an empty or unknown filterTypes (422), and a PUT without it removes it', async () => {
      const app = await svix.createApp('app1');
      const base = { url: 'http://www.example.com', version: 1 };
      const post = (body: unknown) => svix.api('POST', `/api/v1/app/${app.id}/endpoint/`, body);
      expect((await post({ ...base, filterTypes: [] })).status).toBe(422);
      expect((await post({ ...base, filterTypes: ['et1'] })).status).toBe(422);
      await eventType('et1');
      const created = await post({ ...base, filterTypes: ['et1'] });
      expect(created.status).toBe(201);
      expect(created.body.filterTypes).toEqual(['et1']);
      const path = `/api/v1/app/${app.id}/endpoint/${created.body.id}/`;
      const removed = await svix.api('PUT', path, base);
      expect(removed.body.filterTypes).toBeNull();
      expect((await get(app.id, created.body.id)).filterTypes).toBeNull();
      const restored = await svix.api('PUT', path, { ...base, filterTypes: ['et1'] });
      expect(restored.body.filterTypes).toEqual(['et1']);
      expect((await get(app.id, created.body.id)).filterTypes).toEqual(['et1']);
    });

    // test_endpoint_filter_channels
    it('refuses empty channels (422), and a PUT without them removes them', async () => {
      const app = await svix.createApp('app1');
      const base = { url: 'http://www.example.com', version: 1 };
      expect(
        (await svix.api('POST', `/api/v1/app/${app.id}/endpoint/`, { ...base, channels: [] })).status,
      ).toBe(422);
      const created = await svix.createEndpoint(app.id, base.url, { channels: ['tag1'] });
      expect(created.channels).toEqual(['tag1']);
      const path = `/api/v1/app/${app.id}/endpoint/${created.id}/`;
      expect((await svix.api('PUT', path, base)).body.channels).toBeNull();
      expect((await get(app.id, created.id)).channels).toBeNull();
      expect((await svix.api('PUT', path, { ...base, channels: ['tag1'] })).body.channels).toEqual(['tag1']);
      expect((await get(app.id, created.id)).channels).toEqual(['tag1']);
    });

    // test_rate_limit
    it('keeps a rateLimit, and a PUT without one removes it', async () => {
      const app = await svix.createApp('app1');
      const created = await svix.createEndpoint(app.id, 'http://example.com', { rateLimit: 100 });
      expect(created.rateLimit).toBe(100);
      const put = await svix.api('PUT', `/api/v1/app/${app.id}/endpoint/${created.id}/`, {
        url: 'http://example.com',
        version: 1,
      });
      expect(put.body.rateLimit).toBeNull();
      expect((await get(app.id, created.id)).rateLimit).toBeNull();
    });

    // test_msg_event_types_filter
    it('delivers a message to the endpoints whose filterTypes include it, and to unfiltered ones', async () => {
      const app = await svix.createApp('app1');
      await eventType('et1');
      await eventType('et2');
      for (const filterTypes of [['et1'], ['et1', 'et2'], null]) {
        await svix.createEndpoint(app.id, svix.receiver.url('/filter'), filterTypes ? { filterTypes } : {});
      }
      for (const [name, count] of [
        ['et1', 3],
        ['et2', 2],
      ] as const) {
        const msg = await svix.createMessage(app.id, {}, name);
        expect(await svix.attemptsOf(app.id, msg.id, count)).toHaveLength(count);
      }
    });

    // test_msg_channels_filter
    it('delivers a message with channels to matching and unfiltered endpoints, without to unfiltered only', async () => {
      const app = await svix.createApp('app1');
      await svix.createEndpoint(app.id, svix.receiver.url('/channels'), { channels: ['tag1'] });
      await svix.createEndpoint(app.id, svix.receiver.url('/channels'));
      for (const [channels, count] of [
        [['tag1'], 2],
        [undefined, 1],
      ] as const) {
        const msg = await svix.createMessage(app.id, {}, 'et1', channels ? [...channels] : undefined);
        expect(await svix.attemptsOf(app.id, msg.id, count)).toHaveLength(count);
        const read = await svix.api('GET', `/api/v1/app/${app.id}/msg/${msg.id}/`);
        expect(read.body.channels ?? null).toEqual(channels ?? null);
      }
    });

    // test_send_example
    it('sends {"success": true} for send-example with svix.ping', async () => {
      const app = await svix.createApp('Test App');
      const ep = await svix.createEndpoint(app.id, svix.receiver.url('/ping'));
      svix.receiver.reset();
      const res = await svix.api('POST', `/api/v1/app/${app.id}/endpoint/${ep.id}/send-example/`, {
        eventType: 'svix.ping',
      });
      // Herald answers 202 (Svix's current API reference); Svix's open-source server answers 200.
      expect(res.status).toBe(202);
      const [request] = await svix.requestsTo('/ping');
      expect(JSON.parse(request?.body ?? '')).toEqual({ success: true });
    });

    // test_endpoint_stats (the part without direct database edits)
    it('answers zero stats for an endpoint without messages', async () => {
      const app = await svix.createApp('app1');
      const ep = await svix.createEndpoint(app.id, 'https://gabagool.deli');
      const stats = await svix.api('GET', `/api/v1/app/${app.id}/endpoint/${ep.id}/stats/`);
      expect(stats.status).toBe(200);
      expect(stats.body).toMatchObject({ fail: 0, success: 0, pending: 0, sending: 0 });
    });
  });

  // test_endpoint_https_only
  describe(`${backend}: Svix e2e_endpoint test_endpoint_https_only`, () => {
    it('accepts http URLs by default and refuses them (422) with HTTPS only', async () => {
      for (const httpsOnly of [false, true]) {
        const herald = await startTestHerald(backend, {
          worker: false,
          config: { HERALD_HTTPS_ONLY: String(httpsOnly) },
        });
        try {
          const app = await herald.api('POST', '/api/v1/app/', { name: 'App 1' });
          const post = (url: string) =>
            herald.api('POST', `/api/v1/app/${app.body.id}/endpoint/`, { url, version: 1 });
          expect((await post('https://www.example.com')).status).toBe(201);
          expect((await post('http://www.example.com')).status).toBe(httpsOnly ? 422 : 201);
        } finally {
          await herald.stop();
        }
      }
    });
  });
}
