import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/backends.js';
import {
  eventually,
  startTestHerald,
  TEST_ADMIN_TOKEN,
  TEST_MAIN_SECRET,
  type TestHerald,
} from '../support/herald.js';
import {
  expectOneClearLine,
  freePort,
  type HeraldProcess,
  runHerald,
  spawnHerald,
} from '../support/process.js';
import { type Receiver, startReceiver } from '../support/receiver.js';
import { sampleValue, scrape } from './prometheus.js';

const METRICS_TOKEN = 'worker-metrics-token-0123456789';
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

// The scale-out shape: the API in one process, `herald worker` alone in another, one database.
describe('sqlite: a `herald worker` process with HERALD_METRICS_PORT', () => {
  let api: TestHerald;
  let receiver: Receiver;
  let worker: HeraldProcess;
  let metricsUrl: string;
  let releaseDelivery: () => void;

  /** A `herald worker` on the API's database, once its metrics port answers. */
  async function startWorker(): Promise<{ worker: HeraldProcess; metricsUrl: string }> {
    const port = await freePort();
    const child = await spawnHerald('worker', {
      HERALD_DATABASE_URL: api.db.url,
      HERALD_DATA_DIR: api.db.dataDir,
      HERALD_METRICS_PORT: String(port),
      HERALD_METRICS_TOKEN: METRICS_TOKEN,
    });
    const url = `http://127.0.0.1:${port}`;
    await eventually(() => fetch(`${url}/api/v1/health`).then((r) => r.status === 204), 30_000, 100).catch(
      (err) => {
        child.child.kill('SIGKILL');
        throw new Error(`herald worker did not start: ${(err as Error).message}\n${child.output()}`);
      },
    );
    return { worker: child, metricsUrl: url };
  }

  beforeAll(async () => {
    api = await startTestHerald('sqlite', { worker: false });
    receiver = await startReceiver();
    // The receiver holds the first delivery, so a scrape can see it in flight.
    const held = new Promise<void>((resolve) => {
      releaseDelivery = resolve;
    });
    receiver.respondWith(async () => {
      await held;
      return { status: 200 };
    });
    await api.api('POST', '/api/v1/app', { name: 'Acme', uid: 'acme' });
    const endpoint = await api.api('POST', '/api/v1/app/acme/endpoint', { url: receiver.url('/hook') });
    expect(endpoint.status).toBe(201);
    const msg = await api.api('POST', '/api/v1/app/acme/msg', { eventType: 'invoice.paid', payload: {} });
    expect(msg.status).toBe(202);

    ({ worker, metricsUrl } = await startWorker());
  }, 60_000);
  afterAll(async () => {
    releaseDelivery?.();
    if (worker && worker.child.exitCode === null) worker.child.kill('SIGKILL');
    await receiver?.close();
    await api?.stop();
  });

  it('serves its own delivery counters on /metrics: in flight while the receiver holds it, then counted', async () => {
    await receiver.waitForRequests(1, 30_000);
    const during = await eventually(async () => {
      const s = await scrape(metricsUrl, bearer(METRICS_TOKEN));
      return sampleValue(s.text, 'herald_requests_in_flight') === 1 ? s : null;
    });
    expect(during.status).toBe(200);
    expect(during.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(
      sampleValue(during.text, 'herald_attempts_total', { outcome: 'success', error_class: 'none' }) ?? 0,
    ).toBe(0);

    releaseDelivery();
    const after = await eventually(async () => {
      const s = await scrape(metricsUrl, bearer(METRICS_TOKEN));
      return sampleValue(s.text, 'herald_deliveries_total', { status: 'success' }) === 1 ? s : null;
    });
    expect(
      sampleValue(after.text, 'herald_attempts_total', { outcome: 'success', error_class: 'none' }),
    ).toBe(1);
    expect(sampleValue(after.text, 'herald_attempt_duration_seconds_count')).toBe(1);
    expect(sampleValue(after.text, 'herald_requests_in_flight')).toBe(0);
    expect(sampleValue(after.text, 'herald_leases_reclaimed_total')).toBe(0);
    // The API process published; the worker's registry is its own and saw no publish.
    expect(sampleValue(after.text, 'herald_messages_published_total', { event_type: 'invoice.paid' })).toBe(
      undefined,
    );
    expect(after.text).toMatch(/^nodejs_eventloop_lag_p99_seconds /m);
  });

  it('refuses a scrape without the metrics token, or with another one', async () => {
    for (const headers of [{}, bearer('not-the-metrics-token'), { authorization: METRICS_TOKEN }]) {
      const res = await fetch(`${metricsUrl}/metrics`, { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
      const body = await res.json();
      expect(body).toEqual({ code: 'unauthorized', detail: expect.stringContaining('HERALD_METRICS_TOKEN') });
      expect(JSON.stringify(body)).not.toContain(METRICS_TOKEN);
    }
  });

  it('answers the health probe, and 404 in Svix shape anywhere else', async () => {
    expect((await fetch(`${metricsUrl}/api/v1/health`)).status).toBe(204);
    for (const path of ['/', '/api/v1/app', '/metrics/extra']) {
      const res = await fetch(`${metricsUrl}${path}`, { headers: bearer(TEST_ADMIN_TOKEN) });
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ code: 'not_found', detail: expect.any(String) });
    }
  });

  it('closes the metrics port on SIGTERM and exits 0', async () => {
    const other = await startWorker();
    other.worker.child.kill('SIGTERM');
    // A listener left open would keep the process alive past its shutdown.
    const stillRunning = new Promise((r) => setTimeout(() => r('still running after 15 s'), 15_000));
    expect(await Promise.race([other.worker.exited, stillRunning])).toBe(0);
    await expect(fetch(`${other.metricsUrl}/metrics`)).rejects.toThrow();
  }, 60_000);
});

describe('HERALD_METRICS_PORT at start-up', () => {
  let db: TestDatabase;
  let env: Record<string, string>;

  beforeAll(async () => {
    db = await createTestDatabase('sqlite');
    env = {
      HERALD_DATABASE_URL: db.url,
      HERALD_DATA_DIR: db.dataDir,
      HERALD_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
      HERALD_MAIN_SECRET: TEST_MAIN_SECRET,
      HERALD_LOG_LEVEL: 'warn',
    };
    // A worker does not migrate: the database must be ready before it starts.
    const migrated = await runHerald(['migrate'], env);
    expect(migrated.code).toBe(0);
  }, 60_000);
  afterAll(async () => {
    await db?.drop();
  });

  it('stops a worker with one line naming HERALD_METRICS_PORT when the port is in use', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const { port } = blocker.address() as { port: number };
    try {
      const { code, output } = await runHerald(['worker'], { ...env, HERALD_METRICS_PORT: String(port) });
      expect(code).toBe(1);
      expectOneClearLine(
        output,
        new RegExp(
          `^herald: port ${port} on 127\\.0\\.0\\.1 is already in use \\(set HERALD_METRICS_PORT\\)$`,
        ),
      );
    } finally {
      blocker.close();
    }
  }, 30_000);

  it('refuses port 0, since a scraper could not know the port the worker picked', async () => {
    const { code, output } = await runHerald(['worker'], { ...env, HERALD_METRICS_PORT: '0' });
    expect(code).toBe(1);
    expectOneClearLine(output, /HERALD_METRICS_PORT.*0 is out of range.*accepts a port 1-65535/);
  }, 30_000);
});
