/**
 * Fastify plugin that verifies Standard Webhooks requests (`herald/verify/fastify`).
 * Imports only Fastify's types, so the core verifier never loads Fastify.
 */
import type { FastifyInstance, FastifyPluginCallback, FastifyReply, FastifyRequest } from 'fastify';
import { createWebhookGuard, DUPLICATE_BODY, type WebhookMiddlewareOptions } from './middleware-core.js';
import type { VerifiedWebhook } from './verify.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified webhook payload, set by `verifyWebhookPlugin`. */
    webhook?: unknown;
  }
}

/** Options of {@link verifyWebhookPlugin}. */
export interface FastifyWebhookOptions extends WebhookMiddlewareOptions {
  /** `whsec_` secret, `whpk_` public key, `whsk_` private key, or several of them. */
  secret: string | readonly string[];
  /** Bound on the body, in bytes. Default: the server's `bodyLimit`. */
  bodyLimit?: number;
}

/**
 * Verifies every request of the scope it is registered in and puts the parsed payload on
 * `request.webhook`; rejected requests get 400 or 401 with `{ error, message }` before the handler
 * runs. Register it inside the scope that holds the webhook routes, first:
 *
 * ```ts
 * app.register(async (hooks) => {
 *   await hooks.register(verifyWebhookPlugin, { secret: process.env.WEBHOOK_SECRET });
 *   hooks.post('/webhooks', async (request) => handle(request.webhook));
 * });
 * ```
 *
 * The signature covers the exact bytes sent, so in that scope the plugin replaces the body
 * parsers with one that keeps every body as a Buffer (`request.body`); routes elsewhere keep
 * Fastify's JSON parser. Throws at registration if the secret is unusable.
 */
export const verifyWebhookPlugin: FastifyPluginCallback<FastifyWebhookOptions> = Object.assign(
  (scope: FastifyInstance, options: FastifyWebhookOptions, done: (err?: Error) => void) => {
    const { secret, bodyLimit, ...guardOptions } = options;
    let guard: ReturnType<typeof createWebhookGuard>;
    try {
      guard = createWebhookGuard(secret, guardOptions);
    } catch (err) {
      done(err as Error);
      return;
    }
    const verified = new WeakMap<FastifyRequest, VerifiedWebhook>();

    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      '*',
      { parseAs: 'buffer', ...(bodyLimit === undefined ? {} : { bodyLimit }) },
      (_request, body, parsed) => parsed(null, body),
    );
    if (!scope.hasRequestDecorator('webhook')) scope.decorateRequest('webhook', undefined);

    scope.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
      const body = request.body;
      const rawBody = Buffer.isBuffer(body) || typeof body === 'string' ? body : Buffer.alloc(0);
      const outcome = await guard.check(rawBody, request.headers);
      if (outcome.kind === 'rejected') return reply.code(outcome.status).send(outcome.body);
      if (outcome.kind === 'duplicate') return reply.code(200).send(DUPLICATE_BODY);
      request.webhook = outcome.webhook.payload;
      verified.set(request, outcome.webhook);
    });

    scope.addHook('onResponse', async (request: FastifyRequest, reply: FastifyReply) => {
      const webhook = verified.get(request);
      // Deduplication is best-effort: a failing store must not surface as an error.
      if (webhook) await guard.delivered(webhook, reply.statusCode).catch(() => {});
    });
    done();
  },
  {
    // What fastify-plugin sets: apply the hooks and parser to the scope that registers the
    // plugin instead of to a child scope of its own, where they would reach no route.
    [Symbol.for('skip-override')]: true,
    [Symbol.for('fastify.display-name')]: 'herald-verify-webhook',
  },
);

export type { WebhookMiddlewareOptions } from './middleware-core.js';
export { MemoryReplayStore, type ReplayStore } from './replay.js';
