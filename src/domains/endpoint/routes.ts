import { type Static, Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { HeraldContext } from '../../context.js';
import { operationalEvent } from '../../delivery/operational/events.js';
import { HttpError } from '../../errors.js';
import type { HeraldApp } from '../../http/types.js';
import { readHeaders, storeHeaders } from '../../signing/endpoint-headers.js';
import { currentSecret, readStoredSecrets, rotateSecrets } from '../../signing/endpoint-secrets.js';
import { generateEndpointSecret, publicSecretForm } from '../../signing/secrets.js';
import { resolveApplication } from '../application/access.js';
import type { ApplicationRow } from '../application/repo.js';
import { pageRequest } from '../common/pagination.js';
import {
  AppIdParam,
  EndpointIdParam,
  ERROR_RESPONSES,
  idIteratorPattern,
  Ordering,
  pageQuery,
} from '../common/schemas.js';
import { checkCustomHeaders } from './custom-headers.js';
import {
  deleteEndpoint,
  type EndpointRow,
  endpointOut,
  findEndpoint,
  listEndpoints,
  resolveEndpoint,
  SENSITIVE_HEADER,
  writeEndpointStored,
} from './repo.js';
import {
  createEndpoint,
  type EndpointFields,
  normalizedSecret,
  updateEndpoint,
  type WrittenEndpoint,
} from './service.js';

const tags = ['Endpoint'];
/** Rotated-out secrets that may still sign at once (Svix's `MAX_OLD_KEYS`). */
const MAX_PREVIOUS_SECRETS = 10;

/** Tells the operator (operational webhooks) what happened to an endpoint. */
function announce(
  ctx: HeraldContext,
  kind: 'endpointCreated' | 'endpointUpdated' | 'endpointDeleted',
  app: ApplicationRow,
  endpoint: EndpointRow,
  before?: EndpointRow,
) {
  const ids = { appId: app.id, appUid: app.uid, endpointId: endpoint.id, endpointUid: endpoint.uid };
  ctx.events.emit(operationalEvent[kind](ids));
  if (before?.disabled === 0 && endpoint.disabled === 1) {
    ctx.events.emit(operationalEvent.endpointDisabled({ ...ids, failSince: null, trigger: 'manual' }));
  }
}

/** The path parameters of every route under `/api/v1/app/{app_id}/endpoint/{endpoint_id}`. */
export const EndpointParams = Type.Object({ app_id: AppIdParam, endpoint_id: EndpointIdParam });

/**
 * The application and endpoint a request's path names, for every route under
 * `/api/v1/app/{app_id}/endpoint/{endpoint_id}` (404 when either is not there or not the caller's).
 */
export function endpointInPath(
  ctx: HeraldContext,
  request: FastifyRequest & { params: Static<typeof EndpointParams> },
): Promise<{ app: ApplicationRow; endpoint: EndpointRow }> {
  return resolveEndpoint(ctx, request, request.params.app_id, request.params.endpoint_id);
}

/** An endpoint just written, as answered: with its filter's warnings when there are any. */
function writtenOut({ row, filterWarnings }: WrittenEndpoint) {
  return filterWarnings.length > 0 ? { ...endpointOut(row), filterWarnings } : endpointOut(row);
}

const appParams = Type.Object({ app_id: AppIdParam });
const Out = Type.Ref('EndpointOut');
const NoContent = Type.Null({ description: 'no content' });

export async function endpointRoutes(app: HeraldApp, ctx: HeraldContext): Promise<void> {
  const { db } = ctx.store;

  app.get(
    '/api/v1/app/:app_id/endpoint',
    {
      schema: {
        operationId: 'v1.endpoint.list',
        summary: 'List Endpoints',
        tags,
        params: appParams,
        querystring: Type.Object({ ...pageQuery(idIteratorPattern('ep')), order: Type.Optional(Ordering) }),
        response: { 200: Type.Ref('ListResponse_EndpointOut_'), ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const application = await resolveApplication(ctx, request, request.params.app_id);
      const page = await listEndpoints(
        db,
        application.id,
        // Newest first unless asked otherwise, as Svix lists endpoints.
        pageRequest(request.query, request.query.order !== 'ascending'),
      );
      return { ...page, data: page.data.map(endpointOut) };
    },
  );

  app.post(
    '/api/v1/app/:app_id/endpoint',
    {
      schema: {
        operationId: 'v1.endpoint.create',
        summary: 'Create Endpoint',
        tags,
        params: appParams,
        body: Type.Ref('EndpointIn'),
        response: { 201: Out, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const application = await resolveApplication(ctx, request, request.params.app_id);
      const written = await createEndpoint(
        ctx,
        application.id,
        request.body as EndpointFields & { url: string },
      );
      announce(ctx, 'endpointCreated', application, written.row);
      return reply.code(201).send(writtenOut(written));
    },
  );

  app.get(
    '/api/v1/app/:app_id/endpoint/:endpoint_id',
    {
      schema: {
        operationId: 'v1.endpoint.get',
        summary: 'Get Endpoint',
        tags,
        params: EndpointParams,
        response: { 200: Out, ...ERROR_RESPONSES },
      },
    },
    async (request) => endpointOut((await endpointInPath(ctx, request)).endpoint),
  );

  app.put(
    '/api/v1/app/:app_id/endpoint/:endpoint_id',
    {
      schema: {
        operationId: 'v1.endpoint.upsert',
        summary: 'Update Endpoint',
        description:
          'Replaces the endpoint, or creates it (with the path as its uid) when it does not exist.',
        tags,
        params: EndpointParams,
        body: Type.Ref('EndpointUpdate'),
        response: { 200: Out, 201: Out, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const application = await resolveApplication(ctx, request, request.params.app_id);
      const body = request.body as EndpointFields & { url: string };
      const existing = await findEndpoint(db, application.id, request.params.endpoint_id);
      if (!existing) {
        const written = await createEndpoint(ctx, application.id, {
          ...body,
          uid: body.uid ?? request.params.endpoint_id,
        });
        announce(ctx, 'endpointCreated', application, written.row);
        return reply.code(201).send(writtenOut(written));
      }
      // PUT replaces: what the body leaves out goes back to its default, except Herald's `filter`,
      // which the Svix SDKs cannot send: their PUT keeps it (`filter: null` clears it).
      // The filter defaults to null only when neither spelling is sent (requestedFilter picks the one that is).
      const fields: EndpointFields = {
        description: '',
        ...(body.filterTypes === undefined ? { eventTypes: null } : {}),
        channels: null,
        throttleRate: null,
        metadata: {},
        disabled: false,
        version: 1,
        uid: existing.uid,
        ...body,
      };
      if (body.rateLimit !== undefined && body.throttleRate === undefined)
        fields.throttleRate = body.rateLimit;
      const updated = await updateEndpoint(ctx, existing, fields);
      announce(ctx, 'endpointUpdated', application, updated.row, existing);
      return reply.code(200).send(writtenOut(updated));
    },
  );

  app.patch(
    '/api/v1/app/:app_id/endpoint/:endpoint_id',
    {
      schema: {
        operationId: 'v1.endpoint.patch',
        summary: 'Patch Endpoint',
        tags,
        params: EndpointParams,
        body: Type.Ref('EndpointPatch'),
        response: { 200: Out, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const { app: application, endpoint } = await endpointInPath(ctx, request);
      const updated = await updateEndpoint(ctx, endpoint, request.body as EndpointFields);
      announce(ctx, 'endpointUpdated', application, updated.row, endpoint);
      return writtenOut(updated);
    },
  );

  app.delete(
    '/api/v1/app/:app_id/endpoint/:endpoint_id',
    {
      schema: {
        operationId: 'v1.endpoint.delete',
        summary: 'Delete Endpoint',
        tags,
        params: EndpointParams,
        response: { 204: NoContent, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const { app: application, endpoint } = await endpointInPath(ctx, request);
      await deleteEndpoint(db, endpoint.id);
      announce(ctx, 'endpointDeleted', application, endpoint);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/api/v1/app/:app_id/endpoint/:endpoint_id/headers',
    {
      schema: {
        operationId: 'v1.endpoint.get-headers',
        summary: 'Get Endpoint Headers',
        description:
          'Custom headers sent with every delivery. Values of headers that carry credentials are not shown; their names are in `sensitive`.',
        tags,
        params: EndpointParams,
        response: { 200: Type.Ref('EndpointHeadersOut'), ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const { endpoint } = await endpointInPath(ctx, request);
      const all = readHeaders(ctx.keyring, endpoint.headers);
      const headers: Record<string, string> = {};
      const sensitive: string[] = [];
      for (const [name, value] of Object.entries(all)) {
        if (SENSITIVE_HEADER.test(name)) sensitive.push(name);
        else headers[name] = value;
      }
      return { headers, sensitive };
    },
  );

  const writeHeaders = (endpointId: string, headers: Record<string, string>) =>
    writeEndpointStored(db, endpointId, { headers: storeHeaders(ctx.keyring, headers) }, ctx.now());

  app.put(
    '/api/v1/app/:app_id/endpoint/:endpoint_id/headers',
    {
      schema: {
        operationId: 'v1.endpoint.set-headers',
        summary: 'Update Endpoint Headers',
        tags,
        params: EndpointParams,
        body: Type.Ref('EndpointHeadersIn'),
        response: { 204: NoContent, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const { endpoint } = await endpointInPath(ctx, request);
      const { headers } = request.body as { headers: Record<string, string> };
      checkCustomHeaders(headers, ['body', 'headers']);
      await writeHeaders(endpoint.id, headers);
      return reply.code(204).send(null);
    },
  );

  app.patch(
    '/api/v1/app/:app_id/endpoint/:endpoint_id/headers',
    {
      schema: {
        operationId: 'v1.endpoint.patch-headers',
        summary: 'Patch Endpoint Headers',
        tags,
        params: EndpointParams,
        body: Type.Ref('EndpointHeadersPatchIn'),
        response: { 204: NoContent, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const { endpoint } = await endpointInPath(ctx, request);
      const body = request.body as { headers: Record<string, string | null>; deleteHeaders?: string[] };
      const headers = readHeaders(ctx.keyring, endpoint.headers);
      for (const [name, value] of Object.entries(body.headers)) {
        if (value === null) delete headers[name];
        else headers[name] = value;
      }
      for (const name of body.deleteHeaders ?? []) delete headers[name];
      checkCustomHeaders(body.headers, ['body', 'headers']);
      checkCustomHeaders(headers, ['body', 'headers']);
      await writeHeaders(endpoint.id, headers);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/api/v1/app/:app_id/endpoint/:endpoint_id/secret',
    {
      schema: {
        operationId: 'v1.endpoint.get-secret',
        summary: 'Get Endpoint Secret',
        description:
          'The key receivers verify signatures with: the `whsec_` secret, or the `whpk_` public key of an ed25519 endpoint.',
        tags,
        params: EndpointParams,
        response: { 200: Type.Ref('EndpointSecretOut'), ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const { endpoint } = await endpointInPath(ctx, request);
      return { key: publicSecretForm(currentSecret(ctx.keyring, endpoint.secrets)) };
    },
  );

  app.post(
    '/api/v1/app/:app_id/endpoint/:endpoint_id/secret/rotate',
    {
      schema: {
        operationId: 'v1.endpoint.rotate-secret',
        summary: 'Rotate Endpoint Secret',
        description:
          'The new secret signs at once; the previous one keeps signing for the grace period (default 24 h).',
        tags,
        params: EndpointParams,
        body: Type.Ref('EndpointSecretRotateIn'),
        response: { 204: NoContent, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const { endpoint } = await endpointInPath(ctx, request);
      const body = (request.body ?? {}) as { key?: string | null; gracePeriodSeconds?: number | null };
      const currentType = currentSecret(ctx.keyring, endpoint.secrets).startsWith('whsk_')
        ? 'ed25519'
        : 'hmac';
      const next = body.key ? normalizedSecret(body.key) : generateEndpointSecret(currentType);
      const graceMs =
        body.gracePeriodSeconds != null ? body.gracePeriodSeconds * 1000 : ctx.config.secretRotationGraceMs;
      const now = ctx.now();
      // As in Svix: at most 10 previous secrets still sign; an 11th rotation in the grace window is a 400.
      const stillSigning = readStoredSecrets(endpoint.secrets)
        .filter((s) => s.expiresAt !== null && s.expiresAt > now)
        .map((s) => s.expiresAt as number)
        .sort((a, b) => a - b);
      if (stillSigning.length >= MAX_PREVIOUS_SECRETS)
        throw new HttpError(
          'limit_reached',
          `You can only rotate a key ${MAX_PREVIOUS_SECRETS} times; please wait for old keys to expire. ` +
            `Your next key expires at ${new Date(stillSigning[0] as number).toISOString()}.`,
        );
      const secrets = rotateSecrets(ctx.keyring, endpoint.secrets, next, graceMs, now);
      await writeEndpointStored(db, endpoint.id, { secrets }, now);
      return reply.code(204).send(null);
    },
  );
}
