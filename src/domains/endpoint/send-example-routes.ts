import { Type } from '@sinclair/typebox';
import type { HeraldContext } from '../../context.js';
import { invalidField, notFound } from '../../errors.js';
import type { HeraldApp } from '../../http/types.js';
import { ERROR_RESPONSES } from '../common/schemas.js';
import { exampleFor } from '../event-type/example.js';
import { lookupEventType } from '../event-type/publish-check.js';
import type { StoredEventType } from '../event-type/repo.js';
import { latestSchema } from '../event-type/schema-validation.js';
import { EventExampleIn } from '../event-type/schemas.js';
import { publishToEndpoint } from '../message/publish.js';
import { messageOut } from '../message/repo.js';
import { EndpointParams, endpointInPath } from './routes.js';

/**
 * The example payload to send: entry `index` of the latest schema's `examples` when the schema
 * lists some (422 naming `exampleIndex` when there is no such entry), else `exampleFor`'s
 * (generated from the schema, or a placeholder without one).
 */
function examplePayload(eventType: StoredEventType, index: number): Record<string, unknown> {
  const examples = latestSchema(eventType.schemas)?.schema.examples;
  if (!Array.isArray(examples)) return exampleFor(eventType);
  const chosen = examples[index];
  if (chosen === undefined) {
    throw invalidField(
      ['body', 'exampleIndex'],
      `exampleIndex: the schema of "${eventType.name}" has ${examples.length} example(s), numbered from 0`,
    );
  }
  if (chosen === null || typeof chosen !== 'object' || Array.isArray(chosen)) {
    throw invalidField(
      ['body', 'exampleIndex'],
      `exampleIndex: example ${index} of "${eventType.name}" is not a JSON object, so it cannot be a payload`,
    );
  }
  return structuredClone(chosen as Record<string, unknown>);
}

/** Svix's connectivity check: `svix.ping` needs no catalog entry and always sends `{"success": true}`. */
const PING_EVENT_TYPE = 'svix.ping';

/** The event type and payload send-example sends (404 when the event type is not in the catalog). */
async function exampleMessage(
  ctx: HeraldContext,
  portal: boolean,
  body: { eventType: string; exampleIndex?: number },
): Promise<{ eventType: string; payload: Record<string, unknown> }> {
  if (body.eventType === PING_EVENT_TYPE) return { eventType: PING_EVENT_TYPE, payload: { success: true } };
  const eventType = await lookupEventType(ctx, body.eventType);
  // A portal token sees no event type behind a feature flag, here as in the catalog.
  if (!eventType || (portal && eventType.featureFlags !== null)) throw notFound('Event type not found.');
  return { eventType: eventType.name, payload: examplePayload(eventType, body.exampleIndex ?? 0) };
}

/**
 * `v1.endpoint.send-example`: sends the example of an event type to one endpoint only, as a
 * real message (signed, retried, listed with its attempts). The event type must be in the
 * catalog (404 otherwise); the endpoint's filters do not apply, since the point is to test it.
 */
export async function sendExampleRoutes(app: HeraldApp, ctx: HeraldContext): Promise<void> {
  app.addSchema(EventExampleIn);

  app.post(
    '/api/v1/app/:app_id/endpoint/:endpoint_id/send-example',
    {
      schema: {
        operationId: 'v1.endpoint.send-example',
        summary: 'Send Event Type Example Message',
        description:
          "Sends the event type's example to this endpoint only: the chosen entry of the latest schema's " +
          '`examples`, or one generated from the schema. Answers 404 when the event type is not in the catalog.',
        tags: ['Endpoint'],
        params: EndpointParams,
        body: Type.Ref('EventExampleIn'),
        response: { 202: Type.Ref('MessageOut'), ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const { app: application, endpoint } = await endpointInPath(ctx, request);
      const body = request.body as { eventType: string; exampleIndex?: number };
      const { row } = await publishToEndpoint(ctx, application, endpoint.id, {
        ...(await exampleMessage(ctx, request.auth.kind === 'portal', body)),
        requestId: request.id,
      });
      return reply.code(202).send(messageOut(row));
    },
  );
}
