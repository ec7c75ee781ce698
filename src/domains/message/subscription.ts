/**
 * An endpoint's filters and whether a message passes them: the outbox fans a message out with
 * these, and the replay tasks and the pull feed pick the messages an endpoint should have had.
 */
import {
  type CompiledFilter,
  type CompiledFilters,
  compileStoredFilter,
  type FilterInput,
} from './filter-evaluation.js';
import { shownPayload } from './repo.js';

/** An endpoint's filters, parsed: null lets every event type (channel, payload) through. */
export interface Subscription {
  eventTypes: string[] | null;
  channels: string[] | null;
  /** The payload filter, compiled. */
  filter: CompiledFilter | null;
}

/** The stored filters of an endpoint row. */
export interface StoredSubscription {
  id: string;
  event_types: string | null;
  channels: string | null;
  filter: string | null;
}

/**
 * Parses an endpoint row's stored filters, once per endpoint rather than once per message;
 * its payload filter comes from `filters` when given (compiled once per endpoint version).
 */
export function subscriptionOf(endpoint: StoredSubscription, filters?: CompiledFilters): Subscription {
  return {
    eventTypes: endpoint.event_types ? (JSON.parse(endpoint.event_types) as string[]) : null,
    channels: endpoint.channels ? (JSON.parse(endpoint.channels) as string[]) : null,
    filter: filters ? filters.get(endpoint.id, endpoint.filter) : compileStoredFilter(endpoint.filter),
  };
}

/**
 * What filters read of a stored message (a raw payload is read as the JSON object it sends, if it
 * is one). The payload is parsed when a payload filter first reads it: most endpoints have none,
 * and a replay or the feed passes hundreds of rows through their event types and channels.
 */
export function storedMessage(row: {
  payload: string | null;
  event_type: string;
  channels: string | null;
}): FilterInput {
  let payload: unknown;
  let parsed = false;
  return {
    get payload() {
      if (!parsed) {
        payload = shownPayload(row.payload, true);
        parsed = true;
      }
      return payload;
    },
    eventType: row.event_type,
    channels: row.channels ? (JSON.parse(row.channels) as string[]) : null,
  };
}

/** True when an endpoint with these filters gets the message. */
export function isSubscribed(subscription: Subscription, message: FilterInput): boolean {
  if (!matchesEventType(subscription.eventTypes, message.eventType)) return false;
  if (subscription.channels !== null) {
    const wanted = subscription.channels;
    if (!message.channels?.some((c) => wanted.includes(c))) return false;
  }
  return subscription.filter === null || subscription.filter(message);
}

/**
 * Whether an endpoint with this filter receives `eventType`. `null` means every event type;
 * `invoice.*` matches any name that starts with `invoice.` and has more after it
 * (`invoice.paid`, `invoice.payment.failed`), never `invoice` or `invoicex.paid`. An empty list
 * matches nothing (the API should refuse it, as Svix does with `minItems: 1`).
 */
export function matchesEventType(filter: string[] | null, eventType: string): boolean {
  if (filter === null) return true;
  for (const entry of filter) {
    if (entry === eventType) return true;
    if (entry.endsWith('.*')) {
      const prefix = entry.slice(0, -1); // keeps the dot
      if (eventType.length > prefix.length && eventType.startsWith(prefix)) return true;
    }
  }
  return false;
}
