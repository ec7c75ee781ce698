import { Type } from '@sinclair/typebox';
import type { HeraldContext } from '../../context.js';
import { notFound } from '../../errors.js';
import type { HeraldApp } from '../../http/types.js';
import { pageRequest } from '../common/pagination.js';
import { ERROR_RESPONSES, Nullable, Ordering } from '../common/schemas.js';
import { findTask, listTasks, taskOut } from './repo.js';
import { BACKGROUND_TASK_SCHEMAS, type TaskStatus, type TaskType } from './schemas.js';

const tags = ['Background Task'];

/**
 * Background tasks (recover, replay-missing, bulk-replay): list and get, as in Svix. A
 * portal token sees its application's tasks only; another's answer 404.
 */
export async function backgroundTaskRoutes(app: HeraldApp, ctx: HeraldContext): Promise<void> {
  for (const schema of BACKGROUND_TASK_SCHEMAS) app.addSchema(schema);

  app.get(
    '/api/v1/background-task',
    {
      schema: {
        operationId: 'v1.background-task.list',
        summary: 'List Background Tasks',
        description: 'Lists background tasks, newest first unless `order=ascending`.',
        tags,
        querystring: Type.Object({
          status: Type.Optional(Nullable(Type.Ref('BackgroundTaskStatus'))),
          task: Type.Optional(Nullable(Type.Ref('BackgroundTaskType'))),
          limit: Type.Optional(
            Type.Integer({ minimum: 1, maximum: 250, description: 'Limit the number of returned items' }),
          ),
          iterator: Type.Optional(
            Nullable(
              Type.String({
                pattern: '^-?qtask_[A-Za-z0-9]{27}$',
                description: 'The iterator returned from a prior invocation',
              }),
            ),
          ),
          order: Type.Optional(Nullable(Ordering)),
        }),
        response: { 200: Type.Ref('ListResponse_BackgroundTaskOut_'), ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const q = request.query as {
        status?: TaskStatus | null;
        task?: TaskType | null;
        limit?: number;
        iterator?: string | null;
        order?: 'ascending' | 'descending' | null;
      };
      const page = await listTasks(ctx.store.db, pageRequest(q, q.order !== 'ascending'), {
        appId: request.auth.kind === 'portal' ? request.auth.appId : null,
        status: q.status,
        task: q.task,
      });
      return { ...page, data: page.data.map(taskOut) };
    },
  );

  app.get(
    '/api/v1/background-task/:task_id',
    {
      schema: {
        operationId: 'v1.background-task.get',
        summary: 'Get Background Task',
        description: "A task's status and progress (`data`).",
        tags,
        params: Type.Object({
          task_id: Type.String({
            pattern: '^qtask_[A-Za-z0-9]{27}$',
            description: "The QueueBackgroundTask's ID.",
          }),
        }),
        response: { 200: Type.Ref('BackgroundTaskOut'), ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const row = await findTask(
        ctx.store.db,
        request.params.task_id,
        request.auth.kind === 'portal' ? request.auth.appId : null,
      );
      if (!row) throw notFound('Background task not found.');
      return taskOut(row);
    },
  );
}
