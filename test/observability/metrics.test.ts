import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetrics, MAX_EVENT_TYPE_LABELS } from '../../src/observability/metrics.js';
import { BACKENDS } from '../support/backends.js';
import { eventually, startTestHerald, type TestHerald } from '../support/herald.js';
import { heraldWithReceiver } from '../support/scenario.js';
import { sampleValue, scrape } from './prometheus.js';

const METRICS_TOKEN = 'metrics-token-0123456789abcdef';

describe('the metrics registry', () => {
  it('includes event loop lag, heap and handle metrics unless turned off', async () => {
    const text = await createMetrics().registry.metrics();
    for (const name of [
      'nodejs_eventloop_lag_p99_seconds',
      'nodejs_heap_size_used_bytes',
      'nodejs_active_handles_total',
    ])
      expect(sampleValue(text, name)).toBeGreaterThanOrEqual(0);
    expect(await createMetrics({ processMetrics: false }).registry.metrics()).not.toContain('nodejs_');
  });

  it('counts event types beyond the label cap as _other, so clients cannot grow the series without bound', async () => {
    const metrics = createMetrics({ processMetrics: false });
    for (let i = 0; i < MAX_EVENT_TYPE_LABELS + 50; i++)
      metrics.messagesPublished.inc({ event_type: `type.${i}` });
    metrics.messagesPublished.inc({ event_type: 'type.0' });
    const text = await metrics.registry.metrics();
    expect(sampleValue(text, 'herald_messages_published_total', { event_type: 'type.0' })).toBe(2);
    expect(sampleValue(text, 'herald_messages_published_total', { event_type: '_other' })).toBe(50);
    expect(text.match(/^herald_messages_published_total\{/gm)).toHaveLength(MAX_EVENT_TYPE_LABELS + 1);
  });
});

for (const backend of BACKENDS) {
  describe(`${backend}: GET /metrics after a real publish and delivery`, () => {
    const scenario = heraldWithReceiver(backend);

    it('exposes the counters, the histograms and an empty queue to any scraper, without an API token', async () => {
      const { herald, receiver } = scenario;
      await herald.api('POST', '/api/v1/app', { name: 'Acme', uid: 'acme' });
      const endpoint = await herald.api('POST', '/api/v1/app/acme/endpoint', { url: receiver.url('/hook') });
      expect(endpoint.status).toBe(201);
      const msg = await herald.api('POST', '/api/v1/app/acme/msg', {
        eventType: 'invoice.paid',
        payload: { id: 'in_1' },
      });
      expect(msg.status).toBe(202);
      await receiver.waitForRequests(1);

      const { text, status, contentType } = await eventually(async () => {
        const s = await scrape(herald.url);
        return sampleValue(s.text, 'herald_queue_deliveries', { state: 'in_flight' }) === 0 &&
          sampleValue(s.text, 'herald_deliveries_total', { status: 'success' }) === 1
          ? s
          : null;
      });
      expect(status).toBe(200);
      expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(sampleValue(text, 'herald_messages_published_total', { event_type: 'invoice.paid' })).toBe(1);
      expect(sampleValue(text, 'herald_message_fanout_count')).toBe(1);
      expect(sampleValue(text, 'herald_message_fanout_sum')).toBe(1);
      expect(sampleValue(text, 'herald_attempts_total', { outcome: 'success', error_class: 'none' })).toBe(1);
      expect(sampleValue(text, 'herald_attempt_duration_seconds_count')).toBe(1);
      expect(sampleValue(text, 'herald_attempt_duration_seconds_sum')).toBeGreaterThan(0);
      expect(sampleValue(text, 'herald_queue_deliveries', { state: 'due' })).toBe(0);
      expect(sampleValue(text, 'herald_queue_deliveries', { state: 'scheduled' })).toBe(0);
      expect(sampleValue(text, 'herald_queue_deliveries', { state: 'held' })).toBe(0);
      expect(sampleValue(text, 'herald_queue_oldest_due_age_seconds')).toBe(0);
      expect(sampleValue(text, 'herald_database_up')).toBe(1);
      expect(sampleValue(text, 'herald_requests_in_flight')).toBe(0);
      expect(
        sampleValue(text, 'herald_http_requests_total', {
          method: 'POST',
          route: '/api/v1/app/:app_id/msg',
          status_code: '202',
        }),
      ).toBe(1);
      expect(text).toMatch(/^herald_build_info\{version="\d+\.\d+\.\d+[^"]*"\} 1$/m);
    });

    it('counts failed attempts by error class', async () => {
      const { herald, receiver } = scenario;
      receiver.reset();
      receiver.respondWith(() => ({ status: 503 }));
      await herald.api('POST', '/api/v1/app/acme/msg', { eventType: 'invoice.failed', payload: {} });
      // Three retries are scheduled in tests: 4 failed attempts, then the delivery is exhausted.
      const { text } = await eventually(async () => {
        const s = await scrape(herald.url);
        return sampleValue(s.text, 'herald_deliveries_total', { status: 'exhausted' }) === 1 ? s : null;
      });
      expect(
        sampleValue(text, 'herald_attempts_total', { outcome: 'failure', error_class: 'http_5xx' }),
      ).toBe(4);
      expect(sampleValue(text, 'herald_messages_published_total', { event_type: 'invoice.failed' })).toBe(1);
    });
  });

  describe(`${backend}: the queue gauges with a stalled worker`, () => {
    let herald: TestHerald;
    let now = Date.now();

    beforeAll(async () => {
      herald = await startTestHerald(backend, { worker: false, now: () => now });
      await herald.api('POST', '/api/v1/app', { name: 'Stalled', uid: 'stalled' });
      await herald.api('POST', '/api/v1/app/stalled/endpoint', {
        url: 'http://127.0.0.1:9/hook',
        uid: 'live',
        channels: ['live'],
      });
    });
    afterAll(async () => {
      await herald?.stop();
    });

    const gauges = async () => {
      const { text } = await scrape(herald.url);
      return {
        due: sampleValue(text, 'herald_queue_deliveries', { state: 'due' }),
        scheduled: sampleValue(text, 'herald_queue_deliveries', { state: 'scheduled' }),
        inFlight: sampleValue(text, 'herald_queue_deliveries', { state: 'in_flight' }),
        held: sampleValue(text, 'herald_queue_deliveries', { state: 'held' }),
        oldestDueAge: sampleValue(text, 'herald_queue_oldest_due_age_seconds'),
        text,
      };
    };

    it('reports the age of the oldest due delivery, growing while no worker takes it', async () => {
      const msg = await herald.api('POST', '/api/v1/app/stalled/msg', {
        eventType: 'order.created',
        payload: {},
        channels: ['live'],
      });
      expect(msg.status).toBe(202);
      expect(await gauges()).toMatchObject({ due: 1, oldestDueAge: 0, inFlight: 0 });

      now += 10 * 60_000;
      expect(await gauges()).toMatchObject({ due: 1, oldestDueAge: 600 });
      now += 5 * 60_000;
      expect(await gauges()).toMatchObject({ due: 1, oldestDueAge: 900 });
    });

    it('counts a leased delivery as in flight, and as due again once its lease expired', async () => {
      const claimed = await herald.ctx.store.queue.claim('stuck-worker', 10, now, now + 60_000);
      expect(claimed).toHaveLength(1);
      expect(await gauges()).toMatchObject({ due: 0, inFlight: 1, oldestDueAge: 0 });

      // The worker holding it died: two minutes later its lease has been over for one.
      now += 120_000;
      expect(await gauges()).toMatchObject({ due: 1, inFlight: 0, oldestDueAge: 60 });
    });

    it('counts deliveries scheduled for later and deliveries held for a disabled endpoint', async () => {
      await herald.api('POST', '/api/v1/app/stalled/endpoint', {
        url: 'http://127.0.0.1:9/off',
        uid: 'off',
        channels: ['off'],
        disabled: true,
      });
      await herald.api('POST', '/api/v1/app/stalled/msg', {
        eventType: 'order.created',
        payload: {},
        channels: ['live'],
        deliverAt: new Date(now + 3_600_000).toISOString(),
      });
      await herald.api('POST', '/api/v1/app/stalled/msg', {
        eventType: 'order.archived',
        payload: {},
        channels: ['off'],
      });
      const g = await gauges();
      expect(g).toMatchObject({ due: 1, scheduled: 1, held: 1, inFlight: 0 });
      expect(sampleValue(g.text, 'herald_disabled_endpoints', { reason: 'manual' })).toBe(1);
      expect(sampleValue(g.text, 'herald_disabled_endpoints', { reason: 'gone' })).toBe(0);
      expect(sampleValue(g.text, 'herald_disabled_endpoints', { reason: 'failing' })).toBe(0);
    });
  });

  describe(`${backend}: GET /metrics with HERALD_METRICS_TOKEN`, () => {
    let herald: TestHerald;

    beforeAll(async () => {
      herald = await startTestHerald(backend, {
        worker: false,
        config: { HERALD_METRICS_TOKEN: METRICS_TOKEN },
      });
    });
    afterAll(async () => {
      await herald?.stop();
    });

    it('refuses a scrape without the token, with a wrong token or with the admin token', async () => {
      for (const headers of <Record<string, string>[]>[
        {},
        { authorization: `Bearer ${METRICS_TOKEN}x` },
        { authorization: 'Bearer metrics' },
        { authorization: `Basic ${METRICS_TOKEN}` },
        { authorization: 'Bearer sk_test_admin_token_0123456789abcdef' },
      ]) {
        const res = await scrape(herald.url, headers);
        expect(res.status).toBe(401);
        expect(res.text).not.toContain('herald_');
        expect(JSON.parse(res.text)).toMatchObject({ code: 'unauthorized' });
      }
    });

    it('answers a scrape that carries the token', async () => {
      const res = await scrape(herald.url, { authorization: `Bearer ${METRICS_TOKEN}` });
      expect(res.status).toBe(200);
      expect(sampleValue(res.text, 'herald_database_up')).toBe(1);
    });
  });
}
