import { describe, expect, it } from 'vitest';
import { BACKENDS } from '../../support/backends.js';
import { eventually } from '../../support/herald.js';
import { type SvixServer, svixServer } from './harness.js';

/** Svix's `e2e_attempt.rs` (its pagination cases are in `pagination.test.ts`). */

const ids = (list: { data: { id: string }[] }) => list.data.map((x) => x.id);

/** Waits until `path` lists `count` items and answers the list. */
async function listed(svix: SvixServer, path: string, count: number) {
  return eventually(async () => {
    const res = await svix.api('GET', path);
    return res.status === 200 && res.body.data.length === count ? res.body : null;
  }, 5_000);
}

for (const backend of BACKENDS) {
  describe(`${backend}: Svix e2e_attempt`, () => {
    const svix = svixServer(backend);

    // test_expunge_attempt_response_body
    it("expunges an attempt's response body, which then reads EXPUNGED", async () => {
      const app = await svix.createApp('app1');
      svix.receiver.respondWith(() => ({ status: 200, body: JSON.stringify({ sensitive: 'data' }) }));
      try {
        const ep = await svix.createEndpoint(app.id, svix.receiver.url('/expunge'));
        const msg = await svix.createMessage(app.id, { test: 'data1' });
        const list = await listed(svix, `/api/v1/app/${app.id}/attempt/endpoint/${ep.id}/`, 1);
        const attempt = list.data[0];
        expect(JSON.parse(attempt.response)).toEqual({ sensitive: 'data' });
        const path = `/api/v1/app/${app.id}/msg/${msg.id}/attempt/${attempt.id}/`;
        expect((await svix.api('DELETE', `${path}content/`)).status).toBe(204);
        expect((await svix.api('GET', path)).body.response).toBe('EXPUNGED');
      } finally {
        svix.receiver.reset();
      }
    });

    // test_list_attempted_messages
    it('lists the messages attempted to an endpoint (by id or uid), filtered by channel and event_types', async () => {
      const app = await svix.createApp('app1');
      const ep1 = await svix.createEndpoint(app.id, svix.receiver.url('/am1'));
      await svix.createEndpoint(app.id, svix.receiver.url('/am2'), { uid: 'test' });
      const m1 = await svix.createMessage(app.id, { test: 'data1' });
      const m2 = await svix.createMessage(app.id, { test: 'data2' });
      const m3 = await svix.createMessage(app.id, { test: 'data3' }, 'balloon.popped', ['news']);
      for (const ref of [ep1.id, 'test']) {
        const list = await listed(svix, `/api/v1/app/${app.id}/endpoint/${ref}/msg/`, 3);
        expect(ids(list).sort()).toEqual([m1.id, m2.id, m3.id].sort());
      }
      const base = `/api/v1/app/${app.id}/endpoint/${ep1.id}/msg/`;
      expect(ids((await svix.api('GET', `${base}?channel=news`)).body)).toEqual([m3.id]);
      expect(ids((await svix.api('GET', `${base}?event_types=balloon.popped`)).body)).toEqual([m3.id]);
      expect(ids((await svix.api('GET', `${base}?event_types=event.type`)).body).sort()).toEqual(
        [m1.id, m2.id].sort(),
      );
      const both = await svix.api('GET', `${base}?event_types=event.type,balloon.popped`);
      expect(both.status).toBe(200);
      expect(ids(both.body).sort()).toEqual([m1.id, m2.id, m3.id].sort());
    });

    // test_list_attempted_messages_failed and test_list_attempted_messages_success_are_not_sending
    it('filters attempted messages by status: succeeded (0), failed (2), none left sending (3)', async () => {
      const app = await svix.createApp('app1');
      let status = 200;
      svix.receiver.respondWith((req) => ({ status: req.path === '/status' ? status : 200 }));
      try {
        const ep = await svix.createEndpoint(app.id, svix.receiver.url('/status'));
        const base = `/api/v1/app/${app.id}/endpoint/${ep.id}/msg/`;
        const m1 = await svix.createMessage(app.id, { test: 'data1' });
        const m2 = await svix.createMessage(app.id, { test: 'data2' });
        expect(ids(await listed(svix, `${base}?status=0`, 2)).sort()).toEqual([m1.id, m2.id].sort());
        status = 500;
        const m3 = await svix.createMessage(app.id, { test: 'data3' });
        const m4 = await svix.createMessage(app.id, { test: 'data4' });
        expect(ids(await listed(svix, `${base}?status=2`, 2)).sort()).toEqual([m3.id, m4.id].sort());
        expect((await svix.api('GET', `${base}?status=3`)).body.data).toEqual([]);
      } finally {
        await svix.api('DELETE', `/api/v1/app/${app.id}/`);
        svix.receiver.reset();
      }
    });

    // test_list_attempted_destinations
    it("lists a message's destinations by endpoint id ascending, paging both ways", async () => {
      const app = await svix.createApp('testListAttemptedDestinations');
      const eps = [];
      for (const path of ['/d1', '/d2', '/d3'])
        eps.push(await svix.createEndpoint(app.id, svix.receiver.url(path)));
      const [e1, e2, e3] = eps.map((e) => e.id);
      const msg = await svix.createMessage(app.id, { test: 'data' });
      const base = `/api/v1/app/${app.id}/msg/${msg.id}/endpoint/`;
      expect(ids(await listed(svix, base, 3))).toEqual([e1, e2, e3]);

      const first = (await svix.api('GET', `${base}?limit=2`)).body;
      expect(ids(first)).toEqual([e1, e2]);
      const second = (await svix.api('GET', `${base}?limit=2&iterator=${first.iterator}`)).body;
      expect(ids(second)).toEqual([e3]);
      const back = (await svix.api('GET', `${base}?limit=1&iterator=-${e3}`)).body;
      expect(ids(back)).toEqual([e2]);
      const further = (await svix.api('GET', `${base}?limit=1&iterator=${back.prevIterator}`)).body;
      expect(ids(further)).toEqual([e1]);

      // Herald difference: deleting an endpoint deletes its deliveries, so it is no longer a
      // destination (Svix keeps deleted endpoints and still lists all three).
      expect((await svix.api('DELETE', `/api/v1/app/${app.id}/endpoint/${e2}/`)).status).toBe(204);
      expect(ids((await svix.api('GET', base)).body)).toEqual([e1, e3]);
    });

    // test_list_attempts_by_endpoint
    it("lists an endpoint's attempts, filtered by channel and by event_types in every form Svix accepts", async () => {
      const app = await svix.createApp('v1AttemptListAttemptsByEndpointTestApp');
      await svix.createEndpoint(app.id, svix.receiver.url('/abe1'));
      const ep = await svix.createEndpoint(app.id, svix.receiver.url('/abe2'));
      const m1 = await svix.createMessage(app.id, { test: 'data1' });
      const m2 = await svix.createMessage(app.id, { test: 'data2' });
      const m3 = await svix.createMessage(app.id, { test: 'data3' }, 'user.exploded', ['obits']);
      const base = `/api/v1/app/${app.id}/attempt/endpoint/${ep.id}/`;
      const all = await listed(svix, base, 3);
      expect(all.data.map((a: { msgId: string }) => a.msgId).sort()).toEqual([m1.id, m2.id, m3.id].sort());
      const count = async (query: string) => {
        const res = await svix.api('GET', `${base}?${query}`);
        expect(res.status, query).toBe(200);
        return res.body.data.length;
      };
      expect(await count('channel=foo')).toBe(0);
      expect(await count('channel=obits')).toBe(1);
      expect(await count('event_types=user.exploded')).toBe(1);
      expect(await count('event_types[]=event.type')).toBe(2);
      expect(await count('event_types[0]=event.type&event_types[1]=user.exploded')).toBe(3);
      expect(await count('event_types=event.type,user.exploded')).toBe(3);
      expect(await count('event_types=event.type&event_types=user.exploded')).toBe(3);
    });

    // test_message_attempts
    it('records each attempt with its status and HTTP status: 200 once, 403 and 500 and no answer until exhausted', async () => {
      const retries = svix.herald.ctx.config.retrySchedule.length;
      for (const [code, status, count] of [
        [200, 0, 1],
        [403, 2, retries + 1],
        [500, 2, retries + 1],
      ] as const) {
        const app = await svix.createApp('app');
        const path = `/code-${code}`;
        svix.receiver.respondWith((req) => ({ status: req.path === path ? code : 200 }));
        const ep = await svix.createEndpoint(app.id, svix.receiver.url(path));
        const msg = await svix.createMessage(app.id, { test: 'data' });
        const attempts = await svix.attemptsOf(app.id, msg.id, count);
        for (const a of attempts)
          expect(a).toMatchObject({ status, responseStatusCode: code, endpointId: ep.id });
      }
      svix.receiver.reset();
      // No answer at all (nothing listens): response status 0, failed.
      const app = await svix.createApp('app');
      const ep = await svix.createEndpoint(app.id, 'http://127.0.0.1:9/closed');
      const msg = await svix.createMessage(app.id, { test: 'data1' });
      for (const a of await svix.attemptsOf(app.id, msg.id, retries + 1))
        expect(a).toMatchObject({ status: 2, responseStatusCode: 0, endpointId: ep.id });
    });
  });

  // test_list_attempted_messages_sending
  describe(`${backend}: Svix e2e_attempt with other retry schedules`, () => {
    const waiting = svixServer(backend, { config: { HERALD_RETRY_SCHEDULE: '60' } });

    it('lists a message waiting for its next try as pending (1): Herald keeps sending (3) for a try in flight', async () => {
      const app = await waiting.createApp('app1');
      waiting.receiver.respondWith(() => ({ status: 500 }));
      const ep = await waiting.createEndpoint(app.id, waiting.receiver.url('/sending'));
      const m3 = await waiting.createMessage(app.id, { test: 'data3' });
      const m4 = await waiting.createMessage(app.id, { test: 'data4' });
      const base = `/api/v1/app/${app.id}/endpoint/${ep.id}/msg/`;
      // Both tried once (before its first try a delivery is pending too, then sending while claimed).
      await waiting.receiver.waitForRequests(2);
      // Herald difference: Svix lists these under `sending` (3).
      expect(ids(await listed(waiting, `${base}?status=1`, 2)).sort()).toEqual([m3.id, m4.id].sort());
      expect((await waiting.api('GET', `${base}?status=3`)).body.data).toEqual([]);
    });
  });
}
