/**
 * Herald's operational webhooks: events about the delivery system itself (an endpoint was
 * disabled, a message keeps failing) sent to the platform so it can warn its customers.
 *
 * Payloads match Svix's field for field, so receivers written for Svix keep working:
 * `{ "type": "<event>", "data": { … } }` with camelCase fields, absent optional ids as `null`.
 * Sources: svix-webhooks `server/svix-server/src/core/operational_webhooks.rs` (the open-source
 * server: serde `tag = "type", content = "data"`, `rename_all = "camelCase"`) and the generated
 * models of the official SDK, svix@1.99 `src/models/endpointDisabledEventData.ts`,
 * `messageAttemptFailedData.ts`, `messageAttemptRecoveredEvent.ts` (which add `trigger` and
 * `message.attempt.recovered`). Neither puts a timestamp in the body: the send time travels in
 * the `webhook-timestamp` header, and each attempt's time is `lastAttempt.timestamp`.
 */

/** The names of the operational event types. */
export type OperationalEventType =
  | 'endpoint.created'
  | 'endpoint.updated'
  | 'endpoint.deleted'
  | 'endpoint.disabled'
  | 'message.attempt.failing'
  | 'message.attempt.exhausted'
  | 'message.attempt.recovered'
  | 'endpoint.ordering_key.blocked'
  | 'endpoint.ordering_key.skipped';

/** Every operational event type, in catalog order. */
export const OPERATIONAL_EVENT_TYPES: readonly OperationalEventType[] = [
  'endpoint.created',
  'endpoint.updated',
  'endpoint.deleted',
  'endpoint.disabled',
  'message.attempt.failing',
  'message.attempt.exhausted',
  'message.attempt.recovered',
  'endpoint.ordering_key.blocked',
  'endpoint.ordering_key.skipped',
];

/** `data` of `endpoint.created`, `endpoint.updated` and `endpoint.deleted`. */
export interface EndpointEventData {
  appId: string;
  appUid: string | null;
  endpointId: string;
  endpointUid: string | null;
}

/** Why an endpoint was disabled: by the failure policy, or by an API call. */
export type EndpointDisabledTrigger = 'automatic' | 'manual';

/** `data` of `endpoint.disabled`. */
export interface EndpointDisabledEventData extends EndpointEventData {
  /** Start of the unbroken run of failures (RFC 3339); null when disabled by hand. */
  failSince: string | null;
  trigger: EndpointDisabledTrigger;
}

/** The attempt that triggered a `message.attempt.*` event. */
export interface LastAttempt {
  /** The attempt's id (`atmpt_…`). */
  id: string;
  /** When the attempt was made (RFC 3339). */
  timestamp: string;
  /** The receiver's HTTP status; 0 when there was no response (timeout, connection error). */
  responseStatusCode: number;
}

/** `data` of `message.attempt.failing`, `message.attempt.exhausted` and `message.attempt.recovered`. */
export interface MessageAttemptEventData {
  appId: string;
  appUid: string | null;
  msgId: string;
  /** The platform's own id for the message (`eventId` when it was created), if any. */
  msgEventId: string | null;
  endpointId: string;
  lastAttempt: LastAttempt;
}

/**
 * `data` of Herald's `endpoint.ordering_key.blocked` and `.skipped`: a FIFO key's head exhausted its
 * retries; the key now waits (blocked) or went on without it (skipped). `orderingKey` is null for
 * the endpoint's default key.
 */
export interface OrderingKeyEventData extends MessageAttemptEventData {
  orderingKey: string | null;
}

/** An operational event payload, as sent in the request body. */
export interface OperationalEvent<T extends OperationalEventType, D> {
  type: T;
  data: D;
}

/** What the builders take to name an endpoint; optional uids default to null. */
export interface EndpointRef {
  appId: string;
  appUid?: string | null;
  endpointId: string;
  endpointUid?: string | null;
}

/** What the `message.attempt.*` builders take. Dates may be given as `Date`. */
export interface AttemptRef {
  appId: string;
  appUid?: string | null;
  msgId: string;
  msgEventId?: string | null;
  endpointId: string;
  lastAttempt: { id: string; timestamp: Date | string; responseStatusCode: number };
}

function rfc3339(value: Date | string): string {
  return typeof value === 'string' ? value : value.toISOString();
}

function endpointData(ref: EndpointRef): EndpointEventData {
  return {
    appId: ref.appId,
    appUid: ref.appUid ?? null,
    endpointId: ref.endpointId,
    endpointUid: ref.endpointUid ?? null,
  };
}

function attemptData(ref: AttemptRef): MessageAttemptEventData {
  return {
    appId: ref.appId,
    appUid: ref.appUid ?? null,
    msgId: ref.msgId,
    msgEventId: ref.msgEventId ?? null,
    endpointId: ref.endpointId,
    lastAttempt: {
      id: ref.lastAttempt.id,
      timestamp: rfc3339(ref.lastAttempt.timestamp),
      responseStatusCode: ref.lastAttempt.responseStatusCode,
    },
  };
}

function orderingKeyData(ref: AttemptRef & { orderingKey: string }): OrderingKeyEventData {
  return { ...attemptData(ref), orderingKey: ref.orderingKey === '' ? null : ref.orderingKey };
}

/**
 * Builders for each operational event, so the delivery engine emits exactly Svix's payloads:
 * `operationalEvent.endpointDisabled({ appId, endpointId, failSince, trigger: 'automatic' })`
 * → `{ type: 'endpoint.disabled', data: { appId, appUid: null, endpointId, endpointUid: null, failSince, trigger } }`.
 */
export const operationalEvent = {
  /** An endpoint was created. */
  endpointCreated(ref: EndpointRef): OperationalEvent<'endpoint.created', EndpointEventData> {
    return { type: 'endpoint.created', data: endpointData(ref) };
  },
  /** An endpoint's settings were changed. */
  endpointUpdated(ref: EndpointRef): OperationalEvent<'endpoint.updated', EndpointEventData> {
    return { type: 'endpoint.updated', data: endpointData(ref) };
  },
  /** An endpoint was deleted. */
  endpointDeleted(ref: EndpointRef): OperationalEvent<'endpoint.deleted', EndpointEventData> {
    return { type: 'endpoint.deleted', data: endpointData(ref) };
  },
  /** An endpoint was disabled, automatically after failing for too long or by an API call. */
  endpointDisabled(
    ref: EndpointRef & { failSince: Date | string | null; trigger: EndpointDisabledTrigger },
  ): OperationalEvent<'endpoint.disabled', EndpointDisabledEventData> {
    return {
      type: 'endpoint.disabled',
      data: {
        ...endpointData(ref),
        failSince: ref.failSince === null ? null : rfc3339(ref.failSince),
        trigger: ref.trigger,
      },
    };
  },
  /** A message has failed several attempts in a row to one endpoint (Svix: on the fourth failure). */
  messageAttemptFailing(
    ref: AttemptRef,
  ): OperationalEvent<'message.attempt.failing', MessageAttemptEventData> {
    return { type: 'message.attempt.failing', data: attemptData(ref) };
  },
  /** Every scheduled attempt of a message to one endpoint failed; no more will be made. */
  messageAttemptExhausted(
    ref: AttemptRef,
  ): OperationalEvent<'message.attempt.exhausted', MessageAttemptEventData> {
    return { type: 'message.attempt.exhausted', data: attemptData(ref) };
  },
  /**
   * Herald: the head of a FIFO endpoint's ordering key exhausted its retries and the key is blocked
   * behind it until it is recovered or resent (`fifoOnExhausted: "block"`).
   */
  orderingKeyBlocked(
    ref: AttemptRef & { orderingKey: string },
  ): OperationalEvent<'endpoint.ordering_key.blocked', OrderingKeyEventData> {
    return { type: 'endpoint.ordering_key.blocked', data: orderingKeyData(ref) };
  },
  /** Herald: the same, and the key went on without it (`fifoOnExhausted: "skip"`). */
  orderingKeySkipped(
    ref: AttemptRef & { orderingKey: string },
  ): OperationalEvent<'endpoint.ordering_key.skipped', OrderingKeyEventData> {
    return { type: 'endpoint.ordering_key.skipped', data: orderingKeyData(ref) };
  },
  /** A message that had been reported failing was delivered after all. */
  messageAttemptRecovered(
    ref: AttemptRef,
  ): OperationalEvent<'message.attempt.recovered', MessageAttemptEventData> {
    return { type: 'message.attempt.recovered', data: attemptData(ref) };
  },
} as const;
