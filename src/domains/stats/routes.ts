import { Type } from '@sinclair/typebox';
import { sql } from 'kysely';
import type { HeraldContext } from '../../context.js';
import { idAtTime } from '../../core/ids.js';
import type { HeraldApp } from '../../http/types.js';
import { readQueueSnapshot } from '../../observability/queue-gauges.js';
import { STATUS } from '../../store/schema.js';
import { requireAdmin } from '../auth/authenticate.js';
import { iso } from '../common/json.js';
import { DateTime, ERROR_RESPONSES, Nullable } from '../common/schemas.js';

/** Bucket size and count per window: 60 one-minute buckets, or 96 quarter-hours. */
const WINDOWS = {
  hour: { bucketMs: 60_000, buckets: 60 },
  day: { bucketMs: 15 * 60_000, buckets: 96 },
} as const;

/** How far back "disabled recently" looks, and how many it lists. */
const DISABLED_LOOKBACK_MS = 7 * 86_400_000;
const DISABLED_LIMIT = 20;

export const StatsOverviewOut = Type.Object(
  {
    window: Type.Union([Type.Literal('hour'), Type.Literal('day')]),
    bucketSeconds: Type.Integer({ description: 'Width of each bucket.' }),
    buckets: Type.Array(
      Type.Object({
        start: DateTime,
        succeeded: Type.Integer({ description: 'Attempts that got a 2xx.' }),
        failed: Type.Integer({ description: 'Attempts that did not.' }),
      }),
      { description: 'Attempts per bucket, oldest first; every bucket of the window is listed.' },
    ),
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
          window: Type.Optional(Type.Union([Type.Literal('hour'), Type.Literal('day')], { default: 'hour' })),
        }),
        response: { 200: Type.Ref('StatsOverviewOut'), ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      requireAdmin(request);
      const window = request.query.window ?? 'hour';
      const { bucketMs, buckets: count } = WINDOWS[window];
      const now = ctx.now();
      const first = Math.floor(now / bucketMs) * bucketMs - (count - 1) * bucketMs;
      const { db } = ctx.store;

      const bucketOf = sql<number>`created_at / ${sql.lit(bucketMs)}`;
      const rows = await db
        .selectFrom('attempt')
        .select([
          bucketOf.as('bucket'),
          sql<number>`sum(case when status = ${sql.lit(STATUS.success)} then 1 else 0 end)`.as('succeeded'),
          sql<number>`sum(case when status = ${sql.lit(STATUS.success)} then 0 else 1 end)`.as('failed'),
        ])
        .where('id', '>=', idAtTime('atmpt', first))
        .where('created_at', '>=', first)
        .groupBy(bucketOf)
        .execute();
      const byBucket = new Map(rows.map((r) => [Number(r.bucket), r]));
      const buckets = Array.from({ length: count }, (_, i) => {
        const start = first + i * bucketMs;
        const row = byBucket.get(start / bucketMs);
        return {
          start: iso(start),
          succeeded: Number(row?.succeeded ?? 0),
          failed: Number(row?.failed ?? 0),
        };
      });

      const queue = await readQueueSnapshot(ctx);
      const disabled = await db
        .selectFrom('endpoint')
        .select(['id', 'app_id', 'url', 'disabled_at', 'disabled_reason'])
        .where('disabled', '=', 1)
        .where('disabled_at', '>=', now - DISABLED_LOOKBACK_MS)
        .orderBy('disabled_at', 'desc')
        .limit(DISABLED_LIMIT)
        .execute();

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
