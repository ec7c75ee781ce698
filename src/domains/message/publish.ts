import type { HeraldContext } from '../../context.js';
import { newId } from '../../core/ids.js';
import { conflict, invalidField } from '../../errors.js';
import { STATUS, TRIGGER } from '../../store/schema.js';
import type { ApplicationRow } from '../application/repo.js';
import { isUniqueViolation } from '../common/sql-errors.js';
import { checkPublish } from '../event-type/publish-check.js';
import { matchesEventType } from '../event-type/schema-validation.js';
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

/** True when an endpoint with these filters gets a message of `eventType` on `channels`. */
export function isSubscribed(
  endpoint: { event_types: string | null; channels: string | null },
  eventType: string,
  channels: string[] | null,
): boolean {
  if (
    !matchesEventType(endpoint.event_types ? (JSON.parse(endpoint.event_types) as string[]) : null, eventType)
  )
    return false;
  if (endpoint.channels === null) return true;
  if (!channels) return false;
  const wanted = JSON.parse(endpoint.channels) as string[];
  return channels.some((c) => wanted.includes(c));
}

/** What publishing wrote: the message, how many deliveries it got, and when they are due (null = now). */
export interface Published {
  row: MessageRow;
  fanOut: number;
  deliverAt: number | null;
}

/**
 * Publishes a message: writes it and one delivery per subscribed endpoint in one
 * transaction (the outbox), so an acknowledged message is never without its deliveries.
 * A disabled endpoint's delivery is written held (not due), for recovery once enabled.
 * The event catalog is checked first (`checkPublish`): a refused message writes nothing.
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
  const channels = input.channels ?? null;

  const fanOut = await ctx.store.db.transaction().execute(async (trx) => {
    let query = trx
      .selectFrom('endpoint')
      .select(['id', 'disabled', 'event_types', 'channels'])
      .where('app_id', '=', app.id);
    if (onlyEndpointId !== null) query = query.where('id', '=', onlyEndpointId);
    const endpoints = await query.execute();
    const subscribed =
      onlyEndpointId !== null
        ? endpoints
        : endpoints.filter((e) => isSubscribed(e, input.eventType, channels));
    try {
      await trx
        .insertInto('message')
        .values({ ...row, request_id: input.requestId ?? null })
        .execute();
    } catch (err) {
      if (isUniqueViolation(err))
        throw conflict('A message with this eventId already exists for this application.');
      throw err;
    }
    if (subscribed.length > 0) {
      const due = deliverAt ?? now;
      await trx
        .insertInto('delivery')
        .values(
          subscribed.map((e) => ({
            id: newId('dlv', now),
            msg_id: row.id,
            endpoint_id: e.id,
            app_id: app.id,
            status: STATUS.pending,
            attempt_count: 0,
            due_at: e.disabled ? null : due,
            lease_owner: null,
            trigger_type: TRIGGER.scheduled,
            next_attempt_at: e.disabled ? null : due,
            created_at: now,
            updated_at: now,
          })),
        )
        .execute();
    }
    return subscribed.length;
  });
  if (fanOut > 0 && deliverAt === null) ctx.store.notifyDue();
  ctx.metrics.messagesPublished.inc({ event_type: input.eventType });
  ctx.metrics.fanOut.observe(fanOut);
  return { row, fanOut, deliverAt };
}
