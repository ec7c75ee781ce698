import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open.js';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../support/backends.js';
import { eventually, startTestHerald, TEST_ADMIN_TOKEN } from '../support/herald.js';
import { type HeraldProcess, spawnHerald } from '../support/process.js';
import { type Receiver, startReceiver } from '../support/receiver.js';

// A generous timeout: on a loaded machine a short one would retry (so duplicate) a request the receiver got.
const CHILD_ENV = {
  HERALD_REQUEST_TIMEOUT_MS: '5000',
  HERALD_LEASE_MS: '10000',
  HERALD_RETRY_SCHEDULE: '0.2,0.2,0.2',
};

async function call(base: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json().catch(() => null)) as { id: string } };
}

/** Publishes `count` messages through the API of `base`, a few at a time; returns their ids. */
async function publishMany(base: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i += 20) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(20, count - i) }, (_, j) =>
        call(base, 'POST', '/api/v1/app/c/msg', { eventType: 'e', payload: { i: i + j } }),
      ),
    );
    for (const r of batch) {
      expect(r.status).toBe(202);
      ids.push(r.body.id);
    }
  }
  return ids;
}

const receivedIds = (receiver: Receiver) => receiver.requests.map((r) => r.headers['webhook-id']!);

for (const backend of BACKENDS) {
  describe(`${backend}: nothing is lost when a process dies or stops`, () => {
    let db: TestDatabase | undefined;
    let receiver: Receiver | undefined;
    const children: HeraldProcess[] = [];
    afterEach(async () => {
      for (const c of children.splice(0)) if (c.child.exitCode === null) c.child.kill('SIGKILL');
      await receiver?.close();
      await db?.drop();
    });

    it('redelivers what a SIGKILLed process held, duplicating only what was in flight', async () => {
      db = await createTestDatabase(backend);
      receiver = await startReceiver();
      receiver.respondWith(() => ({ status: 200, delayMs: 150 }));
      const env = {
        ...CHILD_ENV,
        HERALD_DATABASE_URL: db.url,
        HERALD_DATA_DIR: db.dataDir,
        // The restarted process finds the killed one dead after 2.5 s instead of 10: only one
        // process runs at a time here, so no live one can be judged dead.
        HERALD_HEARTBEAT_MS: '500',
        HERALD_WORKER_DEAD_AFTER_MS: '2500',
      };
      const first = await spawnHerald('serve', env);
      children.push(first);
      await call(first.url, 'POST', '/api/v1/app', { name: 'c', uid: 'c' });
      await call(first.url, 'POST', '/api/v1/app/c/endpoint', { url: receiver.url('/') });
      const ids = await publishMany(first.url, 150);
      await receiver.waitForRequests(30, 20_000);
      first.child.kill('SIGKILL');
      await first.exited;
      const beforeKill = new Set(receivedIds(receiver));

      const second = await spawnHerald('serve', env);
      children.push(second);
      await eventually(() => new Set(receivedIds(receiver!)).size === ids.length, 60_000, 100);
      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);

      const counts = new Map<string, number>();
      for (const id of receivedIds(receiver)) counts.set(id, (counts.get(id) ?? 0) + 1);
      expect(new Set(counts.keys())).toEqual(new Set(ids));
      const duplicated = [...counts].filter(([, n]) => n > 1).map(([id]) => id);
      // Only messages the receiver had already seen when the process died come twice.
      for (const id of duplicated) expect(beforeKill.has(id)).toBe(true);
      expect(duplicated.length).toBeLessThanOrEqual(beforeKill.size);
    }, 120_000);

    it('on SIGTERM finishes deliveries in flight, gives back the rest and exits 0', async () => {
      db = await createTestDatabase(backend);
      receiver = await startReceiver();
      receiver.respondWith(() => ({ status: 200, delayMs: 700 }));
      const env = {
        ...CHILD_ENV,
        HERALD_DATABASE_URL: db.url,
        HERALD_DATA_DIR: db.dataDir,
        HERALD_ENDPOINT_CONCURRENCY: '4',
      };
      const first = await spawnHerald('serve', env);
      children.push(first);
      await call(first.url, 'POST', '/api/v1/app', { name: 'c', uid: 'c' });
      await call(first.url, 'POST', '/api/v1/app/c/endpoint', { url: receiver.url('/') });
      const ids = await publishMany(first.url, 40);
      await receiver.waitForRequests(2, 20_000);
      first.child.kill('SIGTERM');
      expect(await first.exited).toBe(0);
      const atStop = receivedIds(receiver);

      // Every request the receiver got before the stop was answered and recorded; nothing stays leased.
      const store = await openStore({ databaseUrl: db.url });
      try {
        const recorded = await store.db.selectFrom('attempt').select('msg_id').execute();
        expect(new Set(recorded.map((r) => r.msg_id))).toEqual(new Set(atStop));
        const leased = await store.db
          .selectFrom('delivery')
          .select('id')
          .where('lease_owner', 'is not', null)
          .execute();
        expect(leased).toHaveLength(0);
      } finally {
        await store.close();
      }

      const second = await spawnHerald('serve', env);
      children.push(second);
      await eventually(() => new Set(receivedIds(receiver!)).size === ids.length, 60_000, 100);
      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
      // A graceful stop duplicates nothing: a message comes twice only when a try of it failed
      // (a timeout on a loaded machine), never because of the stop.
      const seen = new Map<string, number>();
      for (const id of receivedIds(receiver)) seen.set(id, (seen.get(id) ?? 0) + 1);
      const twice = [...seen].filter(([, n]) => n > 1).map(([id]) => id);
      if (twice.length > 0) {
        const check = await openStore({ databaseUrl: db.url });
        try {
          const failed = await check.db
            .selectFrom('attempt')
            .select('msg_id')
            .where('status', '!=', 0)
            .where('msg_id', 'in', twice)
            .execute();
          expect(new Set(failed.map((f) => f.msg_id))).toEqual(new Set(twice));
        } finally {
          await check.close();
        }
      }
    }, 120_000);
  });
}

describe.runIf(BACKENDS.includes('postgres'))('postgres: several worker processes drain one backlog', () => {
  it('makes every delivery exactly once across three workers', async () => {
    const receiver = await startReceiver();
    const api = await startTestHerald('postgres', { worker: false });
    const workers: HeraldProcess[] = [];
    try {
      await api.api('POST', '/api/v1/app', { name: 'c', uid: 'c' });
      await api.api('POST', '/api/v1/app/c/endpoint', { url: receiver.url('/') });
      const ids = await publishMany(api.url, 300);
      const env = {
        ...CHILD_ENV,
        HERALD_DATABASE_URL: api.db.url,
        HERALD_DATA_DIR: api.db.dataDir,
        HERALD_CLAIM_BATCH_SIZE: '20',
      };
      for (let i = 0; i < 3; i++) workers.push(await spawnHerald('worker', env));
      await eventually(() => receiver.requests.length >= ids.length, 60_000, 100);
      await new Promise((r) => setTimeout(r, 500));
      const got = receivedIds(receiver);
      expect(got).toHaveLength(ids.length);
      expect(new Set(got)).toEqual(new Set(ids));
      const pending = await api.ctx.store.db
        .selectFrom('delivery')
        .select('id')
        .where('status', '!=', 0)
        .execute();
      expect(pending).toHaveLength(0);
      for (const w of workers) w.child.kill('SIGTERM');
      for (const w of workers) expect(await w.exited).toBe(0);
    } finally {
      for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
      await api.stop();
      await receiver.close();
    }
  }, 120_000);
});
