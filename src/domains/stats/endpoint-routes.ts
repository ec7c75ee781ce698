import { Type } from '@sinclair/typebox';
import type { HeraldContext } from '../../context.js';
import type { HeraldApp } from '../../http/types.js';
import { AppIdParam, EndpointIdParam, ERROR_RESPONSES, Nullable } from '../common/schemas.js';
import { resolveEndpoint } from '../endpoint/repo.js';
import { statsRange } from './range.js';
import { attemptBuckets, endpointStats } from './repo.js';
import { AttemptBuckets, WINDOWS, WindowQuery } from './schemas.js';

const Ms = Nullable(Type.Integer({ minimum: 0 }));

const WindowStats = Type.Object({
  attempts: Type.Integer({ description: 'Attempts made in the window.' }),
  successRatio: Nullable(
    Type.Number({ description: 'Successful attempts / attempts; null without attempts.' }),
  ),
  latencyMs: Type.Object(
    { p50: Ms, p95: Ms, p99: Ms },
    { description: 'Attempt duration percentiles (nearest rank), in milliseconds.' },
  ),
});

/** Svix's EndpointStats, plus Herald's own health figures (extra fields the SDKs ignore). */
export const EndpointStatsSchema = Type.Object(
  {
    success: Type.Integer({ format: 'int64' }),
    pending: Type.Integer({ format: 'int64' }),
    sending: Type.Integer({ format: 'int64' }),
    fail: Type.Integer({ format: 'int64' }),
    canceled: Type.Integer({ format: 'int64' }),
    consecutiveFailures: Type.Integer({ description: 'Failed attempts since the last success.' }),
    failingSince: Nullable(
      Type.String({ format: 'date-time', description: 'First failure of the current failing streak.' }),
    ),
    lastSuccessAt: Nullable(Type.String({ format: 'date-time' })),
    lastFailureAt: Nullable(Type.String({ format: 'date-time' })),
    deliveryState: Type.Union(
      [Type.Literal('normal'), Type.Literal('slowed'), Type.Literal('circuit_open')],
      {
        description:
          'Herald addition: how the workers deliver to this endpoint now. `slowed`: fewer requests at once after slow answers or failures; `circuit_open`: one request at a time (a probe) until one succeeds. As last written by a worker with its outcomes.',
      },
    ),
    deliveryStateSince: Nullable(
      Type.String({ format: 'date-time', description: 'When the delivery state last changed.' }),
    ),
    lastHour: WindowStats,
    lastDay: WindowStats,
    ordering: Type.Object(
      {
        waitingKeys: Type.Integer({ description: 'Ordering keys with a message owed.' }),
        blockedKeys: Type.Integer({
          description:
            'Ordering keys held behind a message that exhausted its retries (fifoOnExhausted: block).',
        }),
        oldestBlocked: Nullable(
          Type.Object({
            msgId: Type.String(),
            orderingKey: Nullable(Type.String({ description: 'Null for the default key.' })),
            blockedSince: Nullable(Type.String({ format: 'date-time' })),
          }),
        ),
      },
      { description: 'Herald addition: the ordering keys of a FIFO endpoint (zeros for other endpoints).' },
    ),
  },
  { $id: 'EndpointStats' },
);

/** Herald: one endpoint's attempts over time, for its delivery chart. */
export const EndpointAttemptStatsOut = Type.Object(
  {
    window: WindowQuery,
    bucketSeconds: Type.Integer({ description: 'Width of each bucket.' }),
    buckets: AttemptBuckets,
  },
  { $id: 'EndpointAttemptStatsOut' },
);

const DateRangeBound = (description: string) =>
  Type.Optional(Nullable(Type.String({ format: 'date-time', description })));

/** `GET /api/v1/app/{app_id}/endpoint/{endpoint_id}/stats` (Svix's `v1.endpoint.get-stats`). */
export async function endpointStatsRoutes(app: HeraldApp, ctx: HeraldContext): Promise<void> {
  app.addSchema(EndpointStatsSchema);
  app.addSchema(EndpointAttemptStatsOut);
  app.get(
    '/api/v1/app/:app_id/endpoint/:endpoint_id/stats',
    {
      schema: {
        operationId: 'v1.endpoint.get-stats',
        summary: 'Endpoint Stats',
        description:
          'Counts of the messages sent to the endpoint by delivery status (for messages created between `since`, ' +
          'default 28 days before `until`, and `until`, default now), plus the success ratio and latency ' +
          'percentiles of its attempts over the last hour and day, and its current failure streak.',
        tags: ['Endpoint'],
        params: Type.Object({ app_id: AppIdParam, endpoint_id: EndpointIdParam }),
        querystring: Type.Object({
          since: DateRangeBound('Filter the range to data starting from this date.'),
          until: DateRangeBound('Filter the range to data ending by this date.'),
        }),
        response: { 200: Type.Ref('EndpointStats'), ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const now = ctx.now();
      const { endpoint } = await resolveEndpoint(
        ctx,
        request,
        request.params.app_id,
        request.params.endpoint_id,
      );
      const range = statsRange(request.query, now);
      return endpointStats(ctx.store.db, endpoint, range, now);
    },
  );

  app.get(
    '/api/v1/app/:app_id/endpoint/:endpoint_id/stats/attempts',
    {
      schema: {
        operationId: 'v1.endpoint.get-attempt-stats',
        summary: 'Endpoint Attempts Over Time',
        description:
          "Herald extension: the endpoint's attempts, succeeded and failed, per minute over the last hour " +
          '(`window=hour`) or per quarter hour over the last day (`window=day`). Every bucket is listed, oldest first.',
        tags: ['Endpoint'],
        params: Type.Object({ app_id: AppIdParam, endpoint_id: EndpointIdParam }),
        querystring: Type.Object({ window: Type.Optional(WindowQuery) }),
        response: { 200: Type.Ref('EndpointAttemptStatsOut'), ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const { endpoint } = await resolveEndpoint(
        ctx,
        request,
        request.params.app_id,
        request.params.endpoint_id,
      );
      const window = request.query.window ?? 'hour';
      const buckets = await attemptBuckets(ctx.store.db, window, ctx.now(), endpoint.id);
      return { window, bucketSeconds: WINDOWS[window].bucketMs / 1000, buckets };
    },
  );
}
