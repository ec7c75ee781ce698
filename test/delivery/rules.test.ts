import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/backends.js';
import { eventually, startTestHerald, type TestHerald } from '../support/herald.js';
import { type Receiver, startReceiver } from '../support/receiver.js';

const OPS_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

for (const backend of BACKENDS) {
  describe(`${backend}: delivery rules`, () => {
    let herald: TestHerald;
    let receiver: Receiver;
    let ops: Receiver;
    let n = 0;

    beforeAll(async () => {
      receiver = await startReceiver();
      ops = await startReceiver();
      herald = await startTestHerald(backend, {
        config: {
          HERALD_REQUEST_TIMEOUT_MS: '1000',
          HERALD_LEASE_MS: '6000',
          HERALD_OPERATIONAL_WEBHOOK_URL: ops.url('/ops'),
          HERALD_OPERATIONAL_WEBHOOK_SECRET: OPS_SECRET,
        },
      });
    });
    afterAll(async () => {
      await herald?.stop();
      await receiver?.close();
      await ops?.close();
    });
    afterEach(() => {
      receiver.reset();
      ops.reset();
    });

    let app = '';
    beforeEach(async () => {
      app = `rules${++n}`;
      await herald.api('POST', '/api/v1/app', { name: app, uid: app });
    });

    /** A new endpoint in this test's own application, at a path of its own. */
    async function endpoint(extra: Record<string, unknown> = {}) {
      const path = `/ep${++n}`;
      const res = await herald.api('POST', `/api/v1/app/${app}/endpoint`, {
        url: receiver.url(path),
        ...extra,
      });
      expect(res.status).toBe(201);
      return { id: res.body.id as string, path };
    }
    const publish = async (payload: Record<string, unknown> = { n }) => {
      const res = await herald.api('POST', `/api/v1/app/${app}/msg`, { eventType: 'test.event', payload });
      expect(res.status).toBe(202);
      return res.body.id as string;
    };
    const attempts = (msgId: string) =>
      herald.ctx.store.db
        .selectFrom('attempt')
        .selectAll()
        .where('msg_id', '=', msgId)
        .orderBy('created_at')
        .orderBy('id')
        .execute();
    const delivery = (msgId: string) =>
      herald.ctx.store.db
        .selectFrom('delivery')
        .selectAll()
        .where('msg_id', '=', msgId)
        .executeTakeFirstOrThrow();
    const endpointRow = (id: string) =>
      herald.ctx.store.db.selectFrom('endpoint').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    const at = (path: string) => receiver.requests.filter((r) => r.path === path);

    it('fails and gives up after the last retry of the schedule, telling the operator', async () => {
      const ep = await endpoint();
      receiver.respondWith(() => ({ status: 500, body: 'boom' }));
      const msgId = await publish();
      const rows = await eventually(async () => {
        const r = await attempts(msgId);
        return r.length === 4 ? r : null;
      });
      expect(rows.map((r) => r.error_class)).toEqual(['http_5xx', 'http_5xx', 'http_5xx', 'http_5xx']);
      expect(rows.every((r) => r.response === 'boom')).toBe(true);
      await eventually(async () => (await delivery(msgId)).status === 2);
      expect((await delivery(msgId)).due_at).toBeNull();
      const events = await eventually(() => {
        const found = ops.requests.filter((r) => JSON.parse(r.body).type === 'message.attempt.exhausted');
        return found.length > 0 ? found : null;
      });
      const body = JSON.parse(events[0]!.body);
      expect(body.data).toMatchObject({ msgId, endpointId: ep.id, lastAttempt: { responseStatusCode: 500 } });
      expect(events[0]!.headers['webhook-signature']).toMatch(/^v1,/);
      // Its last try was also its fourth failure: exhausted says it, failing must not as well.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const failing = ops.requests.filter((r) => {
        const sent = JSON.parse(r.body);
        return sent.type === 'message.attempt.failing' && sent.data.msgId === msgId;
      });
      expect(failing).toEqual([]);
    });

    it('disables the endpoint at once on 410 Gone and holds its later messages', async () => {
      const ep = await endpoint();
      receiver.respondWith(() => ({ status: 410 }));
      const first = await publish();
      await eventually(async () => (await endpointRow(ep.id)).disabled === 1);
      const row = await endpointRow(ep.id);
      expect(row.disabled_reason).toMatch(/410/);
      expect((await delivery(first)).status).toBe(2);
      expect(await attempts(first)).toHaveLength(1);
      const disabledEvent = await eventually(() =>
        ops.requests.find((r) => JSON.parse(r.body).type === 'endpoint.disabled'),
      );
      // Named as the application's owner knows it: its uid, read when the endpoint was disabled.
      expect(JSON.parse(disabledEvent.body).data).toMatchObject({
        endpointId: ep.id,
        appUid: app,
        trigger: 'automatic',
      });

      const held = await publish();
      await new Promise((r) => setTimeout(r, 300));
      expect(at(ep.path)).toHaveLength(1);
      const heldRow = await delivery(held);
      expect(heldRow.status).toBe(1);
      expect(heldRow.due_at).toBeNull();
      // Enabling it again sends what it held.
      receiver.respondWith(() => ({ status: 200 }));
      await herald.api('PATCH', `/api/v1/app/${app}/endpoint/${ep.id}`, { disabled: false });
      await eventually(() => at(ep.path).some((r) => r.headers['webhook-id'] === held));
    });

    it('honours Retry-After on 429, never sooner than the schedule and bounded', async () => {
      const ep = await endpoint();
      let calls = 0;
      receiver.respondWith(() =>
        ++calls === 1 ? { status: 429, headers: { 'retry-after': '2' } } : { status: 200 },
      );
      const msgId = await publish();
      const requests = await receiver.waitForRequests(2, 10_000);
      const gap = requests[1]!.receivedAt - requests[0]!.receivedAt;
      expect(gap).toBeGreaterThanOrEqual(1_900);
      expect((await attempts(msgId))[0]!.error_class).toBe('http_4xx');

      receiver.respondWith(() => ({ status: 503, headers: { 'retry-after': '99999999' } }));
      const parked = await publish();
      const row = await eventually(async () => {
        const d = await delivery(parked);
        return d.attempt_count === 1 && d.status === 1 ? d : null;
      });
      expect(row.due_at! - Date.now()).toBeLessThanOrEqual(6 * 3_600_000);
      expect(row.due_at! - Date.now()).toBeGreaterThan(3_600_000);
      expect(at(ep.path).length).toBeGreaterThan(0);
    });

    it('records a redirect as a failure and never follows it', async () => {
      const target = await startReceiver();
      try {
        const ep = await endpoint();
        receiver.respondWith(() => ({ status: 302, headers: { location: target.url('/inside') } }));
        const msgId = await publish();
        const rows = await eventually(async () => {
          const r = await attempts(msgId);
          return r.length >= 1 ? r : null;
        });
        expect(rows[0]!.error_class).toBe('http_3xx');
        expect(rows[0]!.response_status_code).toBe(302);
        expect(target.requests).toHaveLength(0);
        expect(at(ep.path).length).toBeGreaterThan(0);
      } finally {
        await target.close();
      }
    });

    it('classifies a hang past the timeout, a closed connection and caps a huge body', async () => {
      const hang = await endpoint();
      const reset = await endpoint();
      const huge = await endpoint();
      receiver.respondWith((req) => {
        if (req.path === hang.path) return { hang: true };
        if (req.path === reset.path) return { destroy: true };
        return { status: 200, bodyBytes: 5_000_000 };
      });
      const msg = await publish();
      const byEndpoint = await eventually(async () => {
        const r = await attempts(msg);
        const map = new Map(r.map((a) => [a.endpoint_id, a]));
        return map.has(hang.id) && map.has(reset.id) && map.has(huge.id) ? map : null;
      });
      expect(byEndpoint.get(hang.id)!.error_class).toBe('timeout');
      expect(byEndpoint.get(hang.id)!.duration_ms).toBeGreaterThanOrEqual(900);
      expect(byEndpoint.get(reset.id)!.error_class).toBe('connection_reset');
      const hugeAttempt = byEndpoint.get(huge.id)!;
      expect(hugeAttempt.error_class).toBeNull();
      expect(Buffer.byteLength(hugeAttempt.response ?? '')).toBeLessThanOrEqual(
        herald.ctx.config.storedResponseBytes,
      );
    });

    it('sends custom headers but never lets them replace the signature headers', async () => {
      const headers = { 'x-tenant': 'acme', Authorization: 'Bearer rx-secret' };
      const refused = await herald.api('POST', `/api/v1/app/${app}/endpoint`, {
        url: receiver.url('/refused'),
        headers: { ...headers, 'webhook-signature': 'forged' },
      });
      expect(refused.status).toBe(422);
      const ep = await endpoint({ headers });
      // A row written before the API refused such names (plaintext, as earlier versions stored it)
      // still cannot replace the signature at delivery.
      await herald.ctx.store.db
        .updateTable('endpoint')
        .set({ headers: JSON.stringify({ ...headers, 'webhook-signature': 'forged' }) })
        .where('id', '=', ep.id)
        .execute();
      receiver.respondWith(() => ({ status: 200 }));
      const msgId = await publish();
      const req = await eventually(() => at(ep.path)[0]);
      expect(req.headers['x-tenant']).toBe('acme');
      expect(req.headers.authorization).toBe('Bearer rx-secret');
      expect(req.headers['webhook-signature']).toMatch(/^v1,/);
      const [row] = await eventually(async () => {
        const r = await attempts(msgId);
        return r.length ? r : null;
      });
      // The attempt log keeps the headers sent, minus every credential.
      const recorded = JSON.parse(row!.request_headers!);
      expect(recorded['x-tenant']).toBe('acme');
      expect(recorded.Authorization).toBe('[redacted]');
      expect(recorded['webhook-signature']).toBe('[redacted]');
    });

    it('disables an endpoint that has failed every attempt for the configured period', async () => {
      const local = await startTestHerald(backend, {
        config: {
          HERALD_ENDPOINT_FAILURE_DISABLE_AFTER: '1000',
          // Retries enough to outlast the disable period even on a slow machine.
          HERALD_RETRY_SCHEDULE: Array(40).fill('0.1').join(','),
          HERALD_OPERATIONAL_WEBHOOK_URL: ops.url('/ops'),
          HERALD_OPERATIONAL_WEBHOOK_SECRET: OPS_SECRET,
        },
      });
      try {
        const appOut = await local.api('POST', '/api/v1/app', { name: 'x', uid: 'x' });
        const ep = await local.api('POST', '/api/v1/app/x/endpoint', {
          url: receiver.url('/failing'),
          uid: 'failing-ep',
        });
        receiver.respondWith(() => ({ status: 500 }));
        await local.api('POST', '/api/v1/app/x/msg', { eventType: 'a.b', payload: {} });
        const row = await eventually(async () => {
          const e = await local.ctx.store.db
            .selectFrom('endpoint')
            .selectAll()
            .where('id', '=', ep.body.id)
            .executeTakeFirstOrThrow();
          return e.disabled === 1 ? e : null;
        }, 15_000);
        expect(row.disabled_reason).toMatch(/Every attempt has failed since/);
        const types = ops.requests.map((r) => JSON.parse(r.body).type);
        // The fourth failure announced the message as failing, before the endpoint was disabled.
        expect(types).toContain('message.attempt.failing');
        const disabled = await eventually(() =>
          ops.requests.find((r) => JSON.parse(r.body).type === 'endpoint.disabled'),
        );
        expect(JSON.parse(disabled.body).data).toMatchObject({
          appId: appOut.body.id,
          appUid: 'x',
          endpointId: ep.body.id,
          endpointUid: 'failing-ep',
          trigger: 'automatic',
        });
        const out = await local.api('GET', `/api/v1/app/x/endpoint/${ep.body.id}`);
        expect(out.body.disabled).toBe(true);
      } finally {
        await local.stop();
      }
    });
  });
}
