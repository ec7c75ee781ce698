import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROBE_INTERVAL_MS, RECONNECT_GAP_MS } from '../../src/delivery/endpoint-health.js';
import { BACKENDS } from '../support/backends.js';
import { eventually, startTestHerald, type TestHerald } from '../support/herald.js';
import { type HostileReceiver, startHostileReceiver } from '../support/hostile-receiver.js';
import { type Receiver, startReceiver } from '../support/receiver.js';

const HANGING = 200;
const TIMEOUT_MS = 2_000;

async function appId(herald: TestHerald, uid: string): Promise<string> {
  const row = await herald.ctx.store.db
    .selectFrom('application')
    .select('id')
    .where('uid', '=', uid)
    .executeTakeFirstOrThrow();
  return row.id;
}

for (const backend of BACKENDS) {
  describe(`${backend}: isolation between tenants`, () => {
    let herald: TestHerald;
    let hostile: HostileReceiver;
    let receiver: Receiver;
    beforeAll(async () => {
      // A small worker, so 200 hanging requests are more than all its slots.
      herald = await startTestHerald(backend, {
        config: {
          HERALD_WORKER_CONCURRENCY: '32',
          HERALD_REQUEST_TIMEOUT_MS: String(TIMEOUT_MS),
          HERALD_RETRY_SCHEDULE: '60',
        },
      });
      hostile = await startHostileReceiver();
      receiver = await startReceiver();
    });
    afterAll(async () => {
      await herald?.stop();
      await hostile?.close();
      await receiver?.close();
    });

    it("a tenant with 200 hanging endpoints does not delay another tenant's deliveries", async () => {
      await herald.api('POST', '/api/v1/app', { name: 'noisy', uid: 'noisy' });
      await herald.api('POST', '/api/v1/app', { name: 'quiet', uid: 'quiet' });
      const noisyId = await appId(herald, 'noisy');
      // Registered straight in the table: 200 API calls would be most of the test's time.
      const now = Date.now();
      const template = await herald.api('POST', '/api/v1/app/noisy/endpoint', {
        url: hostile.url('hang', 'first'),
      });
      expect(template.status).toBe(201);
      const row = await herald.ctx.store.db
        .selectFrom('endpoint')
        .selectAll()
        .where('id', '=', template.body.id)
        .executeTakeFirstOrThrow();
      const rows = Array.from({ length: HANGING - 1 }, (_, i) => ({
        ...row,
        id: `${row.id.slice(0, -4)}${String(i).padStart(4, '0')}`,
        url: hostile.url('hang', String(i)),
        created_at: now,
        updated_at: now,
      }));
      await herald.ctx.store.db.insertInto('endpoint').values(rows).execute();
      expect(
        (await herald.api('POST', '/api/v1/app/quiet/endpoint', { url: receiver.url('/quiet') })).status,
      ).toBe(201);

      for (let i = 0; i < 2; i++)
        expect(
          (await herald.api('POST', '/api/v1/app/noisy/msg', { eventType: 'noise', payload: { i } })).status,
        ).toBe(202);
      // The noisy tenant's requests are open and hanging before the quiet one publishes: as many
      // as its half of the slow share (endpoints not heard from yet are in it), 4 of 32 slots.
      await eventually(() => hostile.open >= 4, 5_000);
      const published: number[] = [];
      for (let i = 0; i < 5; i++) {
        expect(
          (await herald.api('POST', '/api/v1/app/quiet/msg', { eventType: 'calm', payload: { i } })).status,
        ).toBe(202);
        published.push(Date.now());
      }
      const received = await receiver.waitForRequests(5, 5_000);
      // Delivered while the hanging requests were still open, not after they timed out (a slot
      // taken by a hanging request frees only at the request timeout). After the first timeouts
      // fewer stay open: the slow endpoints are held to their bounded share.
      expect(hostile.open).toBeGreaterThan(0);
      const waited = received.map((r) => r.receivedAt - (published[JSON.parse(r.body).i] as number));
      expect(Math.max(...waited)).toBeLessThan(TIMEOUT_MS);

      // The hanging requests end as timeouts, each recorded as an attempt.
      const attempts = await eventually(async () => {
        const found = await herald.ctx.store.db
          .selectFrom('attempt')
          .select(['error_class'])
          .where('app_id', '=', noisyId)
          .execute();
        return found.length >= 4 ? found : null;
      }, 8_000);
      expect(attempts.every((a) => a.error_class === 'timeout')).toBe(true);
    }, 20_000);

    it("an application's new endpoints that hang do not delay its healthy endpoint", async () => {
      receiver.reset();
      await herald.api('POST', '/api/v1/app', { name: 'mixed', uid: 'mixed' });
      expect(
        (await herald.api('POST', '/api/v1/app/mixed/endpoint', { url: receiver.url('/mixed') })).status,
      ).toBe(201);
      // Heard from once: the worker knows it answers.
      await herald.api('POST', '/api/v1/app/mixed/msg', { eventType: 'calm', payload: { i: -1 } });
      await receiver.waitForRequests(1);
      for (let i = 0; i < 4; i++) {
        const url = hostile.url('hang', `mixed-${i}`);
        expect((await herald.api('POST', '/api/v1/app/mixed/endpoint', { url })).status).toBe(201);
      }
      // Each of the four may have 16 requests in flight: 64, more than the application's 28 slots.
      const published: number[] = [];
      for (let i = 0; i < 16; i++) {
        expect(
          (await herald.api('POST', '/api/v1/app/mixed/msg', { eventType: 'calm', payload: { i } })).status,
        ).toBe(202);
        published.push(Date.now());
      }
      // This application's own hanging requests, by their paths: a count of every open connection
      // also saw the other tenant's, and a timed-out one of those may still be open at the
      // receiver (this process's loop is busy), so it could not tell.
      await eventually(() => hostile.openWith('mixed-') > 0, 5_000);
      const received = (await receiver.waitForRequests(17)).slice(1);
      const waited = received.map((r) => r.receivedAt - (published[JSON.parse(r.body).i] as number));
      // Sent while the new endpoints' requests hang, not when they time out and free their slots.
      expect(Math.max(...waited)).toBeLessThan(TIMEOUT_MS / 2);
      expect(hostile.openWith('mixed-')).toBeGreaterThan(0);
    }, 20_000);
  });

  describe(`${backend}: slow and failing endpoints`, () => {
    let herald: TestHerald;
    let receiver: Receiver;
    beforeAll(async () => {
      herald = await startTestHerald(backend, {
        config: { HERALD_RETRY_SCHEDULE: '0.05,0.05,0.05,0.05,0.05,0.05' },
      });
      receiver = await startReceiver();
    });
    afterAll(async () => {
      await herald?.stop();
      await receiver?.close();
    });

    it('a receiver that closes its connection after every answer is held to one paced request at a time, and gets every message', async () => {
      await herald.api('POST', '/api/v1/app', { name: 'closer', uid: 'closer' });
      const ep = await herald.api('POST', '/api/v1/app/closer/endpoint', { url: receiver.url('/closer') });
      receiver.respondWith(() => ({ status: 200, headers: { connection: 'close' }, delayMs: 20 }));
      const published = 60;
      const batch = Array.from({ length: published }, (_, i) =>
        herald.api('POST', '/api/v1/app/closer/msg', { eventType: 'closer', payload: { i } }),
      );
      for (const res of await Promise.all(batch)) expect(res.status).toBe(202);
      const received = await receiver.waitForRequests(published, 10_000);
      // Each answer costs a new connection: after the first few it is slowed, not sent 16 at a time,
      // and paced: each request starts RECONNECT_GAP_MS after the previous answer, which took 20 ms.
      const last = received.slice(-20);
      expect(Math.max(...last.map((r) => r.concurrent))).toBe(1);
      for (let i = 1; i < last.length; i++)
        expect(last[i]!.receivedAt - last[i - 1]!.receivedAt).toBeGreaterThanOrEqual(
          20 + RECONNECT_GAP_MS - 5,
        );
      const stats = await eventually(async () => {
        const body = (await herald.api('GET', `/api/v1/app/closer/endpoint/${ep.body.id}/stats`)).body;
        return body.success === published ? body : null;
      }, 5_000);
      expect(stats.deliveryState).toBe('slowed');
    }, 20_000);

    it('a circuit-open endpoint is probed one request at a time and recovers', async () => {
      receiver.reset();
      await herald.api('POST', '/api/v1/app', { name: 'flaky', uid: 'flaky' });
      const ep = await herald.api('POST', '/api/v1/app/flaky/endpoint', { url: receiver.url('/flaky') });
      let failing = true;
      receiver.respondWith(() => (failing ? { status: 503, delayMs: 30 } : { status: 200, delayMs: 30 }));
      for (let i = 0; i < 24; i++)
        expect(
          (await herald.api('POST', '/api/v1/app/flaky/msg', { eventType: 'flaky', payload: { i } })).status,
        ).toBe(202);
      const stats = async () =>
        (await herald.api('GET', `/api/v1/app/flaky/endpoint/${ep.body.id}/stats`)).body;
      await eventually(async () => (await stats()).deliveryState === 'circuit_open', 5_000);
      const openedAt = receiver.requests.length;
      // While open: a few probes, each the only request in flight.
      await receiver.waitForRequests(openedAt + 3, 5_000);
      const probes = receiver.requests.slice(openedAt + 1, openedAt + 3);
      expect(probes.map((r) => r.concurrent)).toEqual([1, 1]);
      // Paced: a receiver failing in 30 ms is not probed again the moment it fails (unpaced,
      // every message published to it would cost an attempt at once).
      const gap = (probes[1]?.receivedAt ?? 0) - (probes[0]?.receivedAt ?? 0);
      expect(gap).toBeGreaterThanOrEqual(PROBE_INTERVAL_MS + 30 - 5);
      expect((await herald.api('GET', '/metrics')).text).toMatch(
        /herald_endpoint_delivery_state\{state="circuit_open"\} 1/,
      );

      failing = false;
      const recoveredAt = receiver.requests.length;
      await eventually(async () => (await stats()).success === 24, 8_000);
      // Back to full concurrency after the first success.
      expect(Math.max(...receiver.requests.slice(recoveredAt).map((r) => r.concurrent))).toBeGreaterThan(1);
      expect((await stats()).deliveryState).toBe('normal');
      // Every try was recorded: nothing dropped or skipped.
      const attempts = await herald.api('GET', `/api/v1/app/flaky/attempt/endpoint/${ep.body.id}?limit=250`);
      expect(attempts.body.data.length).toBe(receiver.requests.length);
    }, 20_000);
  });
}
