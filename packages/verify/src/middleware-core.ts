/**
 * The framework-neutral part of the Express, Fastify and Hono middlewares: verify, answer a
 * rejection with a JSON error, and deduplicate on `webhook-id`. Each framework file only adapts
 * how the raw body, the headers and the response are reached.
 */
import { WebhookVerificationError } from './errors.js';
import { MemoryReplayStore, type ReplayStore } from './replay.js';
import {
  createVerifier,
  type VerifiedWebhook,
  type VerifyOptions,
  type WebhookHeaderInput,
  type WebhookVerifier,
} from './verify.js';

/**
 * Options shared by the middlewares.
 *
 * Duplicates: with `dedupe` on, a request whose `webhook-id` was already handled successfully is
 * answered `200 {"duplicate": true}` without running the handler again. 200 rather than 409 on
 * purpose: Standard Webhooks / Svix senders (Herald included) treat any non-2xx answer as a
 * failed delivery and retry it, so a 409 would make the sender retry a message that was in fact
 * handled, and eventually disable the endpoint. An id is remembered only after the handler answered
 * 2xx, so a delivery whose handler failed is processed again when the sender retries.
 * Deduplication is best-effort: two copies arriving at the same instant may both run, and a store
 * that fails to record an id is ignored. A store that fails to answer `seen` makes the request
 * fail (500), so the sender retries later rather than the webhook being handled twice.
 */
export interface WebhookMiddlewareOptions extends VerifyOptions {
  /**
   * `true` for an in-memory store (one process), or a shared {@link ReplayStore}. Off by default.
   */
  dedupe?: boolean | { store?: ReplayStore; ttlSeconds?: number };
}

/** The JSON body of a rejected request. */
export interface WebhookErrorBody {
  error: string;
  message: string;
}

/** What the middleware should do with a request. */
export type WebhookCheck =
  | { kind: 'verified'; webhook: VerifiedWebhook }
  | { kind: 'duplicate'; webhook: VerifiedWebhook }
  | { kind: 'rejected'; status: number; body: WebhookErrorBody };

/** A request-handling plan built once per middleware instance. */
export interface WebhookGuard {
  check(rawBody: string | Uint8Array, headers: WebhookHeaderInput): Promise<WebhookCheck>;
  /** Records a handled webhook so that its redelivery is recognised. */
  delivered(webhook: VerifiedWebhook, responseStatus: number): Promise<void>;
}

/**
 * Longer than a sender's whole retry schedule (Herald's is about 27.5 h, Svix's about 1.5 days),
 * so that a retry of a delivery whose 2xx answer was lost is still recognised.
 */
export const DEFAULT_DEDUPE_TTL_SECONDS = 3 * 24 * 3600;

/** Body of the 200 answer given to a duplicate. */
export const DUPLICATE_BODY = { duplicate: true } as const;

/** Builds the guard; throws `InvalidSecretError` at once when the secret is unusable. */
export function createWebhookGuard(
  secretOrPublicKey: string | readonly string[],
  options: WebhookMiddlewareOptions = {},
): WebhookGuard {
  const verifier: WebhookVerifier = createVerifier(secretOrPublicKey, options);
  const dedupe = resolveDedupe(options.dedupe);

  return {
    async check(rawBody, headers) {
      let webhook: VerifiedWebhook;
      try {
        webhook = verifier(rawBody, headers);
      } catch (err) {
        if (!(err instanceof WebhookVerificationError)) throw err;
        return { kind: 'rejected', status: err.status, body: { error: err.code, message: err.message } };
      }
      if (dedupe && (await dedupe.store.seen(webhook.id))) return { kind: 'duplicate', webhook };
      return { kind: 'verified', webhook };
    },
    async delivered(webhook, responseStatus) {
      if (dedupe && responseStatus >= 200 && responseStatus < 300) {
        await dedupe.store.remember(webhook.id, dedupe.ttlSeconds);
      }
    },
  };
}

function resolveDedupe(
  option: WebhookMiddlewareOptions['dedupe'],
): { store: ReplayStore; ttlSeconds: number } | undefined {
  if (!option) return undefined;
  const config = option === true ? {} : option;
  return {
    store: config.store ?? new MemoryReplayStore(),
    ttlSeconds: config.ttlSeconds ?? DEFAULT_DEDUPE_TTL_SECONDS,
  };
}
