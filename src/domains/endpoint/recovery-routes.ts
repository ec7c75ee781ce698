import { Type } from '@sinclair/typebox';
import type { HeraldContext } from '../../context.js';
import { invalidField } from '../../errors.js';
import type { HeraldApp } from '../../http/types.js';
import { countMatches, REPLAY_JOBS, type ReplayParams, replayWindow } from '../background-task/jobs.js';
import { insertTask, taskOut } from '../background-task/repo.js';
import { wakeTaskRunners } from '../background-task/runner.js';
import type { TaskType } from '../background-task/schemas.js';
import { AppIdParam, EndpointIdParam, ERROR_RESPONSES } from '../common/schemas.js';
import { resolveEndpoint } from './repo.js';

const tags = ['Endpoint'];
const params = Type.Object({ app_id: AppIdParam, endpoint_id: EndpointIdParam });

interface WindowIn {
  since: string;
  until?: string | null;
}

interface BulkReplayBody extends WindowIn {
  eventTypes?: string[] | null;
  channel?: string | null;
  tag?: string | null;
  status?: number | null;
  statusCodeClass?: number | null;
  dryRun?: boolean;
}

/** The message id window of a request; `until` defaults to now, so the task's work is fixed. */
function windowOf(body: WindowIn, now: number): Pick<ReplayParams, 'from' | 'below'> {
  const since = Date.parse(body.since);
  if (!body.until) return replayWindow(since, now);
  const until = Date.parse(body.until);
  if (until < since) throw invalidField(['body', 'until'], 'until: must not be before since');
  return replayWindow(since, until);
}

/**
 * Recovery: recover (re-send failed deliveries), replay-missing (send what the endpoint
 * never got) and bulk-replay (re-send what matches filters). Each answers 202 at once with
 * a background task that a runner works through, paced so the receiver's live traffic
 * keeps flowing; `GET /api/v1/background-task/{id}` reports its progress.
 */
export async function endpointRecoveryRoutes(app: HeraldApp, ctx: HeraldContext): Promise<void> {
  const { db } = ctx.store;

  const startTask = async (task: TaskType, appId: string, endpointId: string, taskParams: ReplayParams) => {
    const row = await insertTask(
      db,
      {
        task,
        appId,
        endpointId,
        params: taskParams,
        status: 'running',
        data: { processed: 0, total: null, count: 0 },
      },
      ctx.now(),
    );
    wakeTaskRunners(ctx.store);
    return taskOut(row);
  };

  app.post(
    '/api/v1/app/:app_id/endpoint/:endpoint_id/recover',
    {
      schema: {
        operationId: 'v1.endpoint.recover',
        summary: 'Recover Failed Webhooks',
        description:
          'Re-sends every failed delivery of the endpoint for messages created since `since` (until `until`, ' +
          'default now), oldest first, as manual attempts with a fresh retry schedule. Answers at once with a ' +
          'background task.',
        tags,
        params,
        body: Type.Ref('RecoverIn'),
        response: { 202: Type.Ref('RecoverOut'), ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const { app: application, endpoint } = await resolveEndpoint(
        ctx,
        request,
        request.params.app_id,
        request.params.endpoint_id,
      );
      const window = windowOf(request.body as WindowIn, ctx.now());
      return reply.code(202).send(await startTask('endpoint.recover', application.id, endpoint.id, window));
    },
  );

  app.post(
    '/api/v1/app/:app_id/endpoint/:endpoint_id/replay-missing',
    {
      schema: {
        operationId: 'v1.endpoint.replay-missing',
        summary: 'Replay Missing Webhooks',
        description:
          'Sends the endpoint every message in the window that its current filters match and that was never sent to it (published before it existed or before it subscribed to that event type or channel), oldest first, as manual attempts. Messages missed while it was disabled are held for it and resume when it is enabled.',
        tags,
        params,
        body: Type.Ref('ReplayIn'),
        response: { 202: Type.Ref('ReplayOut'), ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const { app: application, endpoint } = await resolveEndpoint(
        ctx,
        request,
        request.params.app_id,
        request.params.endpoint_id,
      );
      const window = windowOf(request.body as WindowIn, ctx.now());
      return reply.code(202).send(await startTask('endpoint.replay', application.id, endpoint.id, window));
    },
  );

  app.post(
    '/api/v1/app/:app_id/endpoint/:endpoint_id/bulk-replay',
    {
      schema: {
        operationId: 'v1.endpoint.bulk-replay',
        summary: 'Bulk Replay Messages',
        description:
          "Re-sends the endpoint's deliveries of messages in the window that match the filters, whatever " +
          'their status (except those being sent at this moment), oldest first, as manual attempts. With ' +
          '`dryRun: true` nothing is sent: the answer is a `finished` task whose `data.count` is how many ' +
          'would be.',
        tags,
        params,
        body: Type.Ref('BulkReplayIn'),
        response: { 202: Type.Ref('ReplayOut'), ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const { app: application, endpoint } = await resolveEndpoint(
        ctx,
        request,
        request.params.app_id,
        request.params.endpoint_id,
      );
      const body = request.body as BulkReplayBody;
      const taskParams: ReplayParams = {
        ...windowOf(body, ctx.now()),
        status: body.status ?? null,
        statusCodeClass: body.statusCodeClass ?? null,
        eventTypes: body.eventTypes ?? null,
        channel: body.channel ?? null,
        tag: body.tag ?? null,
      };
      if (!body.dryRun) {
        return reply
          .code(202)
          .send(await startTask('endpoint.bulk-replay', application.id, endpoint.id, taskParams));
      }
      // The same search the task runs, read-only, so the count is what a real run would send.
      const job = REPLAY_JOBS['endpoint.bulk-replay']!;
      const { count, processed } = await countMatches(db, job, taskParams, endpoint);
      const row = await insertTask(
        db,
        {
          task: 'endpoint.bulk-replay',
          appId: application.id,
          endpointId: endpoint.id,
          params: taskParams,
          status: 'finished',
          data: { processed, total: processed, count, dryRun: true },
        },
        ctx.now(),
      );
      return reply.code(202).send(taskOut(row));
    },
  );
}
