/**
 * Hono middleware that verifies Standard Webhooks requests (`herald/verify/hono`).
 * Imports only Hono's types, so the core verifier never loads Hono.
 */
import type { MiddlewareHandler } from 'hono';
import { createWebhookGuard, DUPLICATE_BODY, type WebhookMiddlewareOptions } from './middleware-core.js';

/** The context variables this middleware sets: `c.get('webhook')` is the verified payload. */
export type WebhookVariables = { webhook: unknown };

/**
 * Verifies the request and sets the parsed payload as `c.get('webhook')`, or answers 400 (missing
 * or malformed headers, body not JSON) or 401 (bad signature, stale timestamp) with
 * `{ error, message }`. It reads the raw bytes with `c.req.arrayBuffer()`, which Hono caches, so
 * the handler may still read the body itself. Throws at once if the secret is unusable.
 */
export function verifyWebhook(
  secretOrPublicKey: string | readonly string[],
  options: WebhookMiddlewareOptions = {},
): MiddlewareHandler<{ Variables: WebhookVariables }> {
  const guard = createWebhookGuard(secretOrPublicKey, options);

  return async (c, next) => {
    const rawBody = new Uint8Array(await c.req.arrayBuffer());
    const outcome = await guard.check(rawBody, c.req.raw.headers);
    if (outcome.kind === 'rejected') {
      return c.json(outcome.body, outcome.status as 400 | 401 | 500);
    }
    if (outcome.kind === 'duplicate') return c.json(DUPLICATE_BODY, 200);
    c.set('webhook', outcome.webhook.payload);
    await next();
    // Deduplication is best-effort: a failing store must not turn a handled delivery into an error.
    await guard.delivered(outcome.webhook, c.res.status).catch(() => {});
  };
}

export type { WebhookMiddlewareOptions } from './middleware-core.js';
export { MemoryReplayStore, type ReplayStore } from './replay.js';
