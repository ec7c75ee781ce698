import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/backends.js';
import { eventually, startTestHerald, type TestHerald } from '../support/herald.js';
import { type Receiver, startReceiver } from '../support/receiver.js';

interface Attempt {
  id: string;
  endpointId: string;
  triggerType: number;
  status: number;
}

for (const backend of BACKENDS) {
  describe(`${backend}: resending messages and scoping attempts`, () => {
    let herald: TestHerald;
    let receiver: Receiver;
    /** Paths the receiver answers 500 on, switchable per test. */
    const failing = new Set<string>();

    const createApp = async (uid: string) => {
      expect((await herald.api('POST', '/api/v1/app', { name: uid, uid })).status).toBe(201);
    };
    const createEndpoint = async (appId: string, body: Record<string, unknown>) => {
      const res = await herald.api('POST', `/api/v1/app/${appId}/endpoint`, body);
      expect(res.status).toBe(201);
      return res.body.id as string;
    };
    const publish = async (appId: string, body: Record<string, unknown>) => {
      const res = await herald.api('POST', `/api/v1/app/${appId}/msg`, body);
      expect(res.status).toBe(202);
      return res.body.id as string;
    };
    const requestsTo = (path: string) => receiver.requests.filter((r) => r.path === path);
    const attemptsOf = async (appId: string, msgId: string, endpointId: string): Promise<Attempt[]> =>
      (await herald.api('GET', `/api/v1/app/${appId}/attempt/msg/${msgId}?endpoint_id=${endpointId}`)).body
        .data;

    beforeAll(async () => {
      herald = await startTestHerald(backend);
      receiver = await startReceiver();
      receiver.respondWith((req) => (failing.has(req.path) ? { status: 500 } : { status: 200 }));
    });
    afterAll(async () => {
      await herald?.stop();
      await receiver?.close();
    });

    it('resends a message as a manual attempt that the receiver gets', async () => {
      await createApp('resend-basic');
      const endpointId = await createEndpoint('resend-basic', { url: receiver.url('/basic') });
      const msgId = await publish('resend-basic', { eventType: 'a.b', payload: { v: 1 }, eventId: 'rb-1' });
      await eventually(() => requestsTo('/basic').length === 1);
      await eventually(async () => (await attemptsOf('resend-basic', msgId, endpointId)).length === 1);

      const res = await herald.api('POST', `/api/v1/app/resend-basic/msg/rb-1/endpoint/${endpointId}/resend`);
      expect(res.status).toBe(202);
      expect(res.body).toEqual({});

      await eventually(() => requestsTo('/basic').length === 2);
      const [first, second] = requestsTo('/basic');
      expect(second!.headers['webhook-id']).toBe(msgId);
      expect(second!.body).toBe(first!.body);
      const attempts = await eventually(async () => {
        const list = await attemptsOf('resend-basic', msgId, endpointId);
        return list.length === 2 ? list : null;
      });
      expect(attempts.map((a) => [a.triggerType, a.status])).toEqual([
        [1, 0],
        [0, 0],
      ]);
    });

    it('resends to an endpoint the message was never sent to', async () => {
      await createApp('resend-new');
      const msgId = await publish('resend-new', { eventType: 'a.b', payload: { v: 2 } });
      // Created after the message was published: no delivery was ever owed to it.
      const other = await createEndpoint('resend-new', {
        url: receiver.url('/not-subscribed'),
        uid: 'late-ep',
      });
      const before = await herald.api('GET', `/api/v1/app/resend-new/msg/${msgId}/endpoint`);
      expect(before.body.data).toEqual([]);

      const res = await herald.api('POST', `/api/v1/app/resend-new/msg/${msgId}/endpoint/late-ep/resend`);
      expect(res.status).toBe(202);
      await eventually(() => requestsTo('/not-subscribed').length === 1);
      const attempts = await eventually(async () => {
        const list = await attemptsOf('resend-new', msgId, other);
        return list.length === 1 ? list : null;
      });
      expect(attempts[0]!.triggerType).toBe(1);
      const after = await herald.api('GET', `/api/v1/app/resend-new/msg/${msgId}/endpoint`);
      expect(after.body.data.map((e: { id: string; status: number }) => [e.id, e.status])).toEqual([
        [other, 0],
      ]);
    });

    it('starts a fresh retry schedule for a delivery that had failed for good', async () => {
      await createApp('resend-exhausted');
      failing.add('/flaky');
      const endpointId = await createEndpoint('resend-exhausted', { url: receiver.url('/flaky') });
      const msgId = await publish('resend-exhausted', { eventType: 'a.b', payload: {} });
      // The test schedule has three quick retries: four tries, then the delivery fails for good.
      const dest = await eventually(async () => {
        const res = await herald.api('GET', `/api/v1/app/resend-exhausted/msg/${msgId}/endpoint`);
        return res.body.data[0]?.status === 2 ? res.body.data[0] : null;
      });
      expect(dest.nextAttempt).toBeNull();
      expect(requestsTo('/flaky')).toHaveLength(4);

      failing.delete('/flaky');
      const res = await herald.api(
        'POST',
        `/api/v1/app/resend-exhausted/msg/${msgId}/endpoint/${endpointId}/resend`,
      );
      expect(res.status).toBe(202);
      await eventually(async () => {
        const list = await herald.api('GET', `/api/v1/app/resend-exhausted/endpoint/${endpointId}/msg`);
        return list.body.data[0]?.status === 0;
      });
      expect(requestsTo('/flaky')).toHaveLength(5);
    });

    it('refuses to resend to a disabled endpoint, naming endpoint_id', async () => {
      await createApp('resend-disabled');
      const endpointId = await createEndpoint('resend-disabled', {
        url: receiver.url('/off'),
        disabled: true,
      });
      const msgId = await publish('resend-disabled', { eventType: 'a.b', payload: {} });
      const res = await herald.api(
        'POST',
        `/api/v1/app/resend-disabled/msg/${msgId}/endpoint/${endpointId}/resend`,
      );
      expect(res.status).toBe(422);
      expect(res.body.detail[0].loc).toEqual(['path', 'endpoint_id']);
      expect(requestsTo('/off')).toHaveLength(0);
    });

    it('refuses to resend a message whose payload was expunged', async () => {
      await createApp('resend-expunged');
      const endpointId = await createEndpoint('resend-expunged', { url: receiver.url('/expunged') });
      const msgId = await publish('resend-expunged', { eventType: 'a.b', payload: { secret: 'x' } });
      await eventually(() => requestsTo('/expunged').length === 1);
      expect((await herald.api('DELETE', `/api/v1/app/resend-expunged/msg/${msgId}/content`)).status).toBe(
        204,
      );
      const res = await herald.api(
        'POST',
        `/api/v1/app/resend-expunged/msg/${msgId}/endpoint/${endpointId}/resend`,
      );
      expect(res.status).toBe(400);
      expect(res.body.detail).toMatch(/payload is missing/i);
    });

    it("answers 404 for another tenant's attempts, messages and endpoints with a portal token", async () => {
      await createApp('portal-own');
      await createApp('portal-other');
      const ownEp = await createEndpoint('portal-own', { url: receiver.url('/own') });
      const otherEp = await createEndpoint('portal-other', { url: receiver.url('/other') });
      const ownMsg = await publish('portal-own', { eventType: 'a.b', payload: {} });
      const otherMsg = await publish('portal-other', { eventType: 'a.b', payload: {} });
      const otherAttempt = await eventually(async () => {
        const list = await attemptsOf('portal-other', otherMsg, otherEp);
        return list[0];
      });
      await eventually(async () => (await attemptsOf('portal-own', ownMsg, ownEp)).length === 1);

      const access = await herald.api('POST', '/api/v1/auth/app-portal-access/portal-own', {});
      const asPortal = { authorization: `Bearer ${access.body.token}` };
      const call = (method: string, path: string) => herald.api(method, path, undefined, asPortal);

      expect((await call('GET', `/api/v1/app/portal-own/attempt/endpoint/${ownEp}`)).status).toBe(200);
      expect((await call('GET', `/api/v1/app/portal-own/attempt/msg/${ownMsg}`)).status).toBe(200);
      expect((await call('GET', `/api/v1/app/portal-own/msg/${ownMsg}/endpoint`)).status).toBe(200);
      expect((await call('GET', `/api/v1/app/portal-own/endpoint/${ownEp}/msg`)).status).toBe(200);
      const forbidden: [string, string][] = [
        ['GET', `/api/v1/app/portal-other/attempt/endpoint/${otherEp}`],
        ['GET', `/api/v1/app/portal-own/attempt/endpoint/${otherEp}`],
        ['GET', `/api/v1/app/portal-own/attempt/msg/${otherMsg}`],
        ['GET', `/api/v1/app/portal-own/attempt/msg/${ownMsg}?endpoint_id=${otherEp}`],
        ['GET', `/api/v1/app/portal-own/endpoint/${otherEp}/msg`],
        ['GET', `/api/v1/app/portal-own/msg/${otherMsg}/endpoint`],
        ['GET', `/api/v1/app/portal-own/msg/${otherMsg}/attempt/${otherAttempt.id}`],
        ['GET', `/api/v1/app/portal-other/msg/${otherMsg}/attempt/${otherAttempt.id}`],
        ['DELETE', `/api/v1/app/portal-own/msg/${otherMsg}/attempt/${otherAttempt.id}/content`],
        ['POST', `/api/v1/app/portal-own/msg/${otherMsg}/endpoint/${otherEp}/resend`],
        ['POST', `/api/v1/app/portal-own/msg/${ownMsg}/endpoint/${otherEp}/resend`],
        ['POST', `/api/v1/app/portal-other/msg/${otherMsg}/endpoint/${otherEp}/resend`],
      ];
      for (const [method, path] of forbidden) {
        const res = await call(method, path);
        expect(res.status, `${method} ${path}`).toBe(404);
      }
      expect(requestsTo('/other')).toHaveLength(1);
      const untouched = await herald.api(
        'GET',
        `/api/v1/app/portal-other/msg/${otherMsg}/attempt/${otherAttempt.id}`,
      );
      expect(untouched.body.response).not.toBe('EXPUNGED');
    });
  });
}
