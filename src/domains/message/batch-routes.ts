import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { HeraldContext } from '../../context.js';
import { HttpError, ValidationError, type ValidationIssue } from '../../errors.js';
import { validationIssues } from '../../http/error-handler.js';
import type { HeraldApp } from '../../http/types.js';
import { findOrCreateApplication, type ImplicitApplicationIn } from '../application/access.js';
import { requireAdmin } from '../auth/authenticate.js';
import { AppIdParam, ERROR_RESPONSES } from '../common/schemas.js';
import { JSON_TYPE, type PublishInput, publishBatch, publishedJson } from './publish.js';
import { traceParentOf } from './routes.js';
import { MessageIn } from './schemas.js';

/** Most messages one batch may carry (Herald's addition; Svix has no batch publish). */
export const MAX_BATCH_MESSAGES = 1_000;
/** A batch's body may be this many times the single-request limit (`HERALD_MAX_PAYLOAD_BYTES`)… */
const BATCH_BODY_FACTOR = 16;
/** …but never more than this. */
const MAX_BATCH_BODY_BYTES = 128 * 1_048_576;

export const MessageBatchIn = Type.Object(
  {
    messages: Type.Array(Type.Ref('MessageIn'), {
      minItems: 1,
      maxItems: MAX_BATCH_MESSAGES,
      description: `Up to ${MAX_BATCH_MESSAGES} messages, each exactly what Create Message takes.`,
    }),
  },
  { $id: 'MessageBatchIn' },
);

export const MessageBatchErrorOut = Type.Object(
  {
    code: Type.String({ description: '`conflict`, `validation_error`, `payload_too_large`, …' }),
    detail: Type.Unknown({
      description:
        'What Create Message would have answered: a sentence, or for `validation_error` the list of ' +
        '`{loc, msg, type}` issues of a 422.',
    }),
  },
  { $id: 'MessageBatchErrorOut' },
);

export const MessageBatchResultOut = Type.Object(
  {
    status: Type.Integer({
      description: 'The status Create Message would have answered: 202, 409, 413, 422…',
    }),
    message: Type.Optional(Type.Ref('MessageOut')),
    error: Type.Optional(Type.Ref('MessageBatchErrorOut')),
  },
  { $id: 'MessageBatchResultOut' },
);

export const MessageBatchOut = Type.Object(
  { data: Type.Array(Type.Ref('MessageBatchResultOut')) },
  { $id: 'MessageBatchOut' },
);

/** A message the batch could not store, as its entry of the answer. */
type BatchFailure = { status: number; error: { code: string; detail: unknown } };

/** A message of the batch body, as Create Message takes it. */
type BatchMessage = PublishInput & { application?: ImplicitApplicationIn | null };

/** The answer Create Message would have given for `err`, as a batch entry (a 500 for the unexpected). */
function failed(err: Error): BatchFailure {
  if (err instanceof HttpError) return { status: err.status, error: err.body() };
  if (err instanceof ValidationError)
    return { status: 422, error: { code: 'validation_error', detail: err.issues } };
  return { status: 500, error: new HttpError('internal_error').body() };
}

/**
 * When no message was stored and the store failed for some (the database is down), the whole
 * request fails with that error rather than a 200 of failures: nothing was stored, the client
 * should send the batch again, and an `Idempotency-Key` is released for that retry.
 */
function throwWhenNothingStored(outcomes: Array<unknown>): void {
  if (outcomes.some((o) => !(o instanceof Error))) return;
  const serverError = outcomes.find(
    (o) => !(o instanceof ValidationError) && !(o instanceof HttpError && o.status < 500),
  );
  if (serverError) throw serverError;
}

function tooMany(count: number): ValidationError {
  return new ValidationError([
    {
      loc: ['body', 'messages'],
      msg: `messages: a batch holds 1 to ${MAX_BATCH_MESSAGES} messages, got ${count}`,
      type: count === 0 ? 'value_error.list.min_items' : 'value_error.list.max_items',
    },
  ]);
}

/**
 * The messages of a batch body, each either valid (checked and defaulted as Create Message's
 * body is) or with the 422 issues Create Message would have answered. Fastify has already run
 * the route schema (`attachValidation`), which stops at the first bad message; only then is
 * each message checked on its own. A body that is not a batch at all is refused whole.
 */
function messagesOf(request: FastifyRequest): Array<BatchMessage | ValidationIssue[]> {
  const body = request.body as { messages?: unknown } | null;
  const messages = body !== null && typeof body === 'object' ? body.messages : undefined;
  if (!Array.isArray(messages)) {
    const error = request.validationError as { validation?: unknown[] } | undefined;
    throw new ValidationError(
      error?.validation && !Array.isArray(body)
        ? validationIssues('body', error.validation as Parameters<typeof validationIssues>[1])
        : [
            {
              loc: ['body', 'messages'],
              msg: 'messages: must be an array of messages',
              type: 'type_error.list',
            },
          ],
    );
  }
  if (messages.length === 0 || messages.length > MAX_BATCH_MESSAGES) throw tooMany(messages.length);
  if (!request.validationError) return messages as BatchMessage[];
  const check = request.compileValidationSchema(MessageIn, 'body');
  return messages.map((message) =>
    check(message)
      ? (message as BatchMessage)
      : validationIssues('body', (check.errors ?? []) as Parameters<typeof validationIssues>[1]),
  );
}

/**
 * `POST /api/v1/app/{app_id}/msg/batch`, Herald's addition for bursts (a billing run, an
 * import): up to 1,000 messages stored in one transaction, each answered as Create Message
 * would have answered it, in order, so one bad message does not sink the others. The workers
 * are woken once for the whole batch.
 */
export async function messageBatchRoutes(app: HeraldApp, ctx: HeraldContext): Promise<void> {
  for (const schema of [MessageBatchIn, MessageBatchErrorOut, MessageBatchResultOut, MessageBatchOut])
    app.addSchema(schema);
  const bodyLimit = Math.max(
    ctx.config.maxPayloadBytes,
    Math.min(BATCH_BODY_FACTOR * ctx.config.maxPayloadBytes, MAX_BATCH_BODY_BYTES),
  );
  const tooLarge = () =>
    new HttpError(
      'payload_too_large',
      `A batch body may be at most ${bodyLimit} bytes (${BATCH_BODY_FACTOR} × HERALD_MAX_PAYLOAD_BYTES); split the batch.`,
    );

  app.post(
    '/api/v1/app/:app_id/msg/batch',
    {
      bodyLimit,
      attachValidation: true,
      config: { exactUtf8: true },
      schema: {
        operationId: 'v1.message.create-batch',
        summary: 'Create Messages in a Batch',
        description:
          `Herald addition. Creates up to ${MAX_BATCH_MESSAGES} messages of one application in one transaction, ` +
          'each checked and stored exactly as Create Message would (eventId, channels, tags, schema checks). ' +
          'Answers 200 with one result per message, in request order: `{"status": 202, "message": …}`, or the ' +
          'status and error Create Message would have answered for it (409 for a taken eventId, also by an ' +
          'earlier message of the batch; 422; 413 for a payload over HERALD_MAX_PAYLOAD_BYTES). A body that is ' +
          `not a batch, or holds more than ${MAX_BATCH_MESSAGES} messages, is a 422; a body over ${BATCH_BODY_FACTOR} × ` +
          'HERALD_MAX_PAYLOAD_BYTES is a 413.',
        tags: ['Message'],
        params: Type.Object({ app_id: AppIdParam }),
        querystring: Type.Object({ with_content: Type.Optional(Type.Boolean({ default: true })) }),
        body: Type.Ref('MessageBatchIn'),
        response: { 200: Type.Ref('MessageBatchOut'), 413: Type.Ref('HttpErrorOut'), ...ERROR_RESPONSES },
      },
      // A clear 413 before reading a body announced as too large (a chunked one gets Fastify's).
      preParsing: async (request) => {
        if (Number(request.headers['content-length'] ?? 0) > bodyLimit) throw tooLarge();
      },
    },
    async (request, reply) => {
      const messages = messagesOf(request);
      const create = messages.find(
        (m): m is BatchMessage => !Array.isArray(m) && !!(m as BatchMessage).application,
      );
      const application = await findOrCreateApplication(
        ctx,
        request,
        request.params.app_id,
        create?.application,
      );
      // Publishing is the platform's job: a consumer-portal token may not (403, as in Svix).
      requireAdmin(request);
      const traceParent = traceParentOf(request);
      const valid = messages.filter((m): m is PublishInput => !Array.isArray(m));
      const outcomes = await publishBatch(
        ctx,
        application,
        valid.map((m) => ({
          ...m,
          traceParent,
          requestId: request.id,
          maxPayloadBytes: ctx.config.maxPayloadBytes,
        })),
      );
      throwWhenNothingStored(outcomes);
      const withContent = request.query.with_content ?? true;
      let next = 0;
      // MessageBatchOut as JSON text, each stored message as Create Message writes it (publishedJson).
      const data = messages.map((m): string => {
        if (Array.isArray(m)) return JSON.stringify(failed(new ValidationError(m)));
        const outcome = outcomes[next++]!;
        if (!(outcome instanceof Error))
          return `{"status":202,"message":${publishedJson(outcome, withContent)}}`;
        if (!(outcome instanceof ValidationError) && !(outcome instanceof HttpError && outcome.status < 500))
          request.log.error({ err: outcome }, 'a message of a batch could not be stored');
        return JSON.stringify(failed(outcome));
      });
      return reply.type(JSON_TYPE).send(`{"data":[${data.join(',')}]}`);
    },
  );
}
