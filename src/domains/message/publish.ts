import type { HeraldContext } from '../../context.js';
import { newId } from '../../core/ids.js';
import { invalidField } from '../../errors.js';
import type { ApplicationRow } from '../application/repo.js';
import { checkPublish } from '../event-type/publish-check.js';
import type { MessageRow } from './repo.js';

export interface PublishInput {
  eventType: string;
  payload: Record<string, unknown>;
  eventId?: string | null;
  channels?: string[] | null;
  tags?: string[] | null;
  deliverAt?: string | null;
  payloadRetentionPeriod?: number | null;
  payloadRetentionHours?: number | null;
  traceParent?: string | null;
  /** The publishing request's id (`x-request-id`), logged with every attempt. */
  requestId?: string | null;
}

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

/** What publishing wrote: the message, how many deliveries it got, and when they are due (null = now). */
export interface Published {
  row: MessageRow;
  fanOut: number;
  deliverAt: number | null;
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
  if (nestsDeeperThan(input.payload, MAX_PAYLOAD_DEPTH)) {
    throw invalidField(['body', 'payload'], `payload: nests deeper than ${MAX_PAYLOAD_DEPTH} levels`);
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
  const row: MessageRow = {
    id: newId('msg', now),
    app_id: app.id,
    event_type: input.eventType,
    event_id: input.eventId ?? null,
    payload: JSON.stringify(input.payload),
    channels: input.channels ? JSON.stringify(input.channels) : null,
    tags: input.tags ? JSON.stringify(input.tags) : null,
    created_at: now,
    payload_expires_at: now + retentionMs,
    trace_parent: input.traceParent ?? null,
  };
  const fanOut = await ctx.outbox.write({
    row: { ...row, request_id: input.requestId ?? null },
    onlyEndpointId,
    channels: input.channels ?? null,
    deliverAt,
  });
  ctx.metrics.messagesPublished.inc({ event_type: input.eventType });
  ctx.metrics.fanOut.observe(fanOut);
  return { row, fanOut, deliverAt };
}
