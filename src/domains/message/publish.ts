import type { HeraldContext } from '../../context.js';
import { newId } from '../../core/ids.js';
import { HttpError, invalidField } from '../../errors.js';
import type { ApplicationRow } from '../application/repo.js';
import { iso } from '../common/json.js';
import { checkPublish } from '../event-type/publish-check.js';
import { firstInexactNumber } from './exact-payload.js';
import type { OutboxEntry } from './outbox.js';
import { type MessageRow, shownPayload } from './repo.js';

export interface PublishInput {
  eventType: string;
  payload: Record<string, unknown>;
  eventId?: string | null;
  channels?: string[] | null;
  tags?: string[] | null;
  deliverAt?: string | null;
  payloadRetentionPeriod?: number | null;
  payloadRetentionHours?: number | null;
  /** `rawPayload`: the exact text to send instead of `payload` serialized (as in Svix). */
  transformationsParams?: Record<string, unknown> | null;
  traceParent?: string | null;
  /** Herald: the ordering key for FIFO endpoints (absent: the endpoint's default key). */
  orderingKey?: string | null;
  /** The publishing request's id (`x-request-id`), logged with every attempt. */
  requestId?: string | null;
  /**
   * Largest payload accepted, as JSON bytes (413 above): `HERALD_MAX_PAYLOAD_BYTES`. It matters
   * for a batch, whose body may be larger; a single publish's body is bounded by the HTTP layer.
   */
  maxPayloadBytes?: number;
}

/** The content type of an answer sent as JSON text (Fastify's own for JSON, sent as is). */
export const JSON_TYPE = 'application/json; charset=utf-8';
const DAY_MS = 86_400_000;
/** Deepest payload nesting accepted: far beyond real events, well within what JSON.stringify survives. */
const MAX_PAYLOAD_DEPTH = 128;

/** True when `value` nests objects/arrays deeper than `limit` (checked without recursion). */
function nestsDeeperThan(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (item === null || typeof item !== 'object') continue;
    if (depth > limit) return true;
    for (const child of Object.values(item)) stack.push([child, depth + 1]);
  }
  return false;
}

/** The `transformationsParams.rawPayload` text of a message, if it has one. */
function rawPayloadOf(input: PublishInput): string | null {
  const raw = input.transformationsParams?.rawPayload;
  if (raw === undefined || raw === null) return null;
  if (typeof raw !== 'string')
    throw invalidField(['body', 'transformationsParams', 'rawPayload'], 'rawPayload: must be a string');
  return raw;
}

/** What publishing wrote: the message, how many deliveries it got, and when they are due (null = now). */
export interface Published {
  row: MessageRow;
  fanOut: number;
  deliverAt: number | null;
  /** The stored payload is a `rawPayload`, shown as the API shows it rather than spliced in. */
  raw: boolean;
}

/**
 * The API's view of a message just published (MessageOut), as JSON text: byte for byte what
 * the MessageOut serializer writes for `messageOut(row)`, built from text already at hand. The
 * stored payload (and channels, tags) are spliced in rather than parsed back and serialized
 * again, and the serializer (fast-json-stringify) is skipped: it runs ajv on every nullable
 * field to pick its `anyOf` branch. Together they were about a tenth of the API's CPU per 1 KB
 * publish in a profile under load.
 */
export function publishedJson(published: Published, withContent = true): string {
  const { row, deliverAt } = published;
  const payload = !withContent
    ? '{}'
    : published.raw
      ? JSON.stringify(shownPayload(row.payload, true))
      : (row.payload ?? '{}');
  // fast-json-stringify's order: the required properties, then the optional ones.
  return (
    `{"id":${JSON.stringify(row.id)},"eventType":${JSON.stringify(row.event_type)},"payload":${payload},` +
    `"timestamp":${JSON.stringify(iso(row.created_at))},"eventId":${JSON.stringify(row.event_id)},` +
    `"channels":${row.channels ?? 'null'},"tags":${row.tags ?? 'null'},"deliverAt":${JSON.stringify(iso(deliverAt))}` +
    (row.ordering_key === null ? '}' : `,"orderingKey":${JSON.stringify(row.ordering_key)}}`)
  );
}

/**
 * Publishes a message: writes it and one delivery per subscribed endpoint in one
 * transaction (the outbox, with concurrent publishes grouped into one commit), so an
 * acknowledged message is never without its deliveries. A disabled endpoint's delivery
 * is written held (not due), for recovery once enabled. The event catalog is checked
 * first (`checkPublish`): a refused message writes nothing.
 */
export function publishMessage(
  ctx: HeraldContext,
  app: ApplicationRow,
  input: PublishInput,
): Promise<Published> {
  return writeMessage(ctx, app, input, null);
}

/**
 * Publishes a message to one endpoint of the application only, whatever its event type and
 * channel filters say (send-example, tests from the portal). Same checks and outbox as
 * `publishMessage`; an unknown endpoint id yields a message with no delivery.
 */
export function publishToEndpoint(
  ctx: HeraldContext,
  app: ApplicationRow,
  endpointId: string,
  input: PublishInput,
): Promise<Published> {
  return writeMessage(ctx, app, input, endpointId);
}

async function writeMessage(
  ctx: HeraldContext,
  app: ApplicationRow,
  input: PublishInput,
  onlyEndpointId: string | null,
): Promise<Published> {
  const prepared = await prepareMessage(ctx, app, input, onlyEndpointId);
  const fanOut = await ctx.outbox.write(prepared.entry);
  return published(ctx, prepared, fanOut);
}

/**
 * Publishes several messages of one application, stored in one transaction: each is checked
 * and stored exactly as `publishMessage` would, and gets its own outcome, in order — what it
 * published, or the error single publish would have answered (a 422 for its payload, a 409
 * for a taken eventId, also by an earlier message of the same batch). One refused message
 * does not keep the others out.
 */
export async function publishBatch(
  ctx: HeraldContext,
  app: ApplicationRow,
  inputs: PublishInput[],
): Promise<Array<Published | Error>> {
  const outcomes: Array<Published | Error> = [];
  const prepared: PreparedMessage[] = [];
  const slots: number[] = [];
  for (const input of inputs) {
    try {
      prepared.push(await prepareMessage(ctx, app, input, null));
      slots.push(outcomes.length);
      outcomes.push(new Error('not written'));
    } catch (err) {
      outcomes.push(err as Error);
    }
  }
  const written = await ctx.outbox.writeAll(prepared.map((p) => p.entry));
  written.forEach((outcome, i) => {
    outcomes[slots[i]!] = outcome instanceof Error ? outcome : published(ctx, prepared[i]!, outcome);
  });
  return outcomes;
}

/** A message checked and ready for the outbox. */
interface PreparedMessage {
  entry: OutboxEntry;
  row: MessageRow;
  deliverAt: number | null;
  /** Sent as `transformationsParams.rawPayload`: its stored text need not be JSON. */
  raw: boolean;
}

/** Checks a message (catalog, payload, times) and builds its row; throws the 4xx that refuses it. */
async function prepareMessage(
  ctx: HeraldContext,
  app: ApplicationRow,
  input: PublishInput,
  onlyEndpointId: string | null,
): Promise<PreparedMessage> {
  if (nestsDeeperThan(input.payload, MAX_PAYLOAD_DEPTH)) {
    throw invalidField(['body', 'payload'], `payload: nests deeper than ${MAX_PAYLOAD_DEPTH} levels`);
  }
  const inexact = firstInexactNumber(input.payload);
  if (inexact) {
    throw invalidField(
      ['body', 'payload', ...inexact.map(String)],
      `payload.${inexact.join('.')}: is a number too large to store exactly (it would be stored as null)`,
    );
  }
  await checkPublish(ctx, input.eventType, input.payload);
  const now = ctx.now();
  let deliverAt: number | null = null;
  if (input.deliverAt) {
    deliverAt = Date.parse(input.deliverAt);
    if (deliverAt > now + DAY_MS)
      throw invalidField(['body', 'deliverAt'], 'deliverAt: must be at most 24 hours in the future');
    if (deliverAt <= now) deliverAt = null;
  }
  if (input.payloadRetentionPeriod != null && input.payloadRetentionHours != null) {
    throw invalidField(
      ['body', 'payloadRetentionHours'],
      'payloadRetentionHours: cannot be combined with payloadRetentionPeriod',
    );
  }
  const retentionMs =
    input.payloadRetentionHours != null
      ? input.payloadRetentionHours * 3_600_000
      : (input.payloadRetentionPeriod ?? ctx.config.retentionDays) * DAY_MS;
  const raw = rawPayloadOf(input);
  const payload = raw ?? JSON.stringify(input.payload);
  if (input.maxPayloadBytes !== undefined && Buffer.byteLength(payload) > input.maxPayloadBytes) {
    throw new HttpError(
      'payload_too_large',
      `The payload is ${Buffer.byteLength(payload)} bytes as JSON, over the limit of ${input.maxPayloadBytes}.`,
    );
  }
  const row: MessageRow = {
    id: newId('msg', now),
    app_id: app.id,
    event_type: input.eventType,
    event_id: input.eventId ?? null,
    payload,
    channels: input.channels ? JSON.stringify(input.channels) : null,
    tags: input.tags ? JSON.stringify(input.tags) : null,
    created_at: now,
    payload_expires_at: now + retentionMs,
    trace_parent: input.traceParent ?? null,
    ordering_key: input.orderingKey ?? null,
  };
  const entry: OutboxEntry = {
    row: { ...row, request_id: input.requestId ?? null },
    onlyEndpointId,
    channels: input.channels ?? null,
    // Filters read what is sent: a raw payload as the JSON object it is, if it is one.
    payload: raw !== null ? shownPayload(raw, true) : input.payload,
    deliverAt,
  };
  return { entry, row, deliverAt, raw: raw !== null };
}

function published(ctx: HeraldContext, prepared: PreparedMessage, fanOut: number): Published {
  ctx.metrics.messagesPublished.inc({ event_type: prepared.row.event_type });
  ctx.metrics.fanOut.observe(fanOut);
  return { row: prepared.row, fanOut, deliverAt: prepared.deliverAt, raw: prepared.raw };
}
