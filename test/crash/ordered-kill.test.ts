import { afterEach, describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/backends.js';
import { eventually, startTestHerald, type TestHerald } from '../support/herald.js';
import { type HeraldProcess, spawnHerald } from '../support/process.js';
import { type Receiver, startReceiver } from '../support/receiver.js';

const ENV = {
  HERALD_LEASE_MS: '60000',
  HERALD_HEARTBEAT_MS: '500',
  HERALD_WORKER_DEAD_AFTER_MS: '2500',
  HERALD_REQUEST_TIMEOUT_MS: '5000',
  HERALD_RETRY_SCHEDULE: '0.2,0.2,0.2',
};
const KEYS = 20;
const PER_KEY = 30;

// Several worker processes share one queue only on PostgreSQL.
describe.runIf(BACKENDS.includes('postgres'))(
  'postgres: three workers, one killed, on a FIFO endpoint',
  () => {
    let api: TestHerald | undefined;
    let receiver: Receiver | undefined;
    const workers: HeraldProcess[] = [];
    afterEach(async () => {
      for (const w of workers.splice(0)) if (w.child.exitCode === null) w.child.kill('SIGKILL');
      await api?.stop();
      await receiver?.close();
    });

    it('keeps every key in publish order and never sends two messages of one key at once', async () => {
      receiver = await startReceiver();
      const inFlight = new Set<string>();
      const overlaps: string[] = [];
      receiver.respondWith((req) => {
        const { key } = JSON.parse(req.body) as { key: string };
        if (inFlight.has(key)) overlaps.push(key);
        inFlight.add(key);
        setTimeout(() => inFlight.delete(key), 5);
        return { status: 200, delayMs: 5 };
      });
      api = await startTestHerald('postgres', { worker: false });
      const env = { ...ENV, HERALD_DATABASE_URL: api.db.url, HERALD_DATA_DIR: api.db.dataDir };
      for (let i = 0; i < 3; i++) workers.push(await spawnHerald('worker', env));
      await api.api('POST', '/api/v1/app', { name: 'o', uid: 'o' });
      await api.api('POST', '/api/v1/app/o/endpoint', { url: receiver.url('/'), ordering: 'fifo' });

      const messages = Array.from({ length: KEYS * PER_KEY }, (_, i) => ({
        eventType: 'e',
        orderingKey: `k${i % KEYS}`,
        payload: { key: `k${i % KEYS}`, i },
      }));
      const res = await api.api('POST', '/api/v1/app/o/msg/batch', { messages });
      const ids = (res.body.data as { message: { id: string } }[]).map((r) => r.message.id);
      await receiver.waitForRequests(100, 30_000);
      workers[0]!.child.kill('SIGKILL');
      await workers[0]!.exited;

      const distinct = () => new Set(receiver!.requests.map((r) => r.headers['webhook-id']));
      await eventually(() => distinct().size === ids.length, 60_000, 100);
      // Each key's messages as the receiver first saw them (a message resent after the kill is a
      // duplicate the receiver dedupes on webhook-id).
      const firstSeen = new Map<string, string[]>();
      const seen = new Set<string>();
      for (const r of receiver.requests) {
        const id = r.headers['webhook-id']!;
        if (seen.has(id)) continue;
        seen.add(id);
        const { key } = JSON.parse(r.body) as { key: string };
        firstSeen.set(key, [...(firstSeen.get(key) ?? []), id]);
      }
      for (let k = 0; k < KEYS; k++)
        expect(firstSeen.get(`k${k}`)).toEqual(ids.filter((_, i) => i % KEYS === k));
      expect(overlaps).toEqual([]);
    }, 120_000);
  },
);
