/**
 * The reasons a webhook fails verification. Each has a stable `code` (what a program branches
 * on, and what the middlewares send as `error`) and the HTTP status a receiver should answer.
 * Messages never contain the secret or the signature material.
 */
export type WebhookVerificationErrorCode =
  | 'missing_header'
  | 'timestamp_too_old'
  | 'timestamp_too_new'
  | 'invalid_signature'
  | 'invalid_secret'
  | 'invalid_payload';

/** Base class of every verification failure; `instanceof` it to catch them all. */
export abstract class WebhookVerificationError extends Error {
  abstract readonly code: WebhookVerificationErrorCode;
  /**
   * The status a receiver should answer: 400 when the request is malformed, 401 when it is not
   * authentic (or too old to be trusted), 500 when the receiver itself is misconfigured.
   */
  abstract readonly status: 400 | 401 | 500;
}

/** A `webhook-id`, `webhook-timestamp` or `webhook-signature` header is absent or malformed. */
export class MissingHeaderError extends WebhookVerificationError {
  readonly code = 'missing_header' as const;
  readonly status = 400 as const;
  override readonly name = 'MissingHeaderError';
}

/** The timestamp is further in the past than the tolerance: a possible replay. */
export class TimestampTooOldError extends WebhookVerificationError {
  readonly code = 'timestamp_too_old' as const;
  readonly status = 401 as const;
  override readonly name = 'TimestampTooOldError';
}

/** The timestamp is further in the future than the tolerance (or the clocks disagree). */
export class TimestampTooNewError extends WebhookVerificationError {
  readonly code = 'timestamp_too_new' as const;
  readonly status = 401 as const;
  override readonly name = 'TimestampTooNewError';
}

/** No signature in the header matches any of the configured secrets or public keys. */
export class InvalidSignatureError extends WebhookVerificationError {
  readonly code = 'invalid_signature' as const;
  readonly status = 401 as const;
  override readonly name = 'InvalidSignatureError';
}

/** The secret or public key given to the verifier is not a usable key: a receiver bug. */
export class InvalidSecretError extends WebhookVerificationError {
  readonly code = 'invalid_secret' as const;
  readonly status = 500 as const;
  override readonly name = 'InvalidSecretError';
}

/** The signature is valid but the body is not JSON, or the body was not passed raw. */
export class InvalidPayloadError extends WebhookVerificationError {
  readonly code = 'invalid_payload' as const;
  readonly status = 400 as const;
  override readonly name = 'InvalidPayloadError';
}
