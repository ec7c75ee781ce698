import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { HeraldContext } from '../../context.js';
import type { HeraldApp } from '../../http/types.js';
import {
  findOrCreateApplication,
  type ImplicitApplicationIn,
  resolveApplication,
} from '../application/access.js';
import { requireAdmin } from '../auth/authenticate.js';
import { pageRequest } from '../common/pagination.js';
import { AppIdParam, ERROR_RESPONSES, MsgIdParam } from '../common/schemas.js';
import { deliverySummaries, listMessagesByDeliveryStatus, summaryOf } from './delivery-status.js';
import { JSON_TYPE, publishedJson, publishMessage } from './publish.js';
import { expungeMessageContent, listMessages, messageOut, resolveMessage, timeRange } from './repo.js';
import {
  AfterQuery,
  BeforeQuery,
  ChannelQuery,
  DeliveryStatusQuery,
  EventTypesQuery,
  IteratorQuery,
  LimitQuery,
  MessageRawPayloadOut,
  TagQuery,
  WithContentQuery,
} from './schemas.js';

const tags = ['Message'];

const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;
const msgParams = Type.Object({ app_id: AppIdParam, msg_id: MsgIdParam });
const NoContent = Type.Null({ description: 'no content' });

export async function messageRoutes(app: HeraldApp, ctx: HeraldContext): Promise<void> {
  app.addSchema(MessageRawPayloadOut);

  app.get(
    '/api/v1/app/:app_id/msg',
    {
      schema: {
        operationId: 'v1.message.list',
        summary: 'List Messages',
        description:
          "Lists the application's messages, newest first. `before` and `after` bound the creation time " +
          'and combine with the iterator. Herald adds `deliveryStatus` and `deliveries` to each message ' +
          '(its deliveries across endpoints) and the `delivery_status` filter.',
        tags,
        params: Type.Object({ app_id: AppIdParam }),
        querystring: Type.Object({
          limit: Type.Optional(LimitQuery),
          iterator: Type.Optional(IteratorQuery('msg')),
          channel: Type.Optional(ChannelQuery),
          before: Type.Optional(BeforeQuery),
          after: Type.Optional(AfterQuery),
          with_content: Type.Optional(WithContentQuery),
          tag: Type.Optional(TagQuery),
          event_types: Type.Optional(EventTypesQuery),
          delivery_status: Type.Optional(DeliveryStatusQuery),
        }),
        response: { 200: Type.Ref('ListResponse_MessageOut_'), ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const q = request.query;
      const application = await resolveApplication(ctx, request, request.params.app_id);
      const withContent = q.with_content ?? true;
      const filters = {
        channel: q.channel,
        tag: q.tag,
        eventTypes: q.event_types,
        range: timeRange(q),
        withContent,
      };
      const req = pageRequest(q, true);
      const page = q.delivery_status
        ? await listMessagesByDeliveryStatus(ctx.store.db, application.id, req, {
            ...filters,
            deliveryStatus: q.delivery_status,
          })
        : await listMessages(ctx.store.db, application.id, req, filters);
      const summaries = await deliverySummaries(
        ctx.store.db,
        page.data.map((row) => row.id),
      );
      return {
        ...page,
        data: page.data.map((row) => ({ ...messageOut(row, withContent), ...summaryOf(summaries, row.id) })),
      };
    },
  );

  app.get(
    '/api/v1/app/:app_id/msg/:msg_id',
    {
      schema: {
        operationId: 'v1.message.get',
        summary: 'Get Message',
        description: 'Gets a message by its id or its `eventId`.',
        tags,
        params: msgParams,
        querystring: Type.Object({ with_content: Type.Optional(WithContentQuery) }),
        response: { 200: Type.Ref('MessageOut'), ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const { message } = await resolveMessage(ctx, request, request.params.app_id, request.params.msg_id);
      const summaries = await deliverySummaries(ctx.store.db, [message.id]);
      return {
        ...messageOut(message, request.query.with_content ?? true),
        ...summaryOf(summaries, message.id),
      };
    },
  );

  app.delete(
    '/api/v1/app/:app_id/msg/:msg_id/content',
    {
      schema: {
        operationId: 'v1.message.expunge-content',
        summary: 'Delete message payload',
        description:
          "Deletes the message's payload, keeping its metadata and attempts: for a message sent with " +
          'sensitive content by mistake. It cannot be resent afterwards.',
        tags,
        params: msgParams,
        response: { 204: NoContent, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const { message } = await resolveMessage(ctx, request, request.params.app_id, request.params.msg_id);
      requireAdmin(request);
      await expungeMessageContent(ctx.store.db, message.id);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/api/v1/app/:app_id/msg/:msg_id/raw',
    {
      schema: {
        operationId: 'v1.message.get-raw-payload',
        summary: 'Get Message Raw Payload',
        description: 'The payload as the text Herald stores and sends; `{}` once expunged.',
        tags,
        params: msgParams,
        response: { 200: Type.Ref('MessageRawPayloadOut'), ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const { message } = await resolveMessage(ctx, request, request.params.app_id, request.params.msg_id);
      return { payload: message.payload ?? '{}' };
    },
  );

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
      config: { exactUtf8: true },
    },
    async (request, reply) => {
      const body = request.body as Parameters<typeof publishMessage>[2] & {
        application?: ImplicitApplicationIn | null;
      };
      const application = await findOrCreateApplication(
        ctx,
        request,
        request.params.app_id,
        body.application,
      );
      // Publishing is the platform's job: a consumer-portal token may not (403, as in Svix).
      requireAdmin(request);
      const published = await publishMessage(ctx, application, {
        ...body,
        traceParent: traceParentOf(request),
        requestId: request.id,
        // Set here, so a `maxPayloadBytes` key in the body never reaches the publish path.
        maxPayloadBytes: ctx.config.maxPayloadBytes,
      });
      return reply
        .code(202)
        .type(JSON_TYPE)
        .send(publishedJson(published, request.query.with_content ?? true));
    },
  );
}

/** The request's W3C `traceparent`, passed on to the deliveries when well-formed. */
export function traceParentOf(request: FastifyRequest): string | null {
  const traceparent = request.headers.traceparent;
  return typeof traceparent === 'string' && TRACEPARENT.test(traceparent) ? traceparent : null;
}
