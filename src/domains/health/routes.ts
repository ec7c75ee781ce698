import { Type } from '@sinclair/typebox';
import type { HeraldContext } from '../../context.js';
import type { HeraldApp } from '../../http/types.js';

type Reply = { code(n: number): { send(body?: unknown): unknown } };

/**
 * Health probes, without authentication. `GET /api/v1/health` is readiness: 204 only when the
 * database answers a trivial query and takes a tiny write, else 503 naming what is down (send
 * no traffic here). `GET /api/v1/health/ping` is liveness: 204 while the process runs, database
 * or not, so an orchestrator does not restart in a loop a process that would resume by itself.
 */
export async function healthRoutes(app: HeraldApp, ctx: HeraldContext): Promise<void> {
  const { health } = ctx.store;
  const readiness = async (_request: unknown, reply: Reply) => {
    const outage = await health.check();
    if (!outage) return reply.code(204).send();
    return reply.code(503).send({
      code: outage.kind === 'storage_full' ? 'storage_full' : 'store_unavailable',
      detail: `database down: ${health.name}: ${outage.detail}`,
    });
  };
  const schema = {
    operationId: 'v1.health.get',
    summary: 'Health',
    description:
      'Readiness: 204 when the database answers and accepts writes; 503 naming what is down otherwise. ' +
      'For liveness use GET /api/v1/health/ping, which answers 204 while the process runs.',
    tags: ['Health'],
    response: { 204: Type.Null({ description: 'no content' }), 503: Type.Ref('HttpErrorOut') },
  };
  app.route({
    method: ['GET', 'HEAD'],
    url: '/api/v1/health',
    config: { public: true },
    schema,
    exposeHeadRoute: false,
    handler: readiness,
  });
  app.route({
    method: ['GET', 'HEAD'],
    url: '/api/v1/health/ping',
    config: { public: true },
    schema: { hide: true },
    exposeHeadRoute: false,
    handler: async (_req, reply) => reply.code(204).send(),
  });
}
