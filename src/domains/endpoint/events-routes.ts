import { Type } from '@sinclair/typebox';
import type { HeraldContext } from '../../context.js';
import type { HeraldApp } from '../../http/types.js';
import { ERROR_RESPONSES } from '../common/schemas.js';
import { FeedQuery, feedPage } from '../message/events-routes.js';
import { isSubscribed, storedMessage, subscriptionOf } from '../message/subscription.js';
import { EndpointParams, endpointInPath } from './routes.js';

/**
 * The pull feed as one endpoint sees it: the application's messages that the endpoint's
 * event types, channels and payload filter let through, for a consumer who pulls what its
 * endpoint would have been sent (catching up after an outage, or instead of receiving).
 */
export async function endpointEventsRoutes(app: HeraldApp, ctx: HeraldContext): Promise<void> {
  app.get(
    '/api/v1/app/:app_id/endpoint/:endpoint_id/events',
    {
      schema: {
        operationId: 'v1.endpoint.events',
        summary: 'Stream the Messages of an Endpoint',
        description:
          'Herald addition. The pull feed (`/api/v1/app/{app_id}/events`, same query and iterator) kept to the ' +
          'messages the endpoint receives: its event types, channels and payload filter as they are now.',
        tags: ['Endpoint'],
        params: EndpointParams,
        querystring: FeedQuery,
        response: { 200: Type.Ref('MessageEventsOut'), ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const { app: application, endpoint } = await endpointInPath(ctx, request);
      const subscription = subscriptionOf(endpoint);
      return feedPage(ctx, application.id, request.query, (row) =>
        isSubscribed(subscription, storedMessage(row)),
      );
    },
  );
}
