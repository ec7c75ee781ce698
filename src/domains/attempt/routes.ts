import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { HeraldContext } from '../../context.js';
import { notFound } from '../../errors.js';
import type { HeraldApp } from '../../http/types.js';
import { requireAdmin } from '../auth/authenticate.js';
import { pageRequest } from '../common/pagination.js';
import { AppIdParam, EndpointIdParam, ERROR_RESPONSES, MsgIdParam } from '../common/schemas.js';
import { findEndpoint } from '../endpoint/repo.js';
import { EndpointParams, endpointInPath } from '../endpoint/routes.js';
import { resolveMessage, timeRange } from '../message/repo.js';
import {
  AfterQuery,
  BeforeQuery,
  ChannelQuery,
  EventTypesQuery,
  ExpandedStatusesQuery,
  IteratorQuery,
  LimitQuery,
  MessageStatusQuery,
  StatusCodeClassQuery,
  TagQuery,
  WithContentQuery,
} from '../message/schemas.js';
import {
  type AttemptRow,
  attemptIdSlackMs,
  attemptOut,
  endpointMessageOut,
  expungeAttemptContent,
  findAttempt,
  listAttemptedDestinations,
  listAttemptedMessages,
  listAttempts,
  messageEndpointOut,
  messagesById,
} from './repo.js';
import { resendMessage } from './resend.js';
import { ATTEMPT_SCHEMAS } from './schemas.js';

const tags = ['Message Attempt'];
const AttemptIdParam = Type.String({
  pattern: '^atmpt_[A-Za-z0-9]{27}$',
  description: "The MessageAttempt's ID.",
});
const msgParams = Type.Object({ app_id: AppIdParam, msg_id: MsgIdParam });
const attemptParams = Type.Object({ app_id: AppIdParam, msg_id: MsgIdParam, attempt_id: AttemptIdParam });

/** The filters both attempt lists take. */
const attemptListQuery = {
  limit: Type.Optional(LimitQuery),
  iterator: Type.Optional(IteratorQuery('atmpt')),
  status: Type.Optional(MessageStatusQuery),
  status_code_class: Type.Optional(StatusCodeClassQuery),
  channel: Type.Optional(ChannelQuery),
  tag: Type.Optional(TagQuery),
  before: Type.Optional(BeforeQuery),
  after: Type.Optional(AfterQuery),
  with_content: Type.Optional(WithContentQuery),
  expanded_statuses: Type.Optional(ExpandedStatusesQuery),
  event_types: Type.Optional(EventTypesQuery),
};

interface AttemptListQuery {
  status?: number;
  status_code_class?: number;
  channel?: string;
  tag?: string;
  before?: string;
  after?: string;
  event_types?: string[];
}

/** The application and message a request's path names (404 when either is not there or not the caller's). */
function messageInPath(
  ctx: HeraldContext,
  request: FastifyRequest & { params: { app_id: string; msg_id: string } },
) {
  return resolveMessage(ctx, request, request.params.app_id, request.params.msg_id);
}

/** Message attempts: list by endpoint, by message, attempted messages and destinations, get, expunge, resend. */
export async function attemptRoutes(app: HeraldApp, ctx: HeraldContext): Promise<void> {
  const { db } = ctx.store;
  for (const schema of ATTEMPT_SCHEMAS) app.addSchema(schema);

  const filtersOf = (q: AttemptListQuery) => ({
    status: q.status,
    statusCodeClass: q.status_code_class,
    channel: q.channel,
    tag: q.tag,
    eventTypes: q.event_types,
    range: timeRange(q),
    idSlackMs: attemptIdSlackMs(ctx.config.requestTimeoutMs),
  });

  /** Shapes a page of attempts, embedding their messages (without payloads) for `with_msg`. */
  const attemptsPage = async (
    page: { data: AttemptRow[]; iterator: string | null; prevIterator: string | null; done: boolean },
    q: { with_content?: boolean; expanded_statuses?: boolean; with_msg?: boolean },
  ) => {
    const msgs = q.with_msg
      ? await messagesById(
          db,
          page.data.map((a) => a.msg_id),
        )
      : null;
    const view = { withContent: q.with_content ?? true, expandedStatuses: q.expanded_statuses ?? false };
    return {
      ...page,
      data: page.data.map((a) => attemptOut(a, msgs ? { ...view, msg: msgs.get(a.msg_id) ?? null } : view)),
    };
  };

  app.get(
    '/api/v1/app/:app_id/attempt/endpoint/:endpoint_id',
    {
      schema: {
        operationId: 'v1.message-attempt.list-by-endpoint',
        summary: 'List Attempts By Endpoint',
        description: "Lists an endpoint's attempts, newest first.",
        tags,
        params: EndpointParams,
        querystring: Type.Object({
          ...attemptListQuery,
          with_msg: Type.Optional(
            Type.Boolean({
              default: false,
              description: "When `true`, each attempt embeds its message (never the message's payload).",
            }),
          ),
        }),
        response: { 200: Type.Ref('ListResponse_MessageAttemptOut_'), ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const q = request.query;
      const { endpoint } = await endpointInPath(ctx, request);
      const page = await listAttempts(db, { endpointId: endpoint.id }, pageRequest(q, true), filtersOf(q));
      return attemptsPage(page, q);
    },
  );

  app.get(
    '/api/v1/app/:app_id/attempt/msg/:msg_id',
    {
      schema: {
        operationId: 'v1.message-attempt.list-by-msg',
        summary: 'List Attempts By Msg',
        description: "Lists a message's attempts, newest first; `endpoint_id` narrows them to one endpoint.",
        tags,
        params: msgParams,
        querystring: Type.Object({
          ...attemptListQuery,
          endpoint_id: Type.Optional(EndpointIdParam),
        }),
        response: { 200: Type.Ref('ListResponse_MessageAttemptOut_'), ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const q = request.query;
      const { app: application, message } = await messageInPath(ctx, request);
      let endpointId: string | undefined;
      if (q.endpoint_id !== undefined) {
        const endpoint = await findEndpoint(db, application.id, q.endpoint_id);
        if (!endpoint) throw notFound('Endpoint not found.');
        endpointId = endpoint.id;
      }
      const page = await listAttempts(
        db,
        { msgId: message.id, endpointId },
        pageRequest(q, true),
        filtersOf(q),
      );
      return attemptsPage(page, q);
    },
  );

  app.get(
    '/api/v1/app/:app_id/endpoint/:endpoint_id/msg',
    {
      schema: {
        operationId: 'v1.message-attempt.list-attempted-messages',
        summary: 'List Attempted Messages',
        description:
          'Lists the messages sent (or owed) to an endpoint, newest first, each with the status and next ' +
          'attempt time of its delivery to that endpoint.',
        tags,
        params: EndpointParams,
        querystring: Type.Object({
          limit: Type.Optional(LimitQuery),
          iterator: Type.Optional(IteratorQuery('msg')),
          channel: Type.Optional(ChannelQuery),
          tag: Type.Optional(TagQuery),
          status: Type.Optional(MessageStatusQuery),
          before: Type.Optional(BeforeQuery),
          after: Type.Optional(AfterQuery),
          with_content: Type.Optional(WithContentQuery),
          expanded_statuses: Type.Optional(ExpandedStatusesQuery),
          event_types: Type.Optional(EventTypesQuery),
        }),
        response: { 200: Type.Ref('ListResponse_EndpointMessageOut_'), ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const q = request.query;
      const { endpoint } = await endpointInPath(ctx, request);
      const withContent = q.with_content ?? true;
      const page = await listAttemptedMessages(db, endpoint.id, pageRequest(q, true), {
        status: q.status,
        channel: q.channel,
        tag: q.tag,
        eventTypes: q.event_types,
        range: timeRange(q),
        withContent,
      });
      const expanded = q.expanded_statuses ?? false;
      return { ...page, data: page.data.map((row) => endpointMessageOut(row, withContent, expanded)) };
    },
  );

  app.get(
    '/api/v1/app/:app_id/msg/:msg_id/endpoint',
    {
      schema: {
        operationId: 'v1.message-attempt.list-attempted-destinations',
        summary: 'List Attempted Destinations',
        description:
          'Lists the endpoints a message was sent (or is owed) to, each with the status and next attempt ' +
          'time of its delivery.',
        tags,
        params: msgParams,
        querystring: Type.Object({
          limit: Type.Optional(LimitQuery),
          iterator: Type.Optional(IteratorQuery('ep')),
          expanded_statuses: Type.Optional(ExpandedStatusesQuery),
        }),
        response: { 200: Type.Ref('ListResponse_MessageEndpointOut_'), ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const q = request.query;
      const { message } = await messageInPath(ctx, request);
      // By endpoint id ascending, as Svix lists a message's destinations.
      const page = await listAttemptedDestinations(db, message.id, pageRequest(q, false));
      const expanded = q.expanded_statuses ?? false;
      return { ...page, data: page.data.map((row) => messageEndpointOut(row, expanded)) };
    },
  );

  app.get(
    '/api/v1/app/:app_id/msg/:msg_id/attempt/:attempt_id',
    {
      schema: {
        operationId: 'v1.message-attempt.get',
        summary: 'Get Attempt',
        tags,
        params: attemptParams,
        querystring: Type.Object({ expanded_statuses: Type.Optional(ExpandedStatusesQuery) }),
        response: { 200: Type.Ref('MessageAttemptOut'), ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const { message } = await messageInPath(ctx, request);
      const attempt = await findAttempt(db, message.id, request.params.attempt_id);
      if (!attempt) throw notFound('Message attempt not found.');
      return attemptOut(attempt, {
        withContent: true,
        expandedStatuses: request.query.expanded_statuses ?? false,
      });
    },
  );

  app.delete(
    '/api/v1/app/:app_id/msg/:msg_id/attempt/:attempt_id/content',
    {
      schema: {
        operationId: 'v1.message-attempt.expunge-content',
        summary: 'Delete attempt response body',
        description:
          "Deletes the attempt's response body and headers: for a receiver that answered with sensitive content.",
        tags,
        params: attemptParams,
        response: { 204: Type.Null({ description: 'no content' }), ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const { message } = await messageInPath(ctx, request);
      const attempt = await findAttempt(db, message.id, request.params.attempt_id);
      if (!attempt) throw notFound('Message attempt not found.');
      // As in Svix, expunging is the operator's call, not the consumer portal's.
      requireAdmin(request);
      await expungeAttemptContent(db, attempt.id);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/api/v1/app/:app_id/msg/:msg_id/endpoint/:endpoint_id/resend',
    {
      schema: {
        operationId: 'v1.message-attempt.resend',
        summary: 'Resend Webhook',
        description:
          'Sends the message to the endpoint again now, as a manual attempt with a fresh retry schedule. ' +
          'A disabled endpoint is refused (422): enable it first.',
        tags,
        params: Type.Object({ app_id: AppIdParam, msg_id: MsgIdParam, endpoint_id: EndpointIdParam }),
        response: { 202: Type.Object({}, { description: 'EmptyResponse' }), ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const { app: application, message } = await messageInPath(ctx, request);
      const endpoint = await findEndpoint(db, application.id, request.params.endpoint_id);
      if (!endpoint) throw notFound('Endpoint not found.');
      await resendMessage(ctx, message, endpoint);
      return reply.code(202).send({});
    },
  );
}
