/**
 * Endpoint signing secrets: generation, validation and the form shown to receivers.
 *
 * Formats follow the Standard Webhooks spec and Svix's open-source server
 * (`server/svix-server/src/core/types/mod.rs`), so secrets move between Herald and Svix tooling:
 * - HMAC: `whsec_` + base64 of 24 to 64 random bytes (24 generated, as Svix does).
 * - ed25519: `whsk_` + base64 of the 64-byte secret key (32-byte seed then 32-byte public key,
 *   what Svix's server writes); a bare 32-byte seed (what the Standard Webhooks Go library reads)
 *   is accepted too. Receivers get `whpk_` + base64 of the 32-byte public key.
 */
import { generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto';
import {
  decodeBase64Strict,
  ED25519_PUBLIC_PREFIX,
  ED25519_SECRET_PREFIX,
  ed25519RawPublicKey,
  ed25519Seed,
  HMAC_SECRET_PREFIX,
  readEd25519SecretBytes,
} from '@herald/verify/scheme';

/** Bytes of a generated HMAC secret: Svix's size, 192 bits, the spec's minimum. */
const HMAC_SECRET_DEFAULT_BYTES = 24;
/** Smallest HMAC key accepted (Standard Webhooks: at least 24 bytes). */
const HMAC_SECRET_MIN_BYTES = 24;
/** Largest HMAC key accepted (Standard Webhooks: at most 512 bits). */
const HMAC_SECRET_MAX_BYTES = 64;

/** The kinds of endpoint secret: symmetric (`v1` signatures) or asymmetric (`v1a`). */
export type EndpointSecretType = 'hmac' | 'ed25519';

/**
 * A validated secret, ready to sign with. Parse once and reuse it: building the ed25519 key object
 * costs far more than a signature.
 */
export type ParsedSecret =
  | { type: 'hmac'; key: Buffer; normalized: string }
  | { type: 'ed25519'; privateKey: KeyObject; publicKey: string; normalized: string };

/** The result of {@link parseEndpointSecret}: the secret, or a reason to show the user. */
export type ParseSecretResult = { ok: true; secret: ParsedSecret } | { ok: false; reason: string };

/** Generates a new endpoint secret of the given type, in its canonical string form. */
export function generateEndpointSecret(type: EndpointSecretType): string {
  if (type === 'hmac') return HMAC_SECRET_PREFIX + randomBytes(HMAC_SECRET_DEFAULT_BYTES).toString('base64');
  if (type === 'ed25519') {
    const { privateKey } = generateKeyPairSync('ed25519');
    const bytes = Buffer.concat([ed25519Seed(privateKey), ed25519RawPublicKey(privateKey)]);
    return ED25519_SECRET_PREFIX + bytes.toString('base64');
  }
  throw new TypeError(`unknown endpoint secret type: ${String(type)}`);
}

/**
 * Validates a secret supplied by a user (API or import) and normalises it: `whsec_` + base64,
 * or `whsk_` + base64 of the 64-byte key. A bare base64 string is taken as an HMAC key, as Svix's
 * API does. A `whpk_` public key is refused: it can check signatures but not make them.
 *
 * Reasons are user-facing (they become 422 messages) and never quote the secret.
 */
export function parseEndpointSecret(secret: string): ParseSecretResult {
  if (typeof secret !== 'string' || secret.length === 0) return refuse('the secret is empty');
  if (secret.startsWith(ED25519_PUBLIC_PREFIX)) {
    return refuse(
      'a whpk_ value is an ed25519 public key: receivers verify with it, but it cannot sign; ' +
        'give the whsk_ private key, or omit the secret to have one generated',
    );
  }
  if (secret.startsWith(ED25519_SECRET_PREFIX))
    return parseEd25519(secret.slice(ED25519_SECRET_PREFIX.length));

  const encoded = secret.startsWith(HMAC_SECRET_PREFIX) ? secret.slice(HMAC_SECRET_PREFIX.length) : secret;
  const key = decodeBase64Strict(encoded);
  if (!key) {
    return refuse(
      'the secret must be whsec_ followed by standard base64 (A-Z, a-z, 0-9, +, /, optional = padding), ' +
        'or a whsk_ ed25519 private key',
    );
  }
  if (key.length < HMAC_SECRET_MIN_BYTES || key.length > HMAC_SECRET_MAX_BYTES) {
    return refuse(
      `the secret must encode ${HMAC_SECRET_MIN_BYTES} to ${HMAC_SECRET_MAX_BYTES} bytes; it encodes ${key.length}`,
    );
  }
  return { ok: true, secret: { type: 'hmac', key, normalized: HMAC_SECRET_PREFIX + key.toString('base64') } };
}

/**
 * What the API shows a receiver for a secret: the `whsec_` secret itself for HMAC (both sides
 * share it), the `whpk_` public key for ed25519 (the private key never leaves Herald).
 * Throws a `TypeError` (without the secret) if the secret is invalid.
 */
export function publicSecretForm(secret: string | ParsedSecret): string {
  const parsed = typeof secret === 'string' ? parseOrThrow(secret) : secret;
  return parsed.type === 'hmac' ? parsed.normalized : parsed.publicKey;
}

/** Parses a secret known to be valid (read back from storage); throws without quoting it. */
export function parseOrThrow(secret: string): ParsedSecret {
  const result = parseEndpointSecret(secret);
  if (!result.ok) throw new TypeError(`invalid endpoint secret: ${result.reason}`);
  return result.secret;
}

function parseEd25519(encoded: string): ParseSecretResult {
  const bytes = decodeBase64Strict(encoded);
  if (!bytes) return refuse('the ed25519 private key must be whsk_ followed by standard base64');
  const pair = readEd25519SecretBytes(bytes);
  if (!pair.ok) return refuse(pair.reason);
  return {
    ok: true,
    secret: {
      type: 'ed25519',
      privateKey: pair.privateKey,
      publicKey: ED25519_PUBLIC_PREFIX + pair.publicKey.toString('base64'),
      normalized: ED25519_SECRET_PREFIX + Buffer.concat([pair.seed, pair.publicKey]).toString('base64'),
    },
  };
}

function refuse(reason: string): ParseSecretResult {
  return { ok: false, reason };
}
