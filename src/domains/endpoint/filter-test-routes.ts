import { Type } from '@sinclair/typebox';
import type { HeraldContext } from '../../context.js';
import { ValidationError } from '../../errors.js';
import type { HeraldApp } from '../../http/types.js';
import { resolveApplication } from '../application/access.js';
import { AppIdParam, Channels, ERROR_RESPONSES } from '../common/schemas.js';
import { compileFilter, explainFilter } from '../message/filter-evaluation.js';
import type { FilterNode } from '../message/filter-language.js';
import { recentMessages } from '../message/repo.js';
import { isSubscribed, type Subscription, storedMessage, subscriptionOf } from '../message/subscription.js';
import { readRequestFilter } from './filter-check.js';
import { EndpointParams, endpointInPath } from './routes.js';
import { PayloadFilter } from './schemas.js';

const tags = ['Endpoint'];
const RecentLimit = Type.Integer({
  minimum: 1,
  maximum: 1000,
  default: 50,
  description: 'How many of the application’s last messages to try.',
});

export const FilterTestIn = Type.Object(
  {
    filter: PayloadFilter,
    payload: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), { description: 'The payload to try.' }),
    ),
    eventType: Type.Optional(Type.String({ maxLength: 256, description: 'Read by `$eventType`.' })),
    channels: Type.Optional(Type.Union([Type.Null(), Channels], { description: 'Read by `$channels`.' })),
    limit: Type.Optional(RecentLimit),
  },
  { $id: 'FilterTestIn' },
);

export const EndpointFilterTestIn = Type.Object(
  {
    filter: Type.Optional(
      Type.Union([Type.Null(), PayloadFilter], {
        description: 'A draft to try instead of the endpoint’s own filter (null: no payload filter).',
      }),
    ),
    limit: Type.Optional(RecentLimit),
  },
  { $id: 'EndpointFilterTestIn' },
);

const recentFields = {
  matched: Type.Integer({ description: 'How many of the messages tried the filter matches.' }),
  examined: Type.Integer({
    description: 'How many messages were tried (fewer than `limit` in a young application).',
  }),
  messageIds: Type.Array(Type.String(), { description: 'The ids of the messages it matches, newest first.' }),
};

export const FilterTestOut = Type.Object(
  {
    matches: Type.Optional(Type.Boolean({ description: 'With `payload`: whether the filter passes it.' })),
    explanation: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), {
        description:
          'With `payload`: how each clause fared, as a tree: `{matched, op, path?, operand?, found?, clauses?}`; ' +
          '`found` lists the values at the path (empty: it is missing).',
      }),
    ),
    matched: Type.Optional(recentFields.matched),
    examined: Type.Optional(recentFields.examined),
    messageIds: Type.Optional(recentFields.messageIds),
  },
  { $id: 'FilterTestOut' },
);

export const EndpointFilterTestOut = Type.Object(recentFields, { $id: 'EndpointFilterTestOut' });

/** A filter from a request body, read; a 422 at its loc when it is not in the language. */
function requestFilter(value: Record<string, unknown>): FilterNode {
  const { tree, issues } = readRequestFilter(value);
  if (tree === null) throw new ValidationError(issues);
  return tree;
}

/** How many of the application's last `limit` messages a subscription would have received. */
async function tryRecent(ctx: HeraldContext, appId: string, subscription: Subscription, limit: number) {
  const messages = await recentMessages(ctx.store.db, appId, limit);
  const messageIds = messages.filter((m) => isSubscribed(subscription, storedMessage(m))).map((m) => m.id);
  return { matched: messageIds.length, examined: messages.length, messageIds };
}

/**
 * Trying a filter before saving it: against one payload, with an explanation of each clause,
 * or against the application's last messages, with how many (and which) it would have matched.
 */
export async function filterTestRoutes(app: HeraldApp, ctx: HeraldContext): Promise<void> {
  app.addSchema(FilterTestIn);
  app.addSchema(FilterTestOut);
  app.addSchema(EndpointFilterTestIn);
  app.addSchema(EndpointFilterTestOut);

  app.post(
    '/api/v1/app/:app_id/endpoint/filter/test',
    {
      schema: {
        operationId: 'v1.endpoint.filter-test',
        summary: 'Test a Payload Filter',
        description:
          'Herald addition. With `payload` (and optionally `eventType`, `channels`): whether `filter` passes it, ' +
          'and why (`matches`, `explanation`). Without `payload`: how many of the application’s last `limit` ' +
          'messages it matches (`matched`, `examined`, `messageIds`), for an endpoint not created yet. An invalid ' +
          'filter is a 422 whose `loc` points at the fault.',
        tags,
        params: Type.Object({ app_id: AppIdParam }),
        body: Type.Ref('FilterTestIn'),
        response: { 200: Type.Ref('FilterTestOut'), ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const application = await resolveApplication(ctx, request, request.params.app_id);
      const body = request.body as {
        filter: Record<string, unknown>;
        payload?: Record<string, unknown>;
        eventType?: string;
        channels?: string[] | null;
        limit?: number;
      };
      const tree = requestFilter(body.filter);
      if (body.payload === undefined) {
        const subscription = { eventTypes: null, channels: null, filter: compileFilter(tree) };
        return tryRecent(ctx, application.id, subscription, body.limit ?? 50);
      }
      const message = {
        payload: body.payload,
        eventType: body.eventType ?? '',
        channels: body.channels ?? null,
      };
      const explanation = explainFilter(tree, message);
      return { matches: explanation.matched, explanation };
    },
  );

  app.post(
    '/api/v1/app/:app_id/endpoint/:endpoint_id/filter/test',
    {
      schema: {
        operationId: 'v1.endpoint.filter-test-recent',
        summary: 'Test an Endpoint Filter on Recent Messages',
        description:
          'Herald addition. How many of the application’s last `limit` messages (and which) the endpoint would ' +
          'have received: its event types and channels, and its payload filter or the draft `filter` in the body.',
        tags,
        params: EndpointParams,
        body: Type.Ref('EndpointFilterTestIn'),
        response: { 200: Type.Ref('EndpointFilterTestOut'), ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const { app: application, endpoint } = await endpointInPath(ctx, request);
      const body = (request.body ?? {}) as { filter?: Record<string, unknown> | null; limit?: number };
      // The endpoint as fan-out sees it; a draft in the body takes the saved filter's place.
      const saved = subscriptionOf(endpoint);
      const subscription =
        body.filter === undefined
          ? saved
          : { ...saved, filter: body.filter === null ? null : compileFilter(requestFilter(body.filter)) };
      return tryRecent(ctx, application.id, subscription, body.limit ?? 50);
    },
  );
}
