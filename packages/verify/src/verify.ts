/**
 * Verification of Standard Webhooks requests, for the receivers of Herald's webhooks (and of any
 * Standard Webhooks or Svix sender). Depends on `node:crypto` only.
 */
import { type KeyObject, timingSafeEqual, verify as verifySignature } from 'node:crypto';
import {
  InvalidPayloadError,
  InvalidSecretError,
  InvalidSignatureError,
  MissingHeaderError,
  TimestampTooNewError,
  TimestampTooOldError,
} from './errors.js';
import {
  decodeBase64Strict,
  ED25519_PUBLIC_PREFIX,
  ED25519_SECRET_PREFIX,
  ed25519PublicKeyFromRaw,
  HMAC_SECRET_PREFIX,
  hmacSignature,
  readEd25519SecretBytes,
  signedContent,
} from './scheme.js';

/** Five minutes, the tolerance the Standard Webhooks spec and Svix's libraries use. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/**
 * Request headers as Node (`IncomingMessage.headers`), Express, Fastify or the Fetch API
 * (`Headers`, used by Hono, Next.js, Deno, Bun) present them. Names are matched case-insensitively.
 */
export type WebhookHeaderInput = Record<string, string | string[] | undefined> | Headers;

/** Options of {@link verify}. */
export interface VerifyOptions {
  /** How far (seconds) `webhook-timestamp` may be from now, either way. Default 300. */
  toleranceSeconds?: number;
  /** The current time, for tests and offline checks: a `Date` or milliseconds since the epoch. */
  now?: Date | number;
}

/** What a successful verification established: the authentic id, timestamp and payload. */
export interface VerifiedWebhook {
  /** `webhook-id`: stable across retries, so it is the key to deduplicate on. */
  id: string;
  /** `webhook-timestamp`, in seconds since the epoch. */
  timestamp: number;
  /** The body parsed as JSON (`undefined` for an empty body). */
  payload: unknown;
}

/** A verifier with its keys parsed once; see {@link createVerifier}. */
export type WebhookVerifier = (
  rawBody: string | Uint8Array,
  headers: WebhookHeaderInput,
  options?: VerifyOptions,
) => VerifiedWebhook;

type VerificationKey = { kind: 'hmac'; key: Buffer } | { kind: 'ed25519'; publicKey: KeyObject };

const HMAC_SIGNATURE_BYTES = 32;
const ED25519_SIGNATURE_BYTES = 64;

/**
 * Verifies a webhook and returns its JSON payload, or throws a {@link WebhookVerificationError}
 * subclass whose `code` says why.
 *
 * `rawBody` must be the body exactly as received (string or bytes): a body parsed and
 * re-serialised no longer matches the signature. Accepts `webhook-*` or `svix-*` headers, any
 * number of space-separated signatures (key rotation), `v1` signatures checked with a `whsec_`
 * secret and `v1a` signatures checked with a `whpk_` public key (or the `whsk_` private key).
 * Several secrets may be given: the request passes when any one of them matches.
 */
export function verify(
  rawBody: string | Uint8Array,
  headers: WebhookHeaderInput,
  secretOrPublicKey: string | readonly string[],
  options?: VerifyOptions,
): unknown {
  return createVerifier(secretOrPublicKey)(rawBody, headers, options).payload;
}

/**
 * Parses the secrets once and returns a function that verifies requests with them, for code that
 * verifies many requests (the middlewares use it). Throws {@link InvalidSecretError} at once when
 * a secret is unusable, so that a misconfigured receiver fails at start-up, not per request.
 */
export function createVerifier(
  secretOrPublicKey: string | readonly string[],
  defaults: VerifyOptions = {},
): WebhookVerifier {
  const texts = typeof secretOrPublicKey === 'string' ? [secretOrPublicKey] : [...secretOrPublicKey];
  if (texts.length === 0) throw new InvalidSecretError('no secret or public key was given to verify with');
  const keys = texts.map((text, index) => parseVerificationKey(text, texts.length > 1 ? index : undefined));

  return (rawBody, headers, options) => {
    const toleranceSeconds =
      options?.toleranceSeconds ?? defaults.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
    const now = options?.now ?? defaults.now ?? Date.now();
    if (!Number.isFinite(toleranceSeconds) || toleranceSeconds < 0) {
      throw new RangeError('toleranceSeconds must be a non-negative number');
    }
    if (typeof rawBody !== 'string' && !(rawBody instanceof Uint8Array)) {
      throw new InvalidPayloadError(
        'verification needs the raw request body (string or Buffer) exactly as received; it got a parsed ' +
          'object, so a JSON body parser ran first: re-serialised JSON does not match the signature',
      );
    }
    const id = requiredHeader(headers, 'id');
    const timestampText = requiredHeader(headers, 'timestamp');
    const signatureText = requiredHeader(headers, 'signature');

    const timestamp = parseTimestamp(timestampText);
    checkTimestamp(timestamp, toleranceSeconds, typeof now === 'number' ? now : now.getTime());

    const content = signedContent(id, timestampText, rawBody);
    const signatures = parseSignatures(signatureText);
    if (!keys.some((key) => matches(key, content, signatures))) {
      throw new InvalidSignatureError(explainMismatch(keys, signatures));
    }
    return { id, timestamp, payload: parsePayload(rawBody) };
  };
}

function parseVerificationKey(text: string, index: number | undefined): VerificationKey {
  const which = index === undefined ? 'the secret' : `secret number ${index + 1}`;
  if (typeof text !== 'string' || text.length === 0) throw new InvalidSecretError(`${which} is empty`);
  if (text.startsWith(ED25519_PUBLIC_PREFIX)) {
    const raw = decodeBase64Strict(text.slice(ED25519_PUBLIC_PREFIX.length));
    if (raw?.length !== 32) {
      throw new InvalidSecretError(
        `${which} starts with whpk_ but is not base64 of a 32-byte ed25519 public key`,
      );
    }
    return { kind: 'ed25519', publicKey: ed25519PublicKeyFromRaw(raw) };
  }
  if (text.startsWith(ED25519_SECRET_PREFIX)) {
    const bytes = decodeBase64Strict(text.slice(ED25519_SECRET_PREFIX.length));
    if (!bytes) throw new InvalidSecretError(`${which} starts with whsk_ but the rest is not base64`);
    const pair = readEd25519SecretBytes(bytes);
    if (!pair.ok) throw new InvalidSecretError(`${which}: ${pair.reason}`);
    return { kind: 'ed25519', publicKey: ed25519PublicKeyFromRaw(pair.publicKey) };
  }
  // Bare base64 is accepted as an HMAC key, as Svix's and Standard Webhooks' libraries do.
  const body = text.startsWith(HMAC_SECRET_PREFIX) ? text.slice(HMAC_SECRET_PREFIX.length) : text;
  const key = decodeBase64Strict(body);
  if (!key) {
    throw new InvalidSecretError(
      `${which} is not a whsec_ secret (whsec_ followed by base64), a whpk_ public key or a whsk_ private key`,
    );
  }
  return { kind: 'hmac', key };
}

function requiredHeader(headers: WebhookHeaderInput, field: 'id' | 'timestamp' | 'signature'): string {
  const value = readHeader(headers, `webhook-${field}`) ?? readHeader(headers, `svix-${field}`);
  if (value === undefined || value.trim() === '') {
    throw new MissingHeaderError(`the webhook-${field} header is missing (svix-${field} is accepted too)`);
  }
  return value.trim();
}

function readHeader(headers: WebhookHeaderInput, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function' && typeof (headers as Headers).has === 'function') {
    return (headers as Headers).get(name) ?? undefined;
  }
  for (const [key, value] of Object.entries(headers as Record<string, string | string[] | undefined>)) {
    if (key.toLowerCase() !== name || value === undefined) continue;
    // Repeated header lines: signatures may be spread over them; for the id and timestamp the
    // first one wins, and a differing copy fails the signature anyway.
    return Array.isArray(value) ? (name.endsWith('signature') ? value.join(' ') : value[0]) : value;
  }
  return undefined;
}

function parseTimestamp(text: string): number {
  if (!/^\d{1,15}$/.test(text)) {
    throw new MissingHeaderError(
      'the webhook-timestamp header is not a whole number of seconds since the Unix epoch',
    );
  }
  return Number(text);
}

function checkTimestamp(timestamp: number, toleranceSeconds: number, nowMs: number): void {
  const nowSeconds = Math.floor(nowMs / 1000);
  if (nowSeconds - timestamp > toleranceSeconds) {
    throw new TimestampTooOldError(
      `the webhook-timestamp is ${nowSeconds - timestamp} s in the past, more than the ${toleranceSeconds} s ` +
        'tolerance: a replayed request, or a clock out of sync',
    );
  }
  if (timestamp - nowSeconds > toleranceSeconds) {
    throw new TimestampTooNewError(
      `the webhook-timestamp is ${timestamp - nowSeconds} s in the future, more than the ${toleranceSeconds} s ` +
        'tolerance: the sender and receiver clocks disagree',
    );
  }
}

interface SignatureEntry {
  version: string;
  bytes: Buffer;
}

function parseSignatures(header: string): SignatureEntry[] {
  const entries: SignatureEntry[] = [];
  // Split on any whitespace and drop trailing commas: Node joins repeated header lines with ", ".
  for (const token of header.split(/\s+/)) {
    const entry = token.replace(/,+$/, '');
    const comma = entry.indexOf(',');
    if (comma <= 0) continue;
    const bytes = decodeBase64Strict(entry.slice(comma + 1));
    if (bytes) entries.push({ version: entry.slice(0, comma), bytes });
  }
  return entries;
}

function matches(key: VerificationKey, content: Buffer, signatures: SignatureEntry[]): boolean {
  if (key.kind === 'hmac') {
    const expected = hmacSignature(key.key, content);
    return signatures.some(
      (s) =>
        s.version === 'v1' && s.bytes.length === HMAC_SIGNATURE_BYTES && timingSafeEqual(s.bytes, expected),
    );
  }
  return signatures.some(
    (s) =>
      s.version === 'v1a' &&
      s.bytes.length === ED25519_SIGNATURE_BYTES &&
      verifySignature(null, content, key.publicKey, s.bytes),
  );
}

function explainMismatch(keys: VerificationKey[], signatures: SignatureEntry[]): string {
  const base = 'no signature in the webhook-signature header matches';
  if (signatures.length === 0) return `${base}: the header holds no well-formed "version,base64" signature`;
  const versions = new Set(signatures.map((s) => s.version));
  if (!keys.some((k) => k.kind === 'hmac') && !versions.has('v1a')) {
    return `${base} the public key: the header has no v1a (ed25519) signature; a v1 signature needs the whsec_ secret`;
  }
  if (!keys.some((k) => k.kind === 'ed25519') && !versions.has('v1')) {
    return `${base} the secret: the header has no v1 (HMAC) signature; a v1a signature needs the whpk_ public key`;
  }
  return `${base} the configured secret: wrong secret, or the body, id or timestamp changed on the way`;
}

function parsePayload(rawBody: string | Uint8Array): unknown {
  const text =
    typeof rawBody === 'string'
      ? rawBody
      : Buffer.from(rawBody.buffer, rawBody.byteOffset, rawBody.byteLength).toString('utf8');
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new InvalidPayloadError('the signature is valid but the body is not valid JSON');
  }
}
