import { Type } from '@sinclair/typebox';
import type { HeraldContext } from '../../context.js';
import type { HeraldApp } from '../../http/types.js';

/** Health probes: no authentication, 204 when the database answers, 503 when it does not. */
export async function healthRoutes(app: HeraldApp, ctx: HeraldContext): Promise<void> {
  const health = async (_request: unknown, reply: { code(n: number): { send(body?: unknown): unknown } }) => {
    try {
      await ctx.store.ping();
      return reply.code(204).send();
    } catch {
      return reply.code(503).send({ code: 'unavailable', detail: 'The database does not answer.' });
    }
  };
  const schema = {
    operationId: 'v1.health.get',
    summary: 'Health',
    description: 'Verify the API server is up and running: 204 when its database answers, 503 when not.',
    tags: ['Health'],
    response: { 204: Type.Null({ description: 'no content' }), 503: Type.Ref('HttpErrorOut') },
  };
  app.route({
    method: ['GET', 'HEAD'],
    url: '/api/v1/health',
    config: { public: true },
    schema,
    exposeHeadRoute: false,
    handler: health,
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
