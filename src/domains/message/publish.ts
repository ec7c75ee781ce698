import type { HeraldContext } from '../../context.js';
import { newId } from '../../core/ids.js';
import { conflict, invalidField } from '../../errors.js';
import { STATUS, TRIGGER } from '../../store/schema.js';
import type { ApplicationRow } from '../application/repo.js';
import { isUniqueViolation } from '../common/sql-errors.js';
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
}

const DAY_MS = 86_400_000;

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

/**
 * Publishes a message: writes it and one delivery per subscribed endpoint in one
 * transaction (the outbox), so an acknowledged message is never without its deliveries.
 * A disabled endpoint's delivery is written held (not due), for recovery once enabled.
 */
export async function publishMessage(
  ctx: HeraldContext,
  app: ApplicationRow,
  input: PublishInput,
): Promise<{ row: MessageRow; fanOut: number; deliverAt: number | null }> {
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
    const endpoints = await trx
      .selectFrom('endpoint')
      .select(['id', 'disabled', 'event_types', 'channels'])
      .where('app_id', '=', app.id)
      .execute();
    const subscribed = endpoints.filter((e) => isSubscribed(e, input.eventType, channels));
    try {
      await trx.insertInto('message').values(row).execute();
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
