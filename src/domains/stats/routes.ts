import { Type } from '@sinclair/typebox';
import type { HeraldContext } from '../../context.js';
import type { HeraldApp } from '../../http/types.js';
import { readQueueSnapshot } from '../../observability/queue-gauges.js';
import { requireAdmin } from '../auth/authenticate.js';
import { iso } from '../common/json.js';
import { DateTime, ERROR_RESPONSES, Nullable } from '../common/schemas.js';
import { attemptBuckets, recentlyDisabledEndpoints } from './repo.js';
import { AttemptBuckets, WINDOWS, WindowQuery } from './schemas.js';

/** How far back "disabled recently" looks, and how many it lists. */
const DISABLED_LOOKBACK_MS = 7 * 86_400_000;
const DISABLED_LIMIT = 20;

export const StatsOverviewOut = Type.Object(
  {
    window: Type.Union([Type.Literal('hour'), Type.Literal('day')]),
    bucketSeconds: Type.Integer({ description: 'Width of each bucket.' }),
    buckets: AttemptBuckets,
    queue: Type.Object({
      due: Type.Integer({ description: 'Deliveries owed now.' }),
      scheduled: Type.Integer({ description: 'Retries and scheduled messages owed later.' }),
      inFlight: Type.Integer({ description: 'Deliveries leased by a worker right now.' }),
      held: Type.Integer({ description: 'Deliveries waiting for a disabled endpoint.' }),
      oldestDueAt: Nullable(DateTime),
    }),
    disabledEndpoints: Type.Array(
      Type.Object({
        appId: Type.String(),
        endpointId: Type.String(),
        url: Type.String(),
        disabledAt: Nullable(DateTime),
        reason: Nullable(Type.String()),
      }),
      { description: `Endpoints disabled in the last 7 days, newest first (at most ${DISABLED_LIMIT}).` },
    ),
  },
  { $id: 'StatsOverviewOut' },
);

/**
 * `GET /api/v1/stats/overview` (Herald extension, admin only): what the operator dashboard
 * shows at a glance — attempts per bucket over the last hour or day, the delivery queue and
 * its oldest due delivery, and endpoints disabled recently. The attempt range is read
 * through the primary key (ids are time-ordered), so it costs the window's attempts only.
 */
export async function statsRoutes(app: HeraldApp, ctx: HeraldContext): Promise<void> {
  app.addSchema(StatsOverviewOut);
  app.get(
    '/api/v1/stats/overview',
    {
      schema: {
        operationId: 'v1.stats.overview',
        summary: 'Delivery Overview',
        description:
          'Herald extension for operators: attempts per minute (hour window) or per quarter hour (day window), ' +
          'the delivery queue, and endpoints disabled in the last 7 days. Needs an admin token.',
        tags: ['Statistics'],
        querystring: Type.Object({
          window: Type.Optional(WindowQuery),
        }),
        response: { 200: Type.Ref('StatsOverviewOut'), ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      requireAdmin(request);
      const window = request.query.window ?? 'hour';
      const { bucketMs } = WINDOWS[window];
      const now = ctx.now();
      const { db } = ctx.store;
      const buckets = await attemptBuckets(db, window, now);

      const queue = await readQueueSnapshot(ctx);
      const disabled = await recentlyDisabledEndpoints(db, now - DISABLED_LOOKBACK_MS, DISABLED_LIMIT);

      return {
        window,
        bucketSeconds: bucketMs / 1000,
        buckets,
        queue: {
          due: queue.due,
          scheduled: queue.scheduled,
          inFlight: queue.inFlight,
          held: queue.held,
          oldestDueAt:
            queue.oldestDueAgeSeconds > 0 ? iso(Math.round(now - queue.oldestDueAgeSeconds * 1000)) : null,
        },
        disabledEndpoints: disabled.map((e) => ({
          appId: e.app_id,
          endpointId: e.id,
          url: e.url,
          disabledAt: iso(e.disabled_at),
          reason: e.disabled_reason,
        })),
      };
    },
  );
}
