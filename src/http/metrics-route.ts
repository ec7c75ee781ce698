import { createHash, timingSafeEqual } from 'node:crypto';
import type { HeraldContext } from '../context.js';
import { HttpError } from '../errors.js';
import { registerQueueGauges } from '../observability/queue-gauges.js';
import type { HeraldApp } from './types.js';

const BEARER = /^Bearer\s+(.+)$/i;

/** Compares two secrets in time independent of where they differ (and of their lengths). */
function secretsMatch(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/**
 * `GET /metrics` in Prometheus text format, outside `/api/` so API tokens are not needed
 * (a scraper should not hold one). With `HERALD_METRICS_TOKEN` set it requires
 * `Authorization: Bearer <token>`. Also counts every API request by route template.
 */
export async function observabilityRoutes(app: HeraldApp, ctx: HeraldContext): Promise<void> {
  const { metrics } = ctx;
  registerQueueGauges(ctx);

  app.addHook('onResponse', async (request, reply) => {
    // The route template, never the raw URL: ids in paths would make one series per resource.
    const route = request.routeOptions.url ?? 'unmatched';
    if (route === '/metrics') return;
    metrics.httpRequests.inc({ method: request.method, route, status_code: String(reply.statusCode) });
    metrics.httpDuration.observe({ route }, reply.elapsedTime / 1000);
  });

  app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
    const token = ctx.config.metricsToken;
    if (token !== null) {
      const match = BEARER.exec(request.headers.authorization ?? '');
      if (!match || !secretsMatch(match[1]!.trim(), token)) {
        throw new HttpError('unauthorized', 'GET /metrics needs the metrics token (HERALD_METRICS_TOKEN).', {
          'www-authenticate': 'Bearer realm="metrics"',
        });
      }
    }
    const body = await metrics.text();
    return reply
      .header('content-type', metrics.registry.contentType)
      .header('cache-control', 'no-store')
      .send(body);
  });
}
