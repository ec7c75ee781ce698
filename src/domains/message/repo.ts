import type { Selectable } from 'kysely';
import type { MessageTable } from '../../store/schema.js';
import { fromJson, iso } from '../common/json.js';

export type MessageRow = Selectable<MessageTable>;

/**
 * The API's view of a message (Svix's MessageOut). Without content the payload is `{}`,
 * as Svix answers, and so is an expunged payload.
 */
export function messageOut(row: MessageRow, withContent = true, deliverAt: number | null = null) {
  return {
    id: row.id,
    eventId: row.event_id,
    eventType: row.event_type,
    payload: withContent && row.payload !== null ? (JSON.parse(row.payload) as Record<string, unknown>) : {},
    channels: fromJson<string[]>(row.channels),
    tags: fromJson<string[]>(row.tags),
    timestamp: iso(row.created_at),
    deliverAt: iso(deliverAt),
  };
}
