import { Type } from '@sinclair/typebox';
import type { HeraldContext } from '../../context.js';
import type { HeraldApp } from '../../http/types.js';
import { resolveApplication } from '../application/access.js';
import { findApplication, insertApplication } from '../application/repo.js';
import { AppIdParam, ERROR_RESPONSES } from '../common/schemas.js';
import { isUniqueViolation } from '../common/sql-errors.js';
import { publishMessage } from './publish.js';
import { messageOut } from './repo.js';

const tags = ['Message'];
const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

export async function messageRoutes(app: HeraldApp, ctx: HeraldContext): Promise<void> {
  app.post(
    '/api/v1/app/:app_id/msg',
    {
      schema: {
        operationId: 'v1.message.create',
        summary: 'Create Message',
        description:
          'Creates a message and queues one delivery for every endpoint subscribed to its event type and channels. ' +
          'Answers once both are stored.',
        tags,
        params: Type.Object({ app_id: AppIdParam }),
        querystring: Type.Object({ with_content: Type.Optional(Type.Boolean({ default: true })) }),
        body: Type.Ref('MessageIn'),
        response: { 202: Type.Ref('MessageOut'), 413: Type.Ref('HttpErrorOut'), ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const body = request.body as Parameters<typeof publishMessage>[2] & {
        application?: { name: string; uid?: string | null } | null;
      };
      let application = await findApplication(ctx.store.db, request.params.app_id);
      if (!application && body.application && request.auth.kind === 'admin') {
        try {
          application = await insertApplication(
            ctx.store.db,
            { ...body.application, uid: body.application.uid ?? request.params.app_id },
            ctx.now(),
          );
        } catch (err) {
          // Two first messages raced to create the application: use the one that won.
          if (!isUniqueViolation(err) && !(err as { status?: number }).status) throw err;
          application = await findApplication(ctx.store.db, request.params.app_id);
        }
      }
      application ??= await resolveApplication(ctx, request, request.params.app_id);
      if (request.auth.kind === 'portal') await resolveApplication(ctx, request, application.id);
      const traceparent = request.headers.traceparent;
      const { row, deliverAt } = await publishMessage(ctx, application, {
        ...body,
        traceParent: typeof traceparent === 'string' && TRACEPARENT.test(traceparent) ? traceparent : null,
      });
      return reply.code(202).send(messageOut(row, request.query.with_content ?? true, deliverAt));
    },
  );
}
