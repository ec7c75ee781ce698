import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/backends.js';
import { eventually } from '../support/herald.js';
import { heraldWithReceiver } from '../support/scenario.js';

for (const backend of BACKENDS) {
  describe(`${backend}: a message sent through the API reaches the receiver`, () => {
    const scenario = heraldWithReceiver(backend);

    it('delivers a signed request that verifies with the standardwebhooks library', async () => {
      const { herald, receiver } = scenario;
      const app = await herald.api('POST', '/api/v1/app', { name: 'Acme', uid: 'acme' });
      expect(app.status).toBe(201);
      const endpoint = await herald.api('POST', '/api/v1/app/acme/endpoint', {
        url: receiver.url('/hook'),
        description: 'main',
      });
      expect(endpoint.status).toBe(201);
      const secret = await herald.api('GET', `/api/v1/app/acme/endpoint/${endpoint.body.id}/secret`);
      expect(secret.body.key).toMatch(/^whsec_/);

      const msg = await herald.api('POST', '/api/v1/app/acme/msg', {
        eventType: 'invoice.paid',
        payload: { id: 'in_1', amount: 1200 },
      });
      expect(msg.status).toBe(202);
      expect(msg.body.id).toMatch(/^msg_[A-Za-z0-9]{27}$/);

      const [request] = await receiver.waitForRequests(1);
      expect(request!.path).toBe('/hook');
      expect(JSON.parse(request!.body)).toEqual({ id: 'in_1', amount: 1200 });
      expect(request!.headers['webhook-id']).toBe(msg.body.id);
      expect(request!.headers['svix-id']).toBe(msg.body.id);
      const payload = new Webhook(secret.body.key).verify(request!.body, request!.headers);
      expect(payload).toEqual({ id: 'in_1', amount: 1200 });
    });

    it('retries a 503 and records every attempt', async () => {
      const { herald, receiver } = scenario;
      receiver.reset();
      let calls = 0;
      receiver.respondWith(() =>
        ++calls <= 2 ? { status: 503, body: 'busy' } : { status: 200, body: 'ok' },
      );
      const msg = await herald.api('POST', '/api/v1/app/acme/msg', {
        eventType: 'invoice.paid',
        payload: { n: 2 },
      });
      await receiver.waitForRequests(3);
      const ids = new Set(receiver.requests.map((r) => r.headers['webhook-id']));
      expect(ids).toEqual(new Set([msg.body.id]));
      const rows = await eventually(async () => {
        const r = await herald.ctx.store.db
          .selectFrom('attempt')
          .selectAll()
          .where('msg_id', '=', msg.body.id)
          .orderBy('id')
          .execute();
        return r.length === 3 ? r : null;
      });
      expect(rows.map((r) => r.response_status_code)).toEqual([503, 503, 200]);
      expect(rows.map((r) => r.error_class)).toEqual(['http_5xx', 'http_5xx', null]);
      const delivery = await herald.ctx.store.db
        .selectFrom('delivery')
        .selectAll()
        .where('msg_id', '=', msg.body.id)
        .executeTakeFirstOrThrow();
      expect(delivery.status).toBe(0);
      expect(delivery.due_at).toBeNull();
    });
  });
}
