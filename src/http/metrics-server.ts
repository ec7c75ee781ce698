import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, LogController } from 'fastify';
import { ConfigError } from '../config/index.js';
import type { HeraldContext } from '../context.js';
import { HttpErrorOut } from '../domains/common/schemas.js';
import { healthRoutes } from '../domains/health/routes.js';
import { answerClientError } from './client-error.js';
import { installErrorHandler } from './error-handler.js';
import { observabilityRoutes } from './metrics-route.js';

/** The metrics listener of a `herald worker`; `close()` stops it. */
export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

/**
 * Serves a worker's `GET /metrics` (the API's own route, token check included) and the
 * API's health probes on `HERALD_HOST:HERALD_METRICS_PORT`, so the worker-side counters
 * (attempts, durations, in-flight, reclaimed leases) can be scraped from workers that run
 * without an API. Any other path is a Svix-shaped 404.
 */
export async function startMetricsServer(ctx: HeraldContext, port: number): Promise<MetricsServer> {
  const app = Fastify({
    loggerInstance: ctx.logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    clientErrorHandler: (error, socket) => answerClientError(error, socket, ctx.logger),
  }).withTypeProvider<TypeBoxTypeProvider>();
  installErrorHandler(app, ctx.store.health);
  app.addSchema(HttpErrorOut);
  await healthRoutes(app, ctx);
  await observabilityRoutes(app, ctx);

  try {
    const url = await app.listen({ host: ctx.config.host, port });
    return { url, close: () => app.close() };
  } catch (err) {
    await app.close();
    // main.ts would name HERALD_PORT; this listener has a variable of its own.
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE')
      throw new ConfigError(`port ${port} on ${ctx.config.host} is already in use (set HERALD_METRICS_PORT)`);
    if (e.code === 'EACCES')
      throw new ConfigError(`no permission to listen on port ${port} (set HERALD_METRICS_PORT)`);
    throw err;
  }
}
