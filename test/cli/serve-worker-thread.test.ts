import { afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/backends.js';
import { eventually, TEST_ADMIN_TOKEN } from '../support/herald.js';
import { type HeraldProcess, spawnHerald } from '../support/process.js';
import { type Receiver, startReceiver } from '../support/receiver.js';

async function call(base: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, text: await res.text() };
}

describe('herald serve on SQLite: the worker on a thread of its own', () => {
  let db: TestDatabase | undefined;
  let receiver: Receiver | undefined;
  let herald: HeraldProcess | undefined;
  afterEach(async () => {
    if (herald?.child.exitCode === null) herald.child.kill('SIGKILL');
    await receiver?.close();
    await db?.drop();
  });

  it('delivers what the API takes while both write the same file, reports both threads on /metrics, and stops on SIGTERM', async () => {
    db = await createTestDatabase('sqlite');
    receiver = await startReceiver();
    herald = await spawnHerald('serve', {
      HERALD_DATABASE_URL: db.url,
      HERALD_DATA_DIR: db.dataDir,
      HERALD_LOG_LEVEL: 'info',
    });
    expect(herald.output()).toMatch(/"workerThread":true/);
    const base = herald.url;
    expect((await call(base, 'POST', '/api/v1/app', { name: 't', uid: 't' })).status).toBe(201);
    expect((await call(base, 'POST', '/api/v1/app/t/endpoint', { url: receiver.url('/t') })).status).toBe(
      201,
    );

    // 16 at a time: the API's publishes and the worker's claims and outcomes write at once.
    // Before BEGIN IMMEDIATE, a publish whose transaction read before the worker wrote was
    // refused with SQLITE_BUSY (503) instead of waiting its turn.
    const statuses: number[] = [];
    for (let i = 0; i < 400; i += 16) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(16, 400 - i) }, (_, j) =>
          call(base, 'POST', '/api/v1/app/t/msg', { eventType: 'e', payload: { i: i + j } }),
        ),
      );
      statuses.push(...batch.map((r) => r.status));
    }
    expect(statuses.filter((s) => s !== 202)).toEqual([]);
    await receiver.waitForRequests(400, 20_000);

    // Idle now: a new message reaches the worker thread as it is published (the due signal crosses
    // threads), not at the worker's idle poll 5 s later.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(
      (await call(base, 'POST', '/api/v1/app/t/msg', { eventType: 'e', payload: { i: 400 } })).status,
    ).toBe(202);
    await receiver.waitForRequests(401, 2_500);

    // The worker thread's counters, summed into the API's /metrics; process metrics once. The
    // last delivery is counted when its outcome is written, a moment after the receiver has it.
    let metrics = '';
    await eventually(async () => {
      metrics = (await call(base, 'GET', '/metrics')).text;
      return /^herald_deliveries_total\{status="success"\} 401$/m.test(metrics);
    }, 5_000);
    expect(metrics.match(/^process_cpu_user_seconds_total /gm)).toHaveLength(1);

    herald.child.kill('SIGTERM');
    expect(await herald.exited).toBe(0);
  }, 60_000);
});
