/**
 * An endpoint's filters and whether a message passes them: the outbox fans a message out with
 * these, and the replay tasks pick the messages an endpoint should have had.
 */

/** An endpoint's filters, parsed: null lets every event type (or channel) through. */
export interface Subscription {
  eventTypes: string[] | null;
  channels: string[] | null;
}

/** Parses an endpoint row's stored filters, once per endpoint rather than once per message. */
export function subscriptionOf(endpoint: {
  event_types: string | null;
  channels: string | null;
}): Subscription {
  return {
    eventTypes: endpoint.event_types ? (JSON.parse(endpoint.event_types) as string[]) : null,
    channels: endpoint.channels ? (JSON.parse(endpoint.channels) as string[]) : null,
  };
}

/** True when an endpoint with these filters gets a message of `eventType` on `channels`. */
export function isSubscribed(
  subscription: Subscription,
  eventType: string,
  channels: string[] | null,
): boolean {
  if (!matchesEventType(subscription.eventTypes, eventType)) return false;
  if (subscription.channels === null) return true;
  if (!channels) return false;
  const wanted = subscription.channels;
  return channels.some((c) => wanted.includes(c));
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
