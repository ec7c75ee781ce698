import { describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/backends.js';
import { eventually, startTestHerald } from '../support/herald.js';
import { type HeraldProcess, spawnHerald } from '../support/process.js';
import { startReceiver } from '../support/receiver.js';

const RATE = 4;
const MESSAGES = 16;
/** With a bucket of one second's worth, the last of N messages cannot arrive before (N - rate) / rate seconds. */
const MIN_SPAN_MS = ((MESSAGES - RATE) / RATE) * 1000 * 0.85;

function span(times: number[]): number {
  return Math.max(...times) - Math.min(...times);
}

for (const backend of BACKENDS) {
  describe(`${backend}: an endpoint's throttleRate`, () => {
    it('holds one endpoint to its messages per second', async () => {
      const receiver = await startReceiver();
      const herald = await startTestHerald(backend);
      try {
        await herald.api('POST', '/api/v1/app', { name: 't', uid: 't' });
        const ep = await herald.api('POST', '/api/v1/app/t/endpoint', {
          url: receiver.url('/'),
          rateLimit: RATE,
        });
        expect(ep.body.throttleRate).toBe(RATE);
        for (let i = 0; i < MESSAGES; i++)
          await herald.api('POST', '/api/v1/app/t/msg', { eventType: 'a', payload: { i } });
        const got = await receiver.waitForRequests(MESSAGES, 30_000);
        expect(span(got.map((r) => r.receivedAt))).toBeGreaterThanOrEqual(MIN_SPAN_MS);
      } finally {
        await herald.stop();
        await receiver.close();
      }
    }, 60_000);
  });
}

describe.runIf(BACKENDS.includes('postgres'))('postgres: throttleRate across worker processes', () => {
  it('holds the rate across two worker processes, not per process', async () => {
    const receiver = await startReceiver();
    const api = await startTestHerald('postgres', { worker: false });
    const workers: HeraldProcess[] = [];
    try {
      await api.api('POST', '/api/v1/app', { name: 't', uid: 't' });
      await api.api('POST', '/api/v1/app/t/endpoint', { url: receiver.url('/'), throttleRate: RATE });
      const env = {
        HERALD_DATABASE_URL: api.db.url,
        HERALD_DATA_DIR: api.db.dataDir,
        // Each worker holds only a few deliveries at a time, so both take part in the backlog.
        HERALD_WORKER_CONCURRENCY: '2',
        HERALD_CLAIM_BATCH_SIZE: '2',
        HERALD_LOG_LEVEL: 'info',
      };
      for (let i = 0; i < 2; i++) workers.push(await spawnHerald('worker', env));
      // Both workers are up before the messages arrive, so both compete for them from the start.
      await eventually(() => workers.every((w) => w.output().includes('Herald worker started')), 60_000, 100);
      await Promise.all(
        Array.from({ length: MESSAGES }, (_, i) =>
          api.api('POST', '/api/v1/app/t/msg', { eventType: 'a', payload: { i } }),
        ),
      );
      await eventually(() => receiver.requests.length >= MESSAGES, 60_000, 100);
      // Two processes with a bucket each would deliver twice as fast.
      expect(span(receiver.requests.map((r) => r.receivedAt))).toBeGreaterThanOrEqual(MIN_SPAN_MS);
      expect(new Set(receiver.requests.map((r) => r.headers['webhook-id'])).size).toBe(MESSAGES);
    } finally {
      for (const w of workers) w.child.kill('SIGTERM');
      await Promise.all(workers.map((w) => w.exited));
      await api.stop();
      await receiver.close();
    }
  }, 120_000);
});
