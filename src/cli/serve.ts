import { buildApp } from '../app.js';
import type { Config } from '../config/index.js';
import { Dispatcher } from '../delivery/dispatcher.js';
import { startTaskRunner, type TaskRunner } from '../domains/background-task/runner.js';
import { disableEndpoint } from '../domains/endpoint/disable.js';
import { type MetricsServer, startMetricsServer } from '../http/metrics-server.js';
import { startRetention } from '../retention/purge.js';
import { USER_AGENT } from '../version.js';
import { createRuntime, type Runtime } from './runtime.js';

export type Role = 'serve' | 'api' | 'worker';

/** A running Herald process: what `herald serve|api|worker` starts and SIGTERM stops. */
export interface RunningHerald {
  url: string | null;
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
 * Starts the processes' parts for `role`: the HTTP API, the delivery worker, or both.
 * Stopping closes the listener first (no new work), lets deliveries in flight finish up to
 * the shutdown deadline, gives back what did not finish, then closes the database.
 */
export async function startHerald(
  role: Role,
  config: Readonly<Config>,
  print: (line: string) => void,
): Promise<RunningHerald> {
  const runtime = await createRuntime(config, { migrate: role !== 'worker', role });
  const { ctx } = runtime;
  announceAdminToken(runtime, print);
  let dispatcher: Dispatcher | null = null;
  if (role !== 'api') {
    dispatcher = new Dispatcher(ctx, { client: runtime.client, userAgent: USER_AGENT, disableEndpoint });
    dispatcher.start();
  }
  // Background tasks (recover, replays) run where deliveries do.
  const tasks: TaskRunner | null = role !== 'api' ? startTaskRunner(ctx) : null;
  // Retention purges run where deliveries do (one process on SQLite; harmless in several on PostgreSQL).
  const retention = role !== 'api' ? startRetention(ctx) : null;
  let app: Awaited<ReturnType<typeof buildApp>> | null = null;
  let url: string | null = null;
  // Only a worker needs a listener of its own for /metrics: serve and api have it on HERALD_PORT.
  let metricsServer: MetricsServer | null = null;
  try {
    if (role !== 'worker') {
      app = await buildApp(ctx);
      url = await app.listen({ host: config.host, port: config.port });
      ctx.logger.info({ url, role, database: ctx.store.dialect }, 'Herald is listening');
    } else {
      if (config.metricsPort !== null) metricsServer = await startMetricsServer(ctx, config.metricsPort);
      ctx.logger.info(
        { role, database: ctx.store.dialect, owner: dispatcher?.owner, metricsUrl: metricsServer?.url },
        'Herald worker started',
      );
    }
  } catch (err) {
    await retention?.stop();
    await tasks?.stop();
    await dispatcher?.stop(0);
    await runtime.close();
    throw err;
  }

  let stopping: Promise<void> | null = null;
  return {
    url,
    stop() {
      stopping ??= (async () => {
        ctx.logger.info('shutting down');
        await app?.close();
        await metricsServer?.close();
        await retention?.stop();
        await tasks?.stop();
        await dispatcher?.stop();
        await runtime.close();
      })();
      return stopping;
    },
  };
}
