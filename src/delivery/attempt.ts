import type { Config } from '../config/index.js';
import { newId } from '../core/ids.js';
import { readHeaders } from '../signing/endpoint-headers.js';
import { signingSecrets } from '../signing/endpoint-secrets.js';
import type { MainKeyring } from '../signing/main-key.js';
import type { ParsedSecret } from '../signing/secrets.js';
import { parseSigningSecrets, signatureHeader, webhookHeaders } from '../signing/sign.js';
import type { ClaimedDelivery, DeliveryOutcome } from '../store/queue.js';
import { STATUS } from '../store/schema.js';
import type { DeliveryRequest, DeliveryResult } from './http-client.js';
import { nextAttemptDelay } from './retry.js';

/** The header naming the messages a FIFO batch carries, in order (Herald's). */
export const BATCH_IDS_HEADER = 'herald-batch-message-ids';

/** Headers an endpoint's custom headers may not set: the signature and transport headers are Herald's. */
export const RESERVED_HEADERS: ReadonlySet<string> = new Set([
  'webhook-id',
  'webhook-timestamp',
  'webhook-signature',
  'svix-id',
  'svix-timestamp',
  'svix-signature',
  'content-type',
  'content-length',
  'host',
  'connection',
  'transfer-encoding',
  'user-agent',
  'traceparent',
  BATCH_IDS_HEADER,
]);

/**
 * Builds signed requests. Decrypting and parsing an endpoint's secrets and custom headers costs
 * far more than signing, so both are cached per endpoint version (its `updated_at`).
 */
export class RequestBuilder {
  readonly #cache = new Map<
    string,
    { version: number; validUntil: number; secrets: ParsedSecret[]; headers: Record<string, string> }
  >();

  constructor(
    private readonly keyring: MainKeyring,
    private readonly config: Pick<Config, 'svixHeaders'>,
    private readonly userAgent: string,
  ) {}

  /**
   * The signed request for one delivery, or for a FIFO batch: consecutive messages of one key whose
   * payloads go out as one JSON array, signed once, under a `webhook-id` of the batch (stable while
   * the batch holds the same messages, so a receiver dedupes a retried batch) with the message ids
   * in `herald-batch-message-ids`.
   */
  build(batch: ClaimedDelivery[], now: number): DeliveryRequest {
    const delivery = batch[0]!;
    const endpoint = this.#endpoint(delivery, now);
    const batched = isBatched(delivery);
    const body = batched
      ? `[${batch.map((d) => batchItem(d.payload)).join(',')}]`
      : (delivery.payload ?? '{}');
    const id = batched ? batchWebhookId(batch) : delivery.msgId;
    const timestamp = Math.floor(now / 1000);
    const signature = signatureHeader(id, timestamp, body, endpoint.secrets);
    const headers: Record<string, string> = {
      ...endpoint.headers,
      'content-type': 'application/json',
      'user-agent': this.userAgent,
      ...webhookHeaders(id, timestamp, signature, { svixCompat: this.config.svixHeaders }),
    };
    if (batched) headers[BATCH_IDS_HEADER] = batch.map((d) => d.msgId).join(',');
    if (delivery.traceParent) headers.traceparent = delivery.traceParent;
    return { url: delivery.url, headers, body };
  }

  #endpoint(delivery: ClaimedDelivery, now: number) {
    const cached = this.#cache.get(delivery.endpointId);
    if (cached && cached.version === delivery.endpointUpdatedAt && cached.validUntil > now) return cached;
    const stored = JSON.parse(delivery.endpointSecrets) as { expiresAt: number | null }[];
    // The cache entry lapses when the next rotated-out secret expires.
    const validUntil = Math.min(
      ...stored.map((s) =>
        s.expiresAt !== null && s.expiresAt > now ? s.expiresAt : Number.POSITIVE_INFINITY,
      ),
    );
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(readHeaders(this.keyring, delivery.endpointHeaders))) {
      if (!RESERVED_HEADERS.has(name.toLowerCase())) headers[name] = value;
    }
    const entry = {
      version: delivery.endpointUpdatedAt,
      validUntil,
      secrets: parseSigningSecrets(signingSecrets(this.keyring, delivery.endpointSecrets, now)),
      headers,
    };
    if (this.#cache.size > 10_000) this.#cache.clear();
    this.#cache.set(delivery.endpointId, entry);
    return entry;
  }
}

/**
 * Whether a delivery goes out in a FIFO batch: a key of an endpoint with `fifoBatchSize` above 1.
 * Such a key's requests always carry an array, even when only one message was ready, so its
 * receiver parses one shape.
 */
function isBatched(delivery: ClaimedDelivery): boolean {
  return delivery.orderingKey !== null && delivery.fifoBatchSize > 1;
}

/** A batch's `webhook-id`: its first and last message ids. */
export function batchWebhookId(batch: ClaimedDelivery[]): string {
  return `${batch[0]!.msgId}..${batch.at(-1)!.msgId}`;
}

/** A payload as an element of a batch's array: JSON as stored, a raw text payload as a JSON string. */
function batchItem(payload: string | null): string {
  if (payload === null) return '{}';
  return /^\s*[{[]/.test(payload) ? payload : JSON.stringify(payload);
}

/** What one try means for the delivery and its endpoint. */
export interface Judgement {
  outcome: DeliveryOutcome;
  success: boolean;
  exhausted: boolean;
  /** 410 Gone: the receiver asked to be removed. */
  gone: boolean;
}

/**
 * Turns one HTTP result into the delivery's next state and the attempt record. Only the
 * response side is recorded: the request headers kept exclude the signatures.
 */
export function judge(
  delivery: ClaimedDelivery,
  owner: string,
  request: DeliveryRequest,
  result: DeliveryResult,
  schedule: readonly number[],
  now: number,
  /** The deliveries the request carried, when it was a FIFO batch: recorded with the attempt. */
  batch: ClaimedDelivery[] = [delivery],
): Judgement {
  const attemptCount = delivery.attemptCount + 1;
  const success = result.errorClass === null;
  const gone = result.statusCode === 410;
  const delay = success || gone ? null : nextAttemptDelay(schedule, attemptCount, result.retryAfterMs);
  const exhausted = !success && delay === null;
  const dueAt = delay === null ? null : now + delay;
  // A FIFO key's head leaves its line when delivered, or when exhausted on a key that skips;
  // exhausted on a key that blocks, it stays (failed) at the head until recovered or resent.
  const leavesLine =
    delivery.orderingKey !== null && (success || (exhausted && delivery.fifoOnExhausted === 'skip'));
  return {
    success,
    exhausted,
    gone,
    outcome: {
      deliveryId: delivery.id,
      owner,
      status: success ? STATUS.success : exhausted ? STATUS.fail : STATUS.pending,
      attemptCount,
      dueAt,
      nextAttemptAt: dueAt,
      leavesLine,
      attempt: {
        id: newId('atmpt', now),
        msg_id: delivery.msgId,
        endpoint_id: delivery.endpointId,
        app_id: delivery.appId,
        url: delivery.url,
        status: success ? STATUS.success : STATUS.fail,
        response_status_code: result.statusCode,
        response: storable(result.responseBody),
        response_headers: JSON.stringify(result.responseHeaders),
        request_headers: JSON.stringify(recordedHeaders(request.headers)),
        duration_ms: Math.round(result.durationMs),
        error_class: result.errorClass,
        error_message: result.errorMessage === null ? null : storable(result.errorMessage),
        trigger_type: delivery.triggerType,
        created_at: now - Math.round(result.durationMs),
        batch_msg_ids: isBatched(delivery) ? JSON.stringify(batch.map((d) => d.msgId)) : null,
      },
    },
  };
}

/**
 * A receiver may answer with NUL characters, which PostgreSQL text cannot hold: one such
 * response would fail its whole batch of attempt rows and, retried, have its batch-mates
 * delivered again. They are stored as U+FFFD, on both backends alike.
 */
function storable(text: string): string {
  return text.includes('\0') ? text.replaceAll('\0', '\uFFFD') : text;
}

/** Header names whose values are credentials: signatures, and custom headers that carry auth. */
const SENSITIVE_HEADER = /signature|auth|token|secret|key|cookie|password|session/i;

/** The request headers worth showing in the attempt log, with every credential redacted. */
function recordedHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers))
    out[name] = SENSITIVE_HEADER.test(name) ? '[redacted]' : value;
  return out;
}

/** Gives a claimed delivery back without trying it (shutdown, a held endpoint, a full window). */
export function release(delivery: ClaimedDelivery, owner: string, dueAt: number | null): DeliveryOutcome {
  return {
    deliveryId: delivery.id,
    owner,
    status: STATUS.pending,
    attemptCount: delivery.attemptCount,
    dueAt,
    nextAttemptAt: dueAt,
    attempt: null,
  };
}
