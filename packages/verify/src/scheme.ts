/**
 * Primitives of the Standard Webhooks signature scheme, shared by the sender (`src/signing`) and
 * the receivers' library (`herald/verify`). This file only uses `node:crypto` so that the
 * receivers' library stays dependency-free.
 *
 * Key formats (Standard Webhooks spec, "Secret serialization", and Svix's open-source server,
 * `server/svix-server/src/core/types/mod.rs`):
 * - `whsec_` + base64 of the HMAC-SHA256 key.
 * - `whpk_` + base64 of the raw 32-byte ed25519 public key.
 * - `whsk_` + base64 of the ed25519 secret key. Svix's server writes the 64-byte form
 *   (32-byte seed followed by the 32-byte public key, as libsodium and `ed25519_compact` do);
 *   the Standard Webhooks Go library reads a bare 32-byte seed. Both are accepted here.
 */
import { createHmac, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';

export const HMAC_SECRET_PREFIX = 'whsec_';
export const ED25519_SECRET_PREFIX = 'whsk_';
export const ED25519_PUBLIC_PREFIX = 'whpk_';

const ED25519_SEED_BYTES = 32;
const ED25519_PUBLIC_BYTES = 32;

// DER headers of an ed25519 key (RFC 8410): Node has no API that takes a raw seed or raw public
// key, but it takes PKCS#8 / SPKI, which are these fixed prefixes followed by the raw bytes.
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

const BASE64_PATTERN = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Decodes standard base64 (padding optional) and refuses anything else: other alphabets,
 * whitespace, or non-canonical trailing bits. Node's own decoder silently skips bad characters,
 * which would turn a mistyped secret into a different, valid-looking key.
 */
export function decodeBase64Strict(text: string): Buffer | undefined {
  if (text.length === 0 || !BASE64_PATTERN.test(text)) return undefined;
  const unpadded = text.replace(/=+$/, '');
  if (unpadded.length % 4 === 1) return undefined;
  if (unpadded.length !== text.length && text.length % 4 !== 0) return undefined;
  const bytes = Buffer.from(unpadded, 'base64');
  if (bytes.toString('base64').replace(/=+$/, '') !== unpadded) return undefined;
  return bytes;
}

/** Builds a Node private key object from a 32-byte ed25519 seed. */
export function ed25519PrivateKeyFromSeed(seed: Uint8Array): KeyObject {
  if (seed.length !== ED25519_SEED_BYTES) throw new RangeError('an ed25519 seed is 32 bytes');
  return createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

/** Builds a Node public key object from the raw 32-byte ed25519 public key. */
export function ed25519PublicKeyFromRaw(raw: Uint8Array): KeyObject {
  if (raw.length !== ED25519_PUBLIC_BYTES) throw new RangeError('an ed25519 public key is 32 bytes');
  return createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, raw]), format: 'der', type: 'spki' });
}

/** The raw 32-byte public key of an ed25519 key object (private or public). */
export function ed25519RawPublicKey(key: KeyObject): Buffer {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  const der = publicKey.export({ format: 'der', type: 'spki' });
  return der.subarray(der.length - ED25519_PUBLIC_BYTES);
}

/** The raw 32-byte seed of an ed25519 private key object. */
export function ed25519Seed(privateKey: KeyObject): Buffer {
  const der = privateKey.export({ format: 'der', type: 'pkcs8' });
  return der.subarray(der.length - ED25519_SEED_BYTES);
}

/** The outcome of reading a `whsk_` key's bytes: the key pair or why it is unusable. */
export type Ed25519SecretBytesResult =
  | { ok: true; privateKey: KeyObject; publicKey: Buffer; seed: Buffer }
  | { ok: false; reason: string };

/**
 * Interprets the decoded bytes of a `whsk_` key: a 32-byte seed, or 64 bytes of seed followed by
 * the public key. In the 64-byte form the public half must match the seed, because a receiver
 * given that half as `whpk_` would otherwise reject every signature.
 */
export function readEd25519SecretBytes(bytes: Buffer): Ed25519SecretBytesResult {
  if (bytes.length !== ED25519_SEED_BYTES && bytes.length !== ED25519_SEED_BYTES + ED25519_PUBLIC_BYTES) {
    return {
      ok: false,
      reason: `an ed25519 signing key (whsk_) must be base64 of a 32-byte seed or of 64 bytes (seed then public key); this one decodes to ${bytes.length} bytes`,
    };
  }
  const seed = Buffer.from(bytes.subarray(0, ED25519_SEED_BYTES));
  const privateKey = ed25519PrivateKeyFromSeed(seed);
  const publicKey = ed25519RawPublicKey(privateKey);
  if (bytes.length > ED25519_SEED_BYTES && !publicKey.equals(bytes.subarray(ED25519_SEED_BYTES))) {
    return {
      ok: false,
      reason:
        'the ed25519 signing key (whsk_) is inconsistent: its last 32 bytes are not the public key of its seed',
    };
  }
  return { ok: true, privateKey, publicKey, seed };
}

/**
 * The bytes that are signed: `{id}.{timestamp}.{body}`. The body is used byte for byte, never
 * re-encoded, because re-serialising a payload is the most common cause of failed verification.
 */
export function signedContent(
  msgId: string,
  timestampSeconds: number | string,
  body: string | Uint8Array,
): Buffer {
  const prefix = Buffer.from(`${msgId}.${timestampSeconds}.`, 'utf8');
  const bodyBytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  return Buffer.concat([prefix, bodyBytes]);
}

/** HMAC-SHA256 of the signed content: the raw 32 bytes behind a `v1,` signature. */
export function hmacSignature(key: Uint8Array, content: Uint8Array): Buffer {
  return createHmac('sha256', key).update(content).digest();
}
