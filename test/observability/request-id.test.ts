import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/backends.js';
import { eventually, startTestHerald, TEST_ADMIN_TOKEN, type TestHerald } from '../support/herald.js';
import { type Receiver, startReceiver } from '../support/receiver.js';

for (const backend of BACKENDS) {
  describe(`${backend}: a request id follows a message from the API call into every attempt`, () => {
    let herald: TestHerald;
    let receiver: Receiver;

    beforeAll(async () => {
      herald = await startTestHerald(backend, { config: { HERALD_LOG_LEVEL: 'debug' } });
      receiver = await startReceiver();
      await herald.api('POST', '/api/v1/app', { name: 'Logged', uid: 'logged' });
      await herald.api('POST', '/api/v1/app/logged/endpoint', { url: receiver.url('/hook') });
    });
    afterAll(async () => {
      await herald?.stop();
      await receiver?.close();
    });

    const records = () =>
      herald.logs.flatMap((chunk) =>
        chunk
          .split('\n')
          .filter((l) => l !== '')
          .map((l) => JSON.parse(l) as Record<string, unknown>),
      );

    it('stores the id of the publishing request with the message and logs the call with it', async () => {
      const msg = await herald.api('POST', '/api/v1/app/logged/msg', { eventType: 'a.b', payload: {} });
      const requestId = msg.headers.get('x-request-id');
      expect(requestId).toMatch(/^req_[0-9a-f]{32}$/);
      const { rows } = await sql<{ request_id: string | null }>`
        select request_id from message where id = ${msg.body.id}`.execute(herald.ctx.store.db);
      expect(rows[0]?.request_id).toBe(requestId);
      await receiver.waitForRequests(1);
      // The API's own line for the publish call carries the same id.
      expect(records().some((r) => r.requestId === requestId && r.msg === 'request')).toBe(true);
    });

    it('logs each attempt with the request id of the API call that published the message', async () => {
      // Each message's first try fails, its retry succeeds.
      const tried = new Set<string>();
      receiver.respondWith((req) => {
        const id = req.headers['webhook-id']!;
        if (tried.has(id)) return { status: 200 };
        tried.add(id);
        return { status: 503 };
      });
      const msg = await herald.api('POST', '/api/v1/app/logged/msg', { eventType: 'a.c', payload: {} });
      const requestId = msg.headers.get('x-request-id')!;
      const attempts = await eventually(async () => {
        const lines = records().filter((r) => r.msg === 'delivery attempt' && r.msgId === msg.body.id);
        return lines.length === 2 ? lines : null;
      });
      const stored = await eventually(async () => {
        const rows = await herald.ctx.store.db
          .selectFrom('attempt')
          .select(['id', 'endpoint_id'])
          .where('msg_id', '=', msg.body.id)
          .orderBy('id')
          .execute();
        return rows.length === 2 ? rows : null;
      });
      expect(attempts.map((a) => [a.requestId, a.attemptId, a.endpointId, a.statusCode, a.state])).toEqual([
        [requestId, stored[0]!.id, stored[0]!.endpoint_id, 503, 'retrying'],
        [requestId, stored[1]!.id, stored[1]!.endpoint_id, 200, 'succeeded'],
      ]);
    });

    it('never writes the admin token or an endpoint secret to the log', async () => {
      const endpoint = await herald.api('POST', '/api/v1/app/logged/endpoint', {
        url: receiver.url('/other'),
      });
      const secret = await herald.api('GET', `/api/v1/app/logged/endpoint/${endpoint.body.id}/secret`);
      await herald.api('GET', '/api/v1/app/logged/endpoint/ep_missing', undefined, {
        authorization: `Bearer ${TEST_ADMIN_TOKEN}`,
      });
      const text = herald.logs.join('');
      expect(text).not.toContain(TEST_ADMIN_TOKEN);
      expect(text).not.toContain(secret.body.key);
    });
  });
}
