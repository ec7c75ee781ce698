import type { FastifyError } from 'fastify';
import { HttpError, STORE_RETRY_AFTER_SECONDS, ValidationError, type ValidationIssue } from '../errors.js';
import type { StoreHealth } from '../store/health.js';
import type { HeraldApp } from './types.js';

const LOCATION: Record<string, string> = {
  body: 'body',
  querystring: 'query',
  params: 'path',
  headers: 'header',
};

/** Maps ajv's keyword to the error `type` strings Svix (pydantic-style) answers with. */
function issueType(keyword: string): string {
  switch (keyword) {
    case 'required':
      return 'value_error.missing';
    case 'type':
      return 'type_error';
    case 'pattern':
      return 'value_error.str.regex';
    case 'format':
      return 'value_error.format';
    case 'enum':
    case 'const':
      return 'type_error.enum';
    case 'additionalProperties':
      return 'value_error.extra';
    default:
      return `value_error.${keyword}`;
  }
}

interface AjvError {
  keyword: string;
  instancePath: string;
  message?: string;
  params: Record<string, unknown>;
}

/**
 * A nullable field is a union (`T | null`), so one bad value yields three ajv errors: the
 * real one, "must be null" and "must match a schema in anyOf". Only the first says anything.
 */
function dropUnionNoise(errors: AjvError[]): AjvError[] {
  const meaningful = errors.filter(
    (e) => e.keyword !== 'anyOf' && !(e.keyword === 'type' && e.params.type === 'null'),
  );
  return meaningful.length > 0 ? meaningful : errors;
}

export function validationIssues(context: string | undefined, errors: AjvError[]): ValidationIssue[] {
  const root = LOCATION[context ?? 'body'] ?? 'body';
  return dropUnionNoise(errors).map((e) => {
    const path = e.instancePath
      .split('/')
      .filter((p) => p !== '')
      .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    if (e.keyword === 'required' && typeof e.params.missingProperty === 'string')
      path.push(e.params.missingProperty);
    const field = path.length > 0 ? path[path.length - 1] : context;
    return {
      loc: [root, ...path],
      msg: `${field}: ${e.message ?? 'is invalid'}`,
      type: issueType(e.keyword),
    };
  });
}

/**
 * A database fault as the client sees it: 507 `storage_full` when the database cannot grow,
 * else 503 `store_unavailable` with `Retry-After`. Nothing of the fault itself is in the body;
 * the log has it once per outage (`StoreHealth`), not once per request.
 */
export function storeFaultError(health: StoreHealth, error: unknown): HttpError | null {
  const fault = health.report(error);
  if (!fault) return null;
  if (fault.kind === 'storage_full') return new HttpError('storage_full');
  return new HttpError('store_unavailable', undefined, { 'retry-after': String(STORE_RETRY_AFTER_SECONDS) });
}

/**
 * One place turns every failure into Svix's error bodies. Anything unexpected becomes a
 * generic 500 whose details stay in the log, tagged with the request id.
 */
export function installErrorHandler(app: HeraldApp, health: StoreHealth): void {
  app.setErrorHandler((error: FastifyError & { validationContext?: string }, request, reply) => {
    if (error instanceof HttpError) {
      return reply.code(error.status).headers(error.headers).send(error.body());
    }
    if (error instanceof ValidationError) {
      return reply.code(422).send(error.body());
    }
    if (error.validation) {
      return reply
        .code(422)
        .send({ detail: validationIssues(error.validationContext, error.validation as AjvError[]) });
    }
    switch (error.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return reply.code(413).send(new HttpError('payload_too_large').body());
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return reply.code(415).send(new HttpError('unsupported_media_type').body());
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        return reply
          .code(400)
          .send(
            new HttpError('bad_request', 'The request body is empty but its content-type is JSON.').body(),
          );
    }
    if (
      error.statusCode === 400 &&
      (error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError)
    ) {
      return reply.code(400).send(new HttpError('bad_request', 'The request body is not valid JSON.').body());
    }
    // PostgreSQL cannot store U+0000 in text; SQLite can. Same answer on both: the value is refused.
    if (error.code === '22021' || error.code === '22P05') {
      return reply.code(422).send({
        detail: [
          {
            loc: ['body'],
            msg: 'A value contains a character that cannot be stored (U+0000).',
            type: 'value_error.str.nul',
          },
        ],
      });
    }
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      return reply.code(error.statusCode).send({ code: 'bad_request', detail: error.message });
    }
    const storeFault = storeFaultError(health, error);
    if (storeFault) return reply.code(storeFault.status).headers(storeFault.headers).send(storeFault.body());
    request.log.error({ err: error }, 'unhandled error');
    return reply.code(500).send(new HttpError('internal_error').body());
  });

  app.setNotFoundHandler((request, reply) => {
    reply
      .code(404)
      .send(new HttpError('not_found', `No route for ${request.method} ${request.url.split('?')[0]}`).body());
  });
}
