import { Type } from '@sinclair/typebox';
import type { HeraldContext } from '../../context.js';
import { invalidField } from '../../errors.js';
import type { HeraldApp } from '../../http/types.js';
import { countMatches, REPLAY_JOBS, type ReplayParams, replayWindow } from '../background-task/jobs.js';
import { insertTask, type TaskData, taskOut } from '../background-task/repo.js';
import type { TaskStatus, TaskType } from '../background-task/schemas.js';
import { ERROR_RESPONSES } from '../common/schemas.js';
import type { EndpointRow } from './repo.js';
import { EndpointParams, endpointInPath } from './routes.js';

const tags = ['Endpoint'];

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
function windowOf(body: WindowIn, now: number, maxWindowMs = Infinity): Pick<ReplayParams, 'from' | 'below'> {
  const since = Date.parse(body.since);
  // A `since` still in the future with no `until` is an empty window (nothing to send yet);
  // an explicit `until` before `since` is a mistake.
  if (body.until && Date.parse(body.until) < since)
    throw invalidField(['body', 'until'], 'until: must not be before since');
  const until = Math.max(body.until ? Date.parse(body.until) : now, since);
  if (until - since > maxWindowMs)
    throw invalidField(
      ['body', 'since'],
      `since: Cannot recover more than ${Math.floor(maxWindowMs / 86_400_000)} days of messages`,
    );
  return replayWindow(since, until);
}

/**
 * Svix recovers at most 14 days (plus 5 minutes, so `now - 14 days` works despite clock skew);
 * an older `since` is a 422. Herald's replay-missing and bulk-replay keep no such bound.
 */
const RECOVER_MAX_WINDOW_MS = 14 * 86_400_000 + 5 * 60_000;

/**
 * Recovery: recover (re-send failed deliveries), replay-missing (send what the endpoint
 * never got) and bulk-replay (re-send what matches filters). Each answers 202 at once with
 * a background task that a runner works through, paced so the receiver's live traffic
 * keeps flowing; `GET /api/v1/background-task/{id}` reports its progress.
 */
export async function endpointRecoveryRoutes(app: HeraldApp, ctx: HeraldContext): Promise<void> {
  const { db } = ctx.store;

  /** Records a task on the endpoint: `running` for a runner to pick up, or `finished` for a dry run. */
  const recordTask = async (
    endpoint: EndpointRow,
    task: TaskType,
    taskParams: ReplayParams,
    progress: { status: TaskStatus; data: TaskData },
  ) => {
    const row = await insertTask(
      db,
      { task, appId: endpoint.app_id, endpointId: endpoint.id, params: taskParams, ...progress },
      ctx.now(),
    );
    if (progress.status === 'running') ctx.taskWakeups.wake();
    return taskOut(row);
  };
  const notStarted = { status: 'running', data: { processed: 0, total: null, count: 0 } } as const;

  /**
   * Starts the task, or for a dry run records it `finished` with what it would send: the
   * same search the task runs, read-only, so the count is what a real run would send.
   */
  const startOrCount = async (
    endpoint: EndpointRow,
    task: TaskType,
    taskParams: ReplayParams,
    dryRun = false,
  ) => {
    if (!dryRun) return recordTask(endpoint, task, taskParams, notStarted);
    const { count, processed } = await countMatches(db, REPLAY_JOBS[task]!, taskParams, endpoint);
    const data = { processed, total: processed, count, dryRun: true };
    return recordTask(endpoint, task, taskParams, { status: 'finished', data });
  };

  /** Recover and replay-missing: the body is only a window, and the task is the whole answer. */
  const windowTaskRoute = (
    path: string,
    task: TaskType,
    schema: {
      operationId: string;
      summary: string;
      description: string;
      bodyRef: string;
      outRef: string;
      maxWindowMs?: number;
    },
  ) =>
    app.post(
      path,
      {
        schema: {
          operationId: schema.operationId,
          summary: schema.summary,
          description: schema.description,
          tags,
          params: EndpointParams,
          body: Type.Ref(schema.bodyRef),
          response: { 202: Type.Ref(schema.outRef), ...ERROR_RESPONSES },
        },
      },
      async (request, reply) => {
        const { endpoint } = await endpointInPath(ctx, request);
        const body = request.body as WindowIn & { dryRun?: boolean };
        const window = windowOf(body, ctx.now(), schema.maxWindowMs);
        return reply.code(202).send(await startOrCount(endpoint, task, window, body.dryRun));
      },
    );

  windowTaskRoute('/api/v1/app/:app_id/endpoint/:endpoint_id/recover', 'endpoint.recover', {
    maxWindowMs: RECOVER_MAX_WINDOW_MS,
    operationId: 'v1.endpoint.recover',
    summary: 'Recover Failed Webhooks',
    description:
      'Re-sends every failed delivery of the endpoint for messages created since `since` (until `until`, ' +
      'default now), oldest first, as manual attempts with a fresh retry schedule. Answers at once with a ' +
      'background task.',
    bodyRef: 'RecoverIn',
    outRef: 'RecoverOut',
  });

  windowTaskRoute('/api/v1/app/:app_id/endpoint/:endpoint_id/replay-missing', 'endpoint.replay', {
    operationId: 'v1.endpoint.replay-missing',
    summary: 'Replay Missing Webhooks',
    description:
      'Sends the endpoint every message in the window that its current filters match and that was never sent to it (published before it existed or before it subscribed to that event type or channel), oldest first, as manual attempts. Messages missed while it was disabled are held for it and resume when it is enabled. With `dryRun: true` (Herald) nothing is sent: the answer is a `finished` task whose `data.count` is how many would be.',
    bodyRef: 'ReplayIn',
    outRef: 'ReplayOut',
  });

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
        params: EndpointParams,
        body: Type.Ref('BulkReplayIn'),
        response: { 202: Type.Ref('ReplayOut'), ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const { endpoint } = await endpointInPath(ctx, request);
      const body = request.body as BulkReplayBody;
      const taskParams: ReplayParams = {
        ...windowOf(body, ctx.now()),
        status: body.status ?? null,
        statusCodeClass: body.statusCodeClass ?? null,
        eventTypes: body.eventTypes ?? null,
        channel: body.channel ?? null,
        tag: body.tag ?? null,
      };
      return reply
        .code(202)
        .send(await startOrCount(endpoint, 'endpoint.bulk-replay', taskParams, body.dryRun));
    },
  );
}
