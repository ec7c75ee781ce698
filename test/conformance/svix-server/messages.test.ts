import { describe, expect, it } from 'vitest';
import { BACKENDS } from '../../support/backends.js';
import { eventually } from '../../support/herald.js';
import { svixMessage, svixServer } from './harness.js';

/** Svix's `e2e_message.rs`, as plain HTTP calls against Herald. */
for (const backend of BACKENDS) {
  describe(`${backend}: Svix e2e_message`, () => {
    const svix = svixServer(backend);

    // test_message_create_read_list
    it('creates, reads and lists messages, filtering the list by channel', async () => {
      const app = await svix.createApp('v1MessageCRTestApp');
      await svix.createEndpoint(app.id, 'http://localhost:2/bad/url/');
      const m1 = await svix.createMessage(app.id, { test: 'value' });
      const m2 = await svix.createMessage(app.id, { test: 'value2' });
      const m3 = await svix.createMessage(app.id, { test: 'data3' }, 'balloon.popped', ['news']);
      for (const m of [m1, m2])
        expect(svixMessage((await svix.api('GET', `/api/v1/app/${app.id}/msg/${m.id}/`)).body)).toEqual(m);
      const list = await svix.api('GET', `/api/v1/app/${app.id}/msg/`);
      expect(list.body.data).toHaveLength(3);
      expect(list.body.data.map(svixMessage)).toEqual(expect.arrayContaining([m1, m2, m3]));
      const news = await svix.api('GET', `/api/v1/app/${app.id}/msg/?channel=news`);
      expect(news.body.data.map(svixMessage)).toEqual([m3]);
    });

    // test_message_create_read_list_with_content
    it('leaves the payload out (`{}`) with with_content=false, on create, get and list', async () => {
      const app = await svix.createApp('v1MessageCRTestApp');
      const payload = { test: 'value' };
      const withPayload = await svix.createMessage(app.id, payload);
      expect(withPayload.payload).toEqual(payload);
      const res = await svix.api('POST', `/api/v1/app/${app.id}/msg/?with_content=false`, {
        eventType: 'event.type',
        payload,
      });
      expect(res.status).toBe(202);
      expect(res.body.payload).toEqual({});
      for (const id of [withPayload.id, res.body.id]) {
        expect((await svix.api('GET', `/api/v1/app/${app.id}/msg/${id}/`)).body.payload).toEqual(payload);
        expect(
          (await svix.api('GET', `/api/v1/app/${app.id}/msg/${id}/?with_content=false`)).body.payload,
        ).toEqual({});
      }
      const full = await svix.api('GET', `/api/v1/app/${app.id}/msg/`);
      expect(full.body.data.map((m: { payload: unknown }) => m.payload)).toEqual([payload, payload]);
      const bare = await svix.api('GET', `/api/v1/app/${app.id}/msg/?with_content=false`);
      expect(bare.body.data.map((m: { payload: unknown }) => m.payload)).toEqual([{}, {}]);
    });

    // test_failed_message_gets_recorded
    it('records a failed attempt with the receiver’s 500', async () => {
      const app = await svix.createApp('v1MessageCRTestApp');
      svix.receiver.respondWith(() => ({ status: 500 }));
      try {
        await svix.createEndpoint(app.id, svix.receiver.url('/fail'));
        const msg = await svix.createMessage(app.id, { test: 'value' });
        await eventually(async () => {
          const res = await svix.api('GET', `/api/v1/app/${app.id}/attempt/msg/${msg.id}/`);
          return res.body.data.some((a: { responseStatusCode: number }) => a.responseStatusCode === 500);
        });
      } finally {
        // Its retries must not reach the next case's receiver.
        await svix.api('DELETE', `/api/v1/app/${app.id}/`);
        svix.receiver.reset();
      }
    });

    // test_multiple_endpoints and test_failed_message_gets_requeued
    it('delivers to every endpoint and retries the failing one until it succeeds', async () => {
      const app = await svix.createApp('v1MessageCRTestApp');
      let failing = true;
      svix.receiver.reset();
      svix.receiver.respondWith((req) => ({ status: req.path === '/two' && failing ? 500 : 200 }));
      try {
        for (const path of ['/one', '/two', '/three'])
          await svix.createEndpoint(app.id, svix.receiver.url(path));
        const payload = { test: 'value1' };
        const msg = await svix.createMessage(app.id, payload);
        const first = await eventually(() => {
          const mine = svix.receiver.requests.filter((r) => ['/one', '/two', '/three'].includes(r.path));
          return mine.length >= 3 && mine.slice(0, 3);
        });
        expect(new Set(first.map((r) => r.path))).toEqual(new Set(['/one', '/two', '/three']));
        for (const r of first) expect(JSON.parse(r.body)).toEqual(payload);
        failing = false;
        await eventually(async () => {
          const res = await svix.api('GET', `/api/v1/app/${app.id}/attempt/msg/${msg.id}/`);
          const two = res.body.data.filter((a: { url: string }) => a.url.endsWith('/two'));
          return two.some((a: { responseStatusCode: number }) => a.responseStatusCode === 200);
        });
      } finally {
        svix.receiver.reset();
      }
    });

    // test_expunge_message_payload
    it('reads an expunged payload as {"expired": true}', async () => {
      const app = await svix.createApp('testApp');
      const payload = { sensitive: 'data' };
      const msg = await svix.createMessage(app.id, payload);
      expect((await svix.api('GET', `/api/v1/app/${app.id}/msg/${msg.id}/`)).body.payload).toEqual(payload);
      const expunged = await svix.api('DELETE', `/api/v1/app/${app.id}/msg/${msg.id}/content/`);
      expect(expunged.status).toBe(204);
      expect((await svix.api('GET', `/api/v1/app/${app.id}/msg/${msg.id}/`)).body.payload).toEqual({
        expired: true,
      });
    });

    // test_message_conflict
    it('answers a second message with the same eventId with 409', async () => {
      const app = await svix.createApp('v1MessageCRTestApp');
      const body = {
        eventType: 'user.signup',
        payload: { test: 'value' },
        payloadRetentionPeriod: 5,
        eventId: 'test1',
      };
      expect((await svix.api('POST', `/api/v1/app/${app.id}/msg/`, body)).status).toBe(202);
      expect((await svix.api('POST', `/api/v1/app/${app.id}/msg/`, body)).status).toBe(409);
    });

    // test_message_validation
    it('answers a payload over the size limit with 413', async () => {
      const app = await svix.createApp('testApp');
      const res = await svix.api('POST', `/api/v1/app/${app.id}/msg/`, {
        eventType: 'event.type',
        payload: { large_payload: 'payload-'.repeat(1_000_000) },
      });
      expect(res.status).toBe(413);
    });

    // test_raw_payload
    it('sends transformationsParams.rawPayload verbatim instead of the payload', async () => {
      const app = await svix.createApp('testRawPayload');
      svix.receiver.reset();
      await svix.createEndpoint(app.id, svix.receiver.url('/raw'));
      const raw = JSON.stringify({ test: 'value1' });
      const res = await svix.api('POST', `/api/v1/app/${app.id}/msg/`, {
        eventType: 'payload.raw',
        payload: {},
        transformationsParams: { rawPayload: raw },
      });
      expect(res.status).toBe(202);
      const [request] = await svix.requestsTo('/raw');
      expect(request?.body).toBe(raw);
    });

    // test_create_message_with_application
    it('creates the application a message names from `application`, and only then', async () => {
      const uid = `app-created-in-cmg-${Math.random().toString(36).slice(2, 12)}`;
      const path = `/api/v1/app/${uid}/msg/`;
      expect(
        (await svix.api('POST', path, { eventType: 'test.event', payload: { test: 'value' } })).status,
      ).toBe(404);
      const created = await svix.api('POST', path, {
        eventType: 'test.event',
        payload: { test: 'value1' },
        application: { name: 'Test App Created With Message', uid },
      });
      expect(created.status).toBe(202);
      expect((await svix.api('GET', `/api/v1/app/${uid}/`)).body).toMatchObject({
        uid,
        name: 'Test App Created With Message',
      });
      const again = await svix.api('POST', path, {
        eventType: 'test.event',
        payload: { test: 'value2' },
        application: { name: 'Updated name will be ignored', uid },
      });
      expect(again.status).toBe(202);
      expect((await svix.api('GET', `/api/v1/app/${uid}/`)).body.name).toBe('Test App Created With Message');

      const mismatch = await svix.api('POST', '/api/v1/app/different-uid/msg/', {
        eventType: 'test.event',
        payload: { test: 'value' },
        application: { name: 'Test App', uid },
      });
      expect(mismatch.status).toBe(422);
      expect(mismatch.body.detail[0]).toMatchObject({
        loc: ['body', 'application', 'uid'],
        type: 'application_uid_mismatch',
      });
      const withoutUid = await svix.api('POST', '/api/v1/app/new-app-uid/msg/', {
        eventType: 'test.event',
        payload: { test: 'value' },
        application: { name: 'Test App Without UID' },
      });
      expect(withoutUid.status).toBe(422);
    });
  });
}
