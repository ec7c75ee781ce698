import { randomUUID } from 'node:crypto';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyReply, LogController } from 'fastify';
import type { HeraldContext } from './context.js';
import { applicationRoutes } from './domains/application/routes.js';
import {
  ApplicationIn,
  ApplicationOut,
  ApplicationPatch,
  ListResponseApplicationOut,
} from './domains/application/schemas.js';
import { attemptRoutes } from './domains/attempt/routes.js';
import { authenticate } from './domains/auth/authenticate.js';
import { authRoutes } from './domains/auth/routes.js';
import { backgroundTaskRoutes } from './domains/background-task/routes.js';
import { HTTPValidationError, HttpErrorOut } from './domains/common/schemas.js';
import { endpointEventsRoutes } from './domains/endpoint/events-routes.js';
import { filterTestRoutes } from './domains/endpoint/filter-test-routes.js';
import { endpointRecoveryRoutes } from './domains/endpoint/recovery-routes.js';
import { endpointRoutes } from './domains/endpoint/routes.js';
import { ENDPOINT_SCHEMAS } from './domains/endpoint/schemas.js';
import { sendExampleRoutes } from './domains/endpoint/send-example-routes.js';
import { eventTypeRoutes } from './domains/event-type/routes.js';
import { healthRoutes } from './domains/health/routes.js';
import { messageBatchRoutes } from './domains/message/batch-routes.js';
import { messageEventsRoutes } from './domains/message/events-routes.js';
import { messageRoutes } from './domains/message/routes.js';
import { ListResponseMessageOut, MessageIn, MessageOut } from './domains/message/schemas.js';
import { endpointStatsRoutes } from './domains/stats/endpoint-routes.js';
import { statsRoutes } from './domains/stats/routes.js';
import { apiDocsRoutes, registerOpenApiDocument } from './http/api-docs.js';
import { answerClientError } from './http/client-error.js';
import { installErrorHandler } from './http/error-handler.js';
import { installIdempotency } from './http/idempotency.js';
import { installJsonBodyParser } from './http/json-body.js';
import { observabilityRoutes } from './http/metrics-route.js';
import { parseQueryString } from './http/query.js';
import { installRateLimit } from './http/rate-limit.js';
import { cachedSerializers } from './http/serialization.js';
import type { HeraldApp } from './http/types.js';
import { uiRoutes } from './http/ui.js';
import { installValidators } from './http/validation.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Routes that answer without a token (health probes, the UI's files). */
    public?: boolean;
  }
}

/** An API path without its trailing slash (`/api/v1/app/?limit=1` → `/api/v1/app?limit=1`). */
export function withoutTrailingSlash(url: string): string {
  if (!url.startsWith('/api/')) return url;
  const query = url.indexOf('?');
  const path = query < 0 ? url : url.slice(0, query);
  const trimmed = path.replace(/\/+$/, '');
  return trimmed === path ? url : `${trimmed}${query < 0 ? '' : url.slice(query)}`;
}

/** The schemas several domains' routes refer to by `$id`, registered once for all of them. */
const SHARED_SCHEMAS = [
  HttpErrorOut,
  HTTPValidationError,
  ApplicationIn,
  ApplicationPatch,
  ApplicationOut,
  ListResponseApplicationOut,
  ...ENDPOINT_SCHEMAS,
  MessageIn,
  MessageOut,
  ListResponseMessageOut,
];

/**
 * The Fastify instance with Herald's server options: body and path limits, Svix's answers to
 * errors raised before routing, request ids, and where client errors and logs go.
 */
function createFastify(ctx: HeraldContext): HeraldApp {
  return Fastify({
    loggerInstance: ctx.logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
    bodyLimit: ctx.config.maxPayloadBytes,
    schemaController: { compilersFactory: { buildSerializer: cachedSerializers() } },
    requestIdHeader: 'x-request-id',
    // Paths carry uids of up to 256 characters (Fastify's default stops at 100).
    routerOptions: { maxParamLength: 300, querystringParser: parseQueryString },
    // Svix answers `/api/v1/app/` as `/api/v1/app` (its own tests and older SDKs add the slash).
    // Rewritten before routing, so idempotency keys, rate limits and logs see one path.
    rewriteUrl: (request) => withoutTrailingSlash(request.url ?? '/'),
    // Errors raised before routing (an over-long path parameter, a malformed URL) get Svix's body too.
    frameworkErrors: (error, _request, reply) => {
      const tooLong = error.code === 'FST_ERR_MAX_PARAM_LENGTH';
      const body = tooLong
        ? { code: 'not_found', detail: 'Entity not found.' }
        : { code: 'bad_request', detail: 'The URL is malformed.' };
      (reply as unknown as FastifyReply).code(tooLong ? 404 : 400).send(body);
    },
    genReqId: () => `req_${randomUUID().replaceAll('-', '')}`,
    clientErrorHandler: (error, socket) => answerClientError(error, socket, ctx.logger),
  }).withTypeProvider<TypeBoxTypeProvider>();
}

/** Echoes the request id in `x-request-id` and logs each request at debug level. */
function installRequestLogging(app: HeraldApp): void {
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    request.log.debug(
      { method: request.method, url: request.url, status: reply.statusCode, ms: reply.elapsedTime },
      'request',
    );
  });
}

/** The OpenAPI document, its `/docs` reference page, and the schemas the routes share. */
async function registerOpenApi(app: HeraldApp): Promise<void> {
  await registerOpenApiDocument(app);
  await apiDocsRoutes(app);
  for (const schema of SHARED_SCHEMAS) {
    app.addSchema(schema);
  }
}

/** Resolves the caller of every API route but the public ones into `request.auth`. */
function installAuthentication(app: HeraldApp, ctx: HeraldContext): void {
  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.config.public || !request.url.startsWith('/api/')) return;
    request.auth = await authenticate(ctx, request);
  });
}

/** Every route: the document itself, then each domain's, the metrics and the UI's files. */
async function registerRoutes(app: HeraldApp, ctx: HeraldContext): Promise<void> {
  app.get('/api/v1/openapi.json', { config: { public: true }, schema: { hide: true } }, async () =>
    app.swagger(),
  );

  await healthRoutes(app, ctx);
  await authRoutes(app, ctx);
  await applicationRoutes(app, ctx);
  await endpointRoutes(app, ctx);
  await filterTestRoutes(app, ctx);
  await endpointEventsRoutes(app, ctx);
  await endpointStatsRoutes(app, ctx);
  await messageRoutes(app, ctx);
  await messageBatchRoutes(app, ctx);
  await attemptRoutes(app, ctx);
  await eventTypeRoutes(app, ctx);
  await sendExampleRoutes(app, ctx);
  await backgroundTaskRoutes(app, ctx);
  await endpointRecoveryRoutes(app, ctx);
  await messageEventsRoutes(app, ctx);
  await observabilityRoutes(app, ctx);
  await statsRoutes(app, ctx);
  await uiRoutes(app, ctx);
}

/**
 * Builds Herald's HTTP application: the Svix-compatible API, its OpenAPI document and
 * reference page. It does not listen: `cli/` does, and tests use `inject()` or a socket.
 */
export async function buildApp(ctx: HeraldContext): Promise<HeraldApp> {
  const app = createFastify(ctx);
  installJsonBodyParser(app);
  installErrorHandler(app, ctx.store.health);
  installValidators(app);
  // The API takes JSON only: a text/plain body is a 415, not a string to validate.
  app.removeContentTypeParser('text/plain');
  installRequestLogging(app);
  await registerOpenApi(app);
  installAuthentication(app, ctx);
  installRateLimit(app, ctx);
  installIdempotency(app, ctx);
  await registerRoutes(app, ctx);
  return app;
}
