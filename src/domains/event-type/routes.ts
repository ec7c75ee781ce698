import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { HeraldContext } from '../../context.js';
import { newId } from '../../core/ids.js';
import { notFound } from '../../errors.js';
import type { HeraldApp } from '../../http/types.js';
import { requireAdmin } from '../auth/authenticate.js';
import { iso } from '../common/json.js';
import { pageRequest } from '../common/pagination.js';
import {
  ERROR_RESPONSES,
  EVENT_TYPE_PATTERN,
  EventTypeName,
  Ordering,
  pageQuery,
} from '../common/schemas.js';
import { catalogWebhooksDocument } from './catalog.js';
import type { WebhooksDocument } from './openapi-webhooks.js';
import {
  eventTypeOut,
  findEventType,
  insertFinishedExportTask,
  listEventTypes,
  type StoredEventType,
} from './repo.js';
import { EVENT_TYPE_SCHEMAS } from './schemas.js';
import {
  createEventType,
  type EventTypeInput,
  patchEventType,
  removeEventType,
  upsertEventType,
} from './service.js';

const tags = ['Event Type'];
const Out = Type.Ref('EventTypeOut');
const params = Type.Object({ event_type_name: EventTypeName });
const NoContent = Type.Null({ description: 'no content' });
/** Event types page by name: an iterator is a name (with `-` for a `prevIterator`). */
const EVENT_TYPE_ITERATOR = `^-?${EVENT_TYPE_PATTERN.slice(1)}`;
const OPENAPI_PATH = '/api/v1/event-type/openapi.json';

/**
 * Consumer-portal tokens carry no feature flags, so they see only event types without one (as a
 * Svix consumer without the flag would); admins see everything.
 */
function visible(request: FastifyRequest, eventType: StoredEventType): boolean {
  return request.auth.kind === 'admin' || eventType.featureFlags === null;
}

async function resolveEventType(ctx: HeraldContext, request: FastifyRequest, name: string) {
  const eventType = await findEventType(ctx.store.db, name);
  if (!eventType || !visible(request, eventType)) throw notFound('Event type not found.');
  return eventType;
}

/** The event catalog: CRUD, OpenAPI export. Writes are admin-only; portal tokens may read. */
export async function eventTypeRoutes(app: HeraldApp, ctx: HeraldContext): Promise<void> {
  for (const schema of EVENT_TYPE_SCHEMAS) app.addSchema(schema);

  app.get(
    '/api/v1/event-type',
    {
      schema: {
        operationId: 'v1.event-type.list',
        summary: 'List Event Types',
        description: 'Lists the event catalog by name. Schemas are only included with `with_content=true`.',
        tags,
        querystring: Type.Object({
          ...pageQuery(EVENT_TYPE_ITERATOR),
          order: Type.Optional(Ordering),
          include_archived: Type.Optional(Type.Boolean({ default: false })),
          with_content: Type.Optional(Type.Boolean({ default: false })),
        }),
        response: { 200: Type.Ref('ListResponse_EventTypeOut_'), ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const q = request.query;
      const page = await listEventTypes(
        ctx.store.db,
        ctx.store.dialect,
        pageRequest(q, q.order === 'descending'),
        { includeArchived: q.include_archived ?? false, includeFlagged: request.auth.kind === 'admin' },
      );
      return { ...page, data: page.data.map((et) => eventTypeOut(et, q.with_content ?? false)) };
    },
  );

  app.post(
    '/api/v1/event-type',
    {
      schema: {
        operationId: 'v1.event-type.create',
        summary: 'Create Event Type',
        description:
          'Creates an event type, or brings an archived one back with the given fields (as Svix does). ' +
          'An existing, live name is a 409. Every schema must be a valid JSON Schema.',
        tags,
        body: Type.Ref('EventTypeIn'),
        response: { 201: Out, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      requireAdmin(request);
      const { name, ...input } = request.body as EventTypeInput & { name: string; description: string };
      return reply.code(201).send(eventTypeOut(await createEventType(ctx, name, input)));
    },
  );

  app.get(
    OPENAPI_PATH,
    {
      schema: {
        operationId: 'v1.event-type.openapi-webhooks',
        summary: 'Event Catalog as OpenAPI Webhooks',
        description:
          'Herald extension: an OpenAPI 3.1 document whose `webhooks` section describes every event type ' +
          'that is not archived, with its latest schema and an example, for consumers to generate types from.',
        tags,
        response: {
          200: Type.Unsafe<WebhooksDocument>({ type: 'object', additionalProperties: true }),
          ...ERROR_RESPONSES,
        },
      },
    },
    async (request) => catalogWebhooksDocument(ctx, { includeFlagged: request.auth.kind === 'admin' }),
  );

  app.post(
    '/api/v1/event-type/export/openapi',
    {
      schema: {
        operationId: 'v1.event-type.export-openapi',
        summary: 'Export Event Types to OpenAPI',
        description:
          'Svix runs this as a background task; Herald builds the document at once, so the task it answers with ' +
          `is already finished and carries the document in \`data\` (also served at ${OPENAPI_PATH}).`,
        tags,
        response: { 202: Type.Ref('ExportEventTypeOut'), ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      requireAdmin(request);
      const document = await catalogWebhooksDocument(ctx, { includeFlagged: true });
      const now = ctx.now();
      const base = ctx.config.publicUrl ?? `http://${ctx.config.host}:${ctx.config.port}/`;
      const data = { url: new URL(OPENAPI_PATH, base).toString(), document };
      const task = { id: newId('qtask', now), status: 'finished' as const, task: 'sdk.generate' as const };
      // Recorded like any background task, so polling it (as Svix's SDKs do) finds it finished.
      await insertFinishedExportTask(ctx.store.db, task, data, now);
      return reply.code(202).send({ ...task, updatedAt: iso(now), data });
    },
  );

  app.get(
    '/api/v1/event-type/:event_type_name',
    {
      schema: {
        operationId: 'v1.event-type.get',
        summary: 'Get Event Type',
        description: 'Gets an event type, archived or not, with its schemas.',
        tags,
        params,
        response: { 200: Out, ...ERROR_RESPONSES },
      },
    },
    async (request) => eventTypeOut(await resolveEventType(ctx, request, request.params.event_type_name)),
  );

  app.put(
    '/api/v1/event-type/:event_type_name',
    {
      schema: {
        operationId: 'v1.event-type.upsert',
        summary: 'Update Event Type',
        description:
          'Creates the event type (201) or replaces all its fields (200); fields left out take their defaults.',
        tags,
        params,
        body: Type.Ref('EventTypeUpsertIn'),
        response: { 200: Out, 201: Out, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      requireAdmin(request);
      const input = request.body as EventTypeInput & { description: string };
      const { eventType, created } = await upsertEventType(ctx, request.params.event_type_name, input);
      return reply.code(created ? 201 : 200).send(eventTypeOut(eventType));
    },
  );

  app.patch(
    '/api/v1/event-type/:event_type_name',
    {
      schema: {
        operationId: 'v1.event-type.patch',
        summary: 'Patch Event Type',
        description: 'Changes the fields given; `null` clears a nullable field.',
        tags,
        params,
        body: Type.Ref('EventTypePatch'),
        response: { 200: Out, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      requireAdmin(request);
      const input = request.body as EventTypeInput;
      return eventTypeOut(await patchEventType(ctx, request.params.event_type_name, input));
    },
  );

  app.delete(
    '/api/v1/event-type/:event_type_name',
    {
      schema: {
        operationId: 'v1.event-type.delete',
        summary: 'Delete Event Type',
        description:
          'Archives the event type: new messages of that type are refused, history stays, and creating it ' +
          'again brings it back. `expunge=true` deletes it entirely.',
        tags,
        params,
        querystring: Type.Object({ expunge: Type.Optional(Type.Boolean({ default: false })) }),
        response: { 204: NoContent, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      requireAdmin(request);
      await removeEventType(ctx, request.params.event_type_name, request.query.expunge ?? false);
      return reply.code(204).send(null);
    },
  );
}
