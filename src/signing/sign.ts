/**
 * Signing of outgoing webhooks (Standard Webhooks): the `webhook-signature` value and the set of
 * headers a delivery carries.
 */
import { sign as ed25519Sign } from 'node:crypto';
import { hmacSignature, signedContent } from '@herald/verify/scheme';
import { type ParsedSecret, parseOrThrow } from './secrets.js';

/** Options of {@link webhookHeaders}. */
export interface WebhookHeaderOptions {
  /** Also send `svix-id`, `svix-timestamp`, `svix-signature` for receivers on Svix's libraries. */
  svixCompat: boolean;
}

/**
 * Parses stored secrets once, for a caller that signs many messages with them (the worker
 * caches the result per endpoint). Throws a `TypeError` that does not quote the secret.
 */
export function parseSigningSecrets(secrets: readonly string[]): ParsedSecret[] {
  return secrets.map(parseOrThrow);
}

/**
 * The `webhook-signature` header value: one space-separated signature per secret, `v1,<base64
 * HMAC-SHA256>` for `whsec_` secrets and `v1a,<base64 ed25519>` for `whsk_` keys, each over
 * `{msgId}.{timestampSeconds}.{body}`. Several secrets sign during a rotation so that a receiver
 * holding either the old or the new one accepts the request.
 *
 * Pass `ParsedSecret`s (from {@link parseSigningSecrets}) on hot paths; strings are parsed on
 * every call. `body` must be the exact bytes that will be sent.
 */
export function signatureHeader(
  msgId: string,
  timestampSeconds: number,
  body: string | Uint8Array,
  secrets: readonly string[] | readonly ParsedSecret[],
): string {
  if (!Number.isSafeInteger(timestampSeconds) || timestampSeconds < 0) {
    // A fractional or negative value would be signed as written and then fail every receiver,
    // which parse the header as whole seconds.
    throw new RangeError('timestampSeconds must be a non-negative whole number of seconds');
  }
  if (secrets.length === 0) throw new RangeError('at least one secret is needed to sign');
  const content = signedContent(msgId, timestampSeconds, body);
  const signatures: string[] = [];
  for (const secret of secrets) {
    const parsed = typeof secret === 'string' ? parseOrThrow(secret) : secret;
    signatures.push(
      parsed.type === 'hmac'
        ? `v1,${hmacSignature(parsed.key, content).toString('base64')}`
        : `v1a,${ed25519Sign(null, content, parsed.privateKey).toString('base64')}`,
    );
  }
  return signatures.join(' ');
}

/**
 * The signature headers of one delivery: `webhook-id`, `webhook-timestamp`,
 * `webhook-signature`, plus their `svix-*` copies when `svixCompat` is set.
 */
export function webhookHeaders(
  msgId: string,
  timestampSeconds: number,
  signature: string,
  options: WebhookHeaderOptions,
): Record<string, string> {
  const timestamp = String(timestampSeconds);
  const headers: Record<string, string> = {
    'webhook-id': msgId,
    'webhook-timestamp': timestamp,
    'webhook-signature': signature,
  };
  if (options.svixCompat) {
    headers['svix-id'] = msgId;
    headers['svix-timestamp'] = timestamp;
    headers['svix-signature'] = signature;
  }
  return headers;
}
