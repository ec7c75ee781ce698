/**
 * `herald/verify`: verify the webhooks Herald sends (Standard Webhooks `v1` HMAC and `v1a`
 * ed25519, with `webhook-*` or `svix-*` headers). No dependencies beyond `node:crypto`.
 * Framework middlewares live in separate entry files (`./express.js`, `./fastify.js`,
 * `./hono.js`) so that this core never loads a web framework.
 */
export {
  InvalidPayloadError,
  InvalidSecretError,
  InvalidSignatureError,
  MissingHeaderError,
  TimestampTooNewError,
  TimestampTooOldError,
  WebhookVerificationError,
  type WebhookVerificationErrorCode,
} from './errors.js';
export { MemoryReplayStore, type ReplayStore } from './replay.js';
export {
  createVerifier,
  DEFAULT_TOLERANCE_SECONDS,
  type VerifiedWebhook,
  type VerifyOptions,
  verify,
  type WebhookHeaderInput,
  type WebhookVerifier,
} from './verify.js';
