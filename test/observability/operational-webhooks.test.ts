import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/backends.js';
import { eventually, startTestHerald, type TestHerald } from '../support/herald.js';
import { type Receiver, startReceiver } from '../support/receiver.js';

const OPS_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

for (const backend of BACKENDS) {
  describe(`${backend}: operational webhooks for endpoint changes`, () => {
    let herald: TestHerald;
    let ops: Receiver;

    beforeAll(async () => {
      ops = await startReceiver();
      herald = await startTestHerald(backend, {
        config: {
          HERALD_OPERATIONAL_WEBHOOK_URL: ops.url('/ops'),
          HERALD_OPERATIONAL_WEBHOOK_SECRET: OPS_SECRET,
        },
      });
      await herald.api('POST', '/api/v1/app', { name: 'ops', uid: 'ops-app' });
    });
    afterAll(async () => {
      await herald?.stop();
      await ops?.close();
    });

    /** The next operational event of `type` about `endpointId`, verified with the operator's secret. */
    async function eventFor(type: string, endpointId: string) {
      const found = await eventually(() =>
        ops.requests.find((r) => {
          const body = JSON.parse(r.body);
          return body.type === type && body.data.endpointId === endpointId;
        }),
      );
      const headers = found.headers as Record<string, string>;
      return new Webhook(OPS_SECRET).verify(found.body, headers) as {
        type: string;
        data: Record<string, unknown>;
      };
    }

    it('announces every create, update and delete, whichever route made it', async () => {
      const created = await herald.api('POST', '/api/v1/app/ops-app/endpoint', {
        url: 'https://example.com/a',
        uid: 'ep-a',
      });
      expect(created.status).toBe(201);
      const id = created.body.id as string;
      expect((await eventFor('endpoint.created', id)).data).toEqual({
        appId: expect.any(String),
        appUid: 'ops-app',
        endpointId: id,
        endpointUid: 'ep-a',
      });

      expect(
        (await herald.api('PATCH', `/api/v1/app/ops-app/endpoint/${id}`, { description: 'x' })).status,
      ).toBe(200);
      await eventFor('endpoint.updated', id);

      ops.reset();
      expect(
        (await herald.api('PUT', `/api/v1/app/ops-app/endpoint/${id}`, { url: 'https://example.com/b' }))
          .status,
      ).toBe(200);
      await eventFor('endpoint.updated', id);

      ops.reset();
      expect(
        (await herald.api('PATCH', `/api/v1/app/ops-app/endpoint/${id}`, { disabled: true })).status,
      ).toBe(200);
      await eventFor('endpoint.updated', id);
      expect((await eventFor('endpoint.disabled', id)).data).toMatchObject({ trigger: 'manual' });

      expect((await herald.api('DELETE', `/api/v1/app/ops-app/endpoint/${id}`)).status).toBe(204);
      expect((await eventFor('endpoint.deleted', id)).data).toMatchObject({
        endpointUid: 'ep-a',
        appUid: 'ops-app',
      });
    });

    it('announces an endpoint that PUT creates', async () => {
      const put = await herald.api('PUT', '/api/v1/app/ops-app/endpoint/ep-new', {
        url: 'https://example.com/new',
      });
      expect(put.status).toBe(201);
      expect((await eventFor('endpoint.created', put.body.id as string)).data).toMatchObject({
        endpointUid: 'ep-new',
      });
    });
  });
}
