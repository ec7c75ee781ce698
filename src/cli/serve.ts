import { buildApp } from '../app.js';
import type { Config } from '../config/index.js';
import { Dispatcher } from '../delivery/dispatcher.js';
import { startTaskRunner, type TaskRunner } from '../domains/background-task/runner.js';
import { disableEndpoint } from '../domains/endpoint/disable.js';
import { type MetricsServer, startMetricsServer } from '../http/metrics-server.js';
import type { Metrics } from '../observability/metrics.js';
import { startRetention } from '../retention/purge.js';
import { WriteLock } from '../store/sqlite/write-lock.js';
import { USER_AGENT } from '../version.js';
import { createRuntime, type Runtime } from './runtime.js';
import { startWorkerThread, type WorkerThread } from './worker-thread-host.js';

export type Role = 'serve' | 'api' | 'worker';

/** A running Herald process: what `herald serve|api|worker` starts and SIGTERM stops. */
export interface RunningHerald {
  url: string | null;
  metrics: Metrics;
  /** Rejects if the worker thread of `herald serve` ends on its own (it never resolves). */
  failed: Promise<never>;
  stop(): Promise<void>;
}

/** Shows a newly created admin token once, saying which file holds the copy. */
export function announceAdminToken(
  runtime: Pick<Runtime, 'createdAdminToken'>,
  print: (line: string) => void,
): void {
  const created = runtime.createdAdminToken;
  if (!created) return;
  print(
    `\nHerald created an admin API token. It is shown once; a copy is in ${created.file} (readable only by you):\n\n` +
      `    ${created.token}\n\n`,
  );
}

/**
 * Whether `herald serve` runs its worker on a thread of its own: on a SQLite file (on
 * PostgreSQL, `herald api` and `herald worker` are the way to use more cores; an in-memory
 * database cannot be opened twice).
 */
function workerOnThread(role: Role, config: Readonly<Config>): boolean {
  return (
    role === 'serve' &&
    config.workerThread &&
    config.databaseUrl.startsWith('sqlite:') &&
    config.databaseUrl !== 'sqlite::memory:'
  );
}

/**
 * Starts the processes' parts for `role`: the HTTP API, the delivery worker, or both (`serve`:
 * on SQLite, the worker on a thread of its own, src/cli/worker-thread.ts). Stopping closes the
 * listener first (no new work), lets deliveries in flight finish up to the shutdown deadline,
 * gives back what did not finish, then closes the database. `thread`: this is that worker thread,
 * sharing the main thread's SQLite write lock.
 */
export async function startHerald(
  role: Role,
  config: Readonly<Config>,
  print: (line: string) => void,
  options: { thread?: { sqliteWriteLock: SharedArrayBuffer } } = {},
): Promise<RunningHerald> {
  const inThread = options.thread !== undefined;
  // Made here when this process starts a worker thread, which gets it too.
  const threadLock = workerOnThread(role, config) ? WriteLock.createBuffer() : null;
  const runtime = await createRuntime(config, {
    migrate: role !== 'worker',
    role,
    // The process's own metrics (CPU, memory, event loop) are the main thread's to report.
    processMetrics: !inThread,
    logStoreOutages: !inThread,
    sqliteWriteLock: threadLock ?? options.thread?.sqliteWriteLock,
  });
  const { ctx } = runtime;
  announceAdminToken(runtime, print);
  let worker: WorkerThread | null = null;
  let dispatcher: Dispatcher | null = null;
  let tasks: TaskRunner | null = null;
  let retention: ReturnType<typeof startRetention> | null = null;
  if (threadLock) {
    try {
      worker = await startWorkerThread(config, threadLock);
    } catch (err) {
      await runtime.close();
      throw err;
    }
    ctx.metrics.peers.push(worker.metrics);
  } else if (role !== 'api') {
    dispatcher = new Dispatcher(ctx, { client: runtime.client, userAgent: USER_AGENT, disableEndpoint });
    dispatcher.start();
    // Background tasks (recover, replays) run where deliveries do.
    tasks = startTaskRunner(ctx);
    // Retention purges run where deliveries do (one process on SQLite; harmless in several on PostgreSQL).
    retention = startRetention(ctx);
  }
  let app: Awaited<ReturnType<typeof buildApp>> | null = null;
  let url: string | null = null;
  // Only a worker needs a listener of its own for /metrics: serve and api have it on HERALD_PORT.
  let metricsServer: MetricsServer | null = null;
  try {
    if (role !== 'worker') {
      app = await buildApp(ctx);
      url = await app.listen({ host: config.host, port: config.port });
      ctx.logger.info(
        { url, role, database: ctx.store.dialect, workerThread: worker !== null },
        'Herald is listening',
      );
    } else {
      if (config.metricsPort !== null && !inThread)
        metricsServer = await startMetricsServer(ctx, config.metricsPort);
      ctx.logger.info(
        { role, database: ctx.store.dialect, owner: dispatcher?.owner, metricsUrl: metricsServer?.url },
        'Herald worker started',
      );
    }
  } catch (err) {
    await retention?.stop();
    await tasks?.stop();
    await dispatcher?.stop(0);
    await worker?.stop();
    await runtime.close();
    throw err;
  }

  let stopping: Promise<void> | null = null;
  return {
    url,
    metrics: ctx.metrics,
    failed: worker?.failed ?? new Promise<never>(() => {}),
    stop() {
      stopping ??= (async () => {
        ctx.logger.info('shutting down');
        await app?.close();
        await metricsServer?.close();
        await retention?.stop();
        await tasks?.stop();
        await dispatcher?.stop();
        await worker?.stop();
        await runtime.close();
      })();
      return stopping;
    },
  };
}
