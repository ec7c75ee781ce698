import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLAVOURS } from '../conformance/sdk-flavours.js';
import { BACKENDS } from '../support/backends.js';
import { eventually, startTestHerald, TEST_ADMIN_TOKEN, type TestHerald } from '../support/herald.js';
import { type Receiver, startReceiver } from '../support/receiver.js';

const HOUR_MS = 3_600_000;

/** Nearest-rank percentile of `values`, the definition the stats route documents. */
function nearestRank(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil(p * sorted.length)) - 1]!;
}

for (const backend of BACKENDS) {
  describe(`${backend}: GET /api/v1/app/{app}/endpoint/{endpoint}/stats`, () => {
    let herald: TestHerald;
    let receiver: Receiver;
    // The clock runs, but a test can move it forward.
    let offset = 0;
    let endpointId: string;
    const stats = (query = '', endpoint = 'main', app = 'shop') =>
      herald.api('GET', `/api/v1/app/${app}/endpoint/${endpoint}/stats${query}`);

    beforeAll(async () => {
      herald = await startTestHerald(backend, { now: () => Date.now() + offset });
      receiver = await startReceiver();
      await herald.api('POST', '/api/v1/app', { name: 'Shop', uid: 'shop' });
      await herald.api('POST', '/api/v1/app', { name: 'Other', uid: 'other' });
      const endpoint = await herald.api('POST', '/api/v1/app/shop/endpoint', {
        url: receiver.url('/hook'),
        uid: 'main',
      });
      endpointId = endpoint.body.id;
    });
    afterAll(async () => {
      await herald?.stop();
      await receiver?.close();
    });

    it('answers zero counts and no latency for an endpoint that never received anything', async () => {
      const res = await stats();
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        success: 0,
        pending: 0,
        sending: 0,
        fail: 0,
        canceled: 0,
        consecutiveFailures: 0,
        failingSince: null,
        lastSuccessAt: null,
        lastFailureAt: null,
        deliveryState: 'normal',
        deliveryStateSince: null,
        lastHour: { attempts: 0, successRatio: null, latencyMs: { p50: null, p95: null, p99: null } },
        lastDay: { attempts: 0, successRatio: null, latencyMs: { p50: null, p95: null, p99: null } },
        ordering: { waitingKeys: 0, blockedKeys: 0, oldestBlocked: null },
      });
    });

    it('counts messages by delivery status and attempts by outcome after known successes and failures', async () => {
      // Two messages accepted (one slowly), then one that fails all 4 tries (3 retries in tests).
      receiver.respondWith((req) => {
        const body = JSON.parse(req.body) as { n: number };
        if (body.n === 3) return { status: 500 };
        return { status: 200, delayMs: body.n === 2 ? 300 : 0 };
      });
      const publish = async (n: number) => {
        const msg = await herald.api('POST', '/api/v1/app/shop/msg', {
          eventType: 'order.paid',
          payload: { n },
        });
        expect(msg.status).toBe(202);
      };
      await publish(1);
      await publish(2);
      // The failures come after both successes, so the streak they make is known.
      await eventually(async () => (await stats()).body.success === 2);
      await publish(3);
      const body = await eventually(async () => {
        const res = await stats();
        return res.body.fail === 1 && res.body.success === 2 ? res.body : null;
      });
      expect(body).toMatchObject({ success: 2, pending: 0, sending: 0, fail: 1, canceled: 0 });
      expect(body.consecutiveFailures).toBe(4);
      expect(Date.parse(body.lastSuccessAt)).toBeLessThan(Date.parse(body.lastFailureAt));
      expect(Date.parse(body.failingSince)).toBeLessThanOrEqual(Date.parse(body.lastFailureAt));

      const durations = (
        await herald.ctx.store.db
          .selectFrom('attempt')
          .select('duration_ms')
          .where('endpoint_id', '=', endpointId)
          .execute()
      ).map((r) => r.duration_ms);
      expect(durations).toHaveLength(6);
      const expected = {
        attempts: 6,
        successRatio: 2 / 6,
        latencyMs: {
          p50: nearestRank(durations, 0.5),
          p95: nearestRank(durations, 0.95),
          p99: nearestRank(durations, 0.99),
        },
      };
      expect(body.lastHour).toEqual(expected);
      expect(body.lastDay).toEqual(expected);
      // The slow answer is the tail, not the median.
      expect(body.lastHour.latencyMs.p99).toBeGreaterThanOrEqual(300);
      expect(body.lastHour.latencyMs.p50).toBeLessThan(300);
    });

    it('ends the failure streak at the next success', async () => {
      await herald.api('POST', '/api/v1/app/shop/msg', { eventType: 'order.paid', payload: { n: 4 } });
      const body = await eventually(async () => {
        const res = await stats();
        return res.body.success === 3 ? res.body : null;
      });
      expect(body).toMatchObject({ consecutiveFailures: 0, failingSince: null, fail: 1 });
      expect(Date.parse(body.lastSuccessAt)).toBeGreaterThan(Date.parse(body.lastFailureAt));
      expect(body.lastHour.attempts).toBe(7);
    });

    it('counts only messages created between since and until', async () => {
      const future = await stats(
        `?since=${encodeURIComponent(new Date(Date.now() + offset - 1).toISOString())}`,
      );
      expect(future.status).toBe(200);
      expect(future.body).toMatchObject({ success: 0, fail: 0, pending: 0 });
      const past = await stats(`?until=${encodeURIComponent(new Date(Date.now() - HOUR_MS).toISOString())}`);
      expect(past.body).toMatchObject({ success: 0, fail: 0 });
      const all = await stats(`?since=${encodeURIComponent(new Date(Date.now() - HOUR_MS).toISOString())}`);
      expect(all.body).toMatchObject({ success: 3, fail: 1 });
    });

    it('leaves attempts older than an hour out of the last hour, and older than a day out of the last day', async () => {
      offset = 2 * HOUR_MS;
      const laterToday = (await stats()).body;
      expect(laterToday.lastHour).toEqual({
        attempts: 0,
        successRatio: null,
        latencyMs: { p50: null, p95: null, p99: null },
      });
      expect(laterToday.lastDay.attempts).toBe(7);
      offset = 25 * HOUR_MS;
      const tomorrow = (await stats()).body;
      expect(tomorrow.lastDay.attempts).toBe(0);
      // Delivery counts cover 28 days by default, and the streak is the endpoint's own.
      expect(tomorrow).toMatchObject({ success: 3, fail: 1, consecutiveFailures: 0 });
      offset = 0;
    });

    it('refuses a range Svix refuses, with its invalid_range code', async () => {
      const future = await stats(
        `?until=${encodeURIComponent(new Date(Date.now() + HOUR_MS).toISOString())}`,
      );
      expect(future.status).toBe(400);
      expect(future.body).toMatchObject({ code: 'invalid_range' });
      const tooLong = await stats(
        `?since=${encodeURIComponent(new Date(Date.now() - 30 * 24 * HOUR_MS).toISOString())}`,
      );
      expect(tooLong.status).toBe(400);
      expect(tooLong.body.code).toBe('invalid_range');
      expect(tooLong.body.detail).toMatch(/28 days/);
    });

    it('answers 422 naming the query field for a date that is not a date', async () => {
      const res = await stats('?since=yesterday');
      expect(res.status).toBe(422);
      expect(res.body.detail[0].loc).toEqual(['query', 'since']);
    });

    it("answers 404 for an unknown endpoint and for another application's endpoint", async () => {
      expect((await stats('', 'ep_nope')).status).toBe(404);
      expect((await stats('', endpointId, 'other')).status).toBe(404);
    });

    for (const flavour of FLAVOURS) {
      it(`is read by the ${flavour.name} SDK's endpoint.getStats`, async () => {
        const client = flavour.client(TEST_ADMIN_TOKEN, herald.url);
        const got = await client.endpoint.getStats('shop', 'main');
        expect(got).toMatchObject({ success: 3, pending: 0, sending: 0, fail: 1 });
      });
    }
  });
}
