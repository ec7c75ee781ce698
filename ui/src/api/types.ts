/**
 * The shapes of Herald's public API (Svix API v1 names), as the UI reads them. Fields that are
 * Herald additions are optional, so the UI keeps working against a server without them.
 */

/** Svix's list envelope, shared by every list route. */
export interface ListResponse<T> {
  data: T[];
  iterator: string | null;
  prevIterator?: string | null;
  done: boolean;
}

export interface ApplicationOut {
  id: string;
  uid: string | null;
  name: string;
  throttleRate?: number | null;
  metadata: Record<string, string>;
  createdAt: string;
  updatedAt: string;
}

export interface EndpointOut {
  id: string;
  uid: string | null;
  url: string;
  description: string;
  disabled: boolean;
  /** Herald: why the endpoint was disabled (by an operator, or automatically). */
  disabledReason?: string | null;
  eventTypes?: string[] | null;
  filterTypes?: string[] | null;
  channels: string[] | null;
  throttleRate?: number | null;
  rateLimit?: number | null;
  metadata: Record<string, string>;
  version: number;
  createdAt: string;
  updatedAt: string;
  /** Herald: the payload filter (null: every message). */
  filter?: Record<string, unknown> | null;
  /** Herald, on create and update: filter paths no schema of the endpoint's event types declares. */
  filterWarnings?: { loc: string[]; msg: string }[];
  /** Herald: ordered delivery per ordering key. */
  ordering?: 'none' | 'fifo';
  fifoOnExhausted?: 'block' | 'skip';
  fifoBatchSize?: number;
}

/** Herald: how many of the application's last messages a filter matches, and which. */
export interface EndpointFilterTestOut {
  matched: number;
  examined: number;
  messageIds: string[];
}

export interface EndpointHeadersOut {
  headers: Record<string, string>;
  sensitive: string[];
}

/** Attempt figures over one window (Herald's addition to the stats). */
export interface WindowStats {
  attempts: number;
  successRatio: number | null;
  latencyMs: { p50: number | null; p95: number | null; p99: number | null };
}

/** Svix's EndpointStats counts, plus Herald's health figures when the server has them. */
export interface EndpointStats {
  success: number;
  pending: number;
  sending: number;
  fail: number;
  canceled: number;
  consecutiveFailures?: number | null;
  failingSince?: string | null;
  lastSuccessAt?: string | null;
  lastFailureAt?: string | null;
  /** Herald: how the workers deliver to it now. */
  deliveryState?: 'normal' | 'slowed' | 'circuit_open';
  lastHour?: WindowStats;
  lastDay?: WindowStats;
  /** Herald: a FIFO endpoint's ordering keys. */
  ordering?: {
    waitingKeys: number;
    blockedKeys: number;
    oldestBlocked: { msgId: string; orderingKey: string | null; blockedSince: string | null } | null;
  };
}

export interface MessageOut {
  id: string;
  eventId?: string | null;
  eventType: string;
  payload: Record<string, unknown>;
  channels?: string[] | null;
  tags?: string[] | null;
  timestamp: string;
  deliverAt?: string | null;
  /** Herald: the most urgent state among the message's deliveries (null: no endpoint subscribed). */
  deliveryStatus?: DeliveryState | null;
  /** Herald: how many of its deliveries (one per endpoint) are in each state. */
  deliveries?: Record<DeliveryState, number>;
}

/** Herald's summary of a message's deliveries across endpoints, most urgent first. */
export type DeliveryState = 'exhausted' | 'failing' | 'pending' | 'succeeded';

/** Svix's MessageStatus numbers. */
export type MessageStatus = 0 | 1 | 2 | 3 | 4;
export type MessageStatusText = 'success' | 'pending' | 'fail' | 'sending' | 'canceled';

export interface MessageAttemptOut {
  id: string;
  msgId: string;
  endpointId: string;
  url: string;
  response: string;
  responseStatusCode: number;
  responseDurationMs: number;
  status: MessageStatus;
  statusText?: MessageStatusText;
  /** 0 scheduled, 1 manual. */
  triggerType: 0 | 1;
  timestamp: string;
  msg?: MessageOut | null;
  /** Herald: the request headers sent (signatures and credentials left out). */
  requestHeaders?: Record<string, string> | null;
  /** Herald: the response headers received. */
  responseHeaders?: Record<string, string> | null;
  /** Herald: dns, connect, tls, timeout, http_4xx, http_5xx, http_3xx, blocked_by_policy… */
  errorClass?: string | null;
  errorMessage?: string | null;
}

/** One endpoint a message was sent to, with the delivery's state (Svix's MessageEndpointOut). */
export interface MessageEndpointOut {
  id: string;
  url: string;
  description: string;
  status: MessageStatus;
  statusText?: MessageStatusText;
  nextAttempt?: string | null;
  disabled?: boolean;
}

/** One message sent to an endpoint, with that delivery's state (Svix's EndpointMessageOut). */
export interface EndpointMessageOut extends MessageOut {
  status: MessageStatus;
  statusText?: MessageStatusText;
  nextAttempt?: string | null;
}

export interface EventTypeOut {
  name: string;
  description: string;
  archived?: boolean;
  deprecated: boolean;
  schemas?: Record<string, Record<string, unknown>> | null;
  groupName?: string | null;
  featureFlag?: string | null;
  createdAt: string;
  updatedAt: string;
}

export type BackgroundTaskStatus = 'running' | 'finished' | 'failed';

export interface BackgroundTaskOut {
  id: string;
  status: BackgroundTaskStatus;
  task: string;
  updatedAt: string;
  data?: Record<string, unknown>;
}

export interface AppPortalAccessOut {
  url: string;
  token: string;
}

/**
 * Herald's operator overview (`GET /api/v1/stats/overview`): attempts per time bucket, the
 * queue, and endpoints disabled recently. A Herald addition; the dashboard says so when the
 * server does not have it.
 */
export interface OverviewOut {
  window: 'hour' | 'day';
  bucketSeconds: number;
  buckets: Array<{ start: string; succeeded: number; failed: number }>;
  queue: {
    due: number;
    scheduled: number;
    inFlight: number;
    held?: number;
    oldestDueAt: string | null;
  };
  disabledEndpoints: Array<{
    appId: string;
    endpointId: string;
    url: string;
    disabledAt: string | null;
    reason: string | null;
  }>;
}

/** Herald: one endpoint's attempts over time (`GET …/endpoint/{id}/stats/attempts`). */
export interface EndpointAttemptStatsOut {
  window: 'hour' | 'day';
  bucketSeconds: number;
  buckets: Array<{ start: string; succeeded: number; failed: number }>;
}
