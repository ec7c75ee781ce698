import { Writable } from 'node:stream';
import { buildApp } from '../../src/app.js';
import { createRuntime } from '../../src/cli/runtime.js';
import { type Config, loadConfig } from '../../src/config/index.js';
import type { HeraldContext } from '../../src/context.js';
import { Dispatcher } from '../../src/delivery/dispatcher.js';
import { startTaskRunner, type TaskRunner } from '../../src/domains/background-task/runner.js';
import { disableEndpoint } from '../../src/domains/endpoint/disable.js';
import type { HeraldApp } from '../../src/http/types.js';
import { createLogger } from '../../src/observability/logger.js';
import { svixSchemaViolations } from '../conformance/svix-openapi.js';
import { type ApiAnswer, callApi } from './api.js';
import { type Backend, createTestDatabase, type TestDatabase } from './backends.js';

export { eventually } from './eventually.js';

export const TEST_ADMIN_TOKEN = 'sk_test_admin_token_0123456789abcdef';
export const TEST_MAIN_SECRET = Buffer.alloc(32, 7).toString('base64');

export interface TestHerald {
  /** Base URL of the API on a real socket, e.g. http://127.0.0.1:PORT */
  url: string;
  ctx: HeraldContext;
  app: HeraldApp;
  dispatcher: Dispatcher | null;
  /** Starts the worker of a Herald started with `worker: false`. */
  startWorker(): Dispatcher;
  db: TestDatabase;
  /** Log lines written during the run (JSON), for tests that look for leaks. */
  logs: string[];
  /**
   * With `checkSvixSchemas`: every answer that does not satisfy Svix's published OpenAPI
   * document for its operation (see test/conformance/svix-openapi.ts), as one line each.
   */
  svixViolations: string[];
  /** Calls the API with the admin token. */
  api(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiAnswer>;
  stop(): Promise<void>;
}

export interface TestHeraldOptions {
  config?: Partial<Record<string, string>>;
  worker?: boolean;
  now?: () => number;
  /** Run background tasks (recover, replays); defaults to `worker`. */
  tasks?: boolean;
  /** Use this database (e.g. a stopped Herald's) instead of a fresh one. */
  database?: TestDatabase;
  /** Leave the database in place on `stop()`, for a Herald started on it afterwards. */
  keepDatabase?: boolean;
  /** Check every JSON answer against Svix's OpenAPI document, collecting `svixViolations`. */
  checkSvixSchemas?: boolean;
}

/**
 * Starts a real Herald (API on a real socket, plus a worker unless `worker: false`) on a
 * fresh database of `backend`. Loopback is allowed through the SSRF guard so it can reach
 * the test receiver; security tests build their own client without that allowance.
 */
export async function startTestHerald(
  backend: Backend,
  options: TestHeraldOptions = {},
): Promise<TestHerald> {
  const db = options.database ?? (await createTestDatabase(backend));
  const config: Readonly<Config> = loadConfig({
    env: {
      HERALD_DATABASE_URL: db.url,
      HERALD_DATA_DIR: db.dataDir,
      HERALD_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
      HERALD_MAIN_SECRET: TEST_MAIN_SECRET,
      HERALD_PORT: '0',
      HERALD_ALLOWED_NETWORKS: '127.0.0.0/8',
      HERALD_RETRY_SCHEDULE: '0.05,0.05,0.05',
      HERALD_REQUEST_TIMEOUT_MS: '2000',
      HERALD_LEASE_MS: '10000',
      HERALD_LOG_LEVEL: 'info',
      ...options.config,
    },
  });
  const logs: string[] = [];
  const logger = createLogger(
    config.logLevel,
    new Writable({
      write(chunk, _enc, cb) {
        logs.push(String(chunk));
        cb();
      },
    }),
  );
  const runtime = await createRuntime(config, { logger, processMetrics: false, now: options.now });
  const app = await buildApp(runtime.ctx);
  const svixViolations: string[] = [];
  if (options.checkSvixSchemas) {
    app.addHook('onSend', async (request, reply, payload) => {
      const type = String(reply.getHeader('content-type') ?? '');
      if (
        typeof payload === 'string' &&
        type.startsWith('application/json') &&
        request.url.startsWith('/api/')
      ) {
        svixViolations.push(
          ...svixSchemaViolations(request.method, request.url, reply.statusCode, JSON.parse(payload)),
        );
      }
      return payload;
    });
  }
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address() as { port: number };
  const url = `http://127.0.0.1:${address.port}`;
  const client = runtime.client;
  let dispatcher: Dispatcher | null = null;
  const startWorker = () => {
    dispatcher ??= new Dispatcher(runtime.ctx, { client, userAgent: 'Herald/test', disableEndpoint });
    dispatcher.start();
    return dispatcher;
  };
  if (options.worker ?? true) startWorker();
  const tasks: TaskRunner | null =
    (options.tasks ?? options.worker ?? true) ? startTaskRunner(runtime.ctx) : null;
  return {
    url,
    ctx: runtime.ctx,
    app,
    get dispatcher() {
      return dispatcher;
    },
    startWorker,
    db,
    logs,
    svixViolations,
    api: (method, path, body, headers = {}) => callApi(url, TEST_ADMIN_TOKEN, method, path, body, headers),
    async stop() {
      await app.close();
      await tasks?.stop();
      await dispatcher?.stop(2_000);
      await runtime.close();
      if (!options.keepDatabase) await db.drop();
    },
  };
}

/**
 * A second API process on a running Herald's database, as in a scaled-out deployment: its own
 * runtime (pool, caches) and its own socket, no worker; stopping it leaves the database alone.
 */
export function startSecondApiProcess(herald: TestHerald): Promise<TestHerald> {
  return startTestHerald(herald.ctx.store.dialect, {
    database: herald.db,
    keepDatabase: true,
    worker: false,
  });
}
