import type { ColumnType } from 'kysely';

/**
 * The tables, as Kysely sees them. Both backends store the same columns: times are epoch
 * milliseconds (integers), booleans are 0/1, JSON is text. One shape means one query layer.
 */

export interface ApplicationTable {
  id: string;
  uid: string | null;
  name: string;
  throttle_rate: number | null;
  metadata: string;
  created_at: number;
  updated_at: number;
}

export interface EndpointTable {
  id: string;
  app_id: string;
  uid: string | null;
  url: string;
  description: string;
  event_types: string | null;
  channels: string | null;
  headers: string;
  metadata: string;
  throttle_rate: number | null;
  disabled: number;
  disabled_reason: string | null;
  disabled_at: number | null;
  /** JSON array of {key: encrypted secret, expiresAt: ms | null}; the first signs as "current". */
  secrets: string;
  first_failure_at: number | null;
  consecutive_failures: number;
  last_success_at: number | null;
  last_failure_at: number | null;
  /** What the workers last saw: 0 normal, 1 slowed, 2 circuit open (see DELIVERY_STATE). */
  delivery_state: ColumnType<number, number | undefined, number>;
  delivery_state_at: ColumnType<number | null, number | null | undefined, number | null>;
  created_at: number;
  updated_at: number;
  /** Svix's deprecated endpoint version, kept as given (default 1). */
  version: ColumnType<number, number | undefined, number>;
  /** The payload filter as JSON text (see domains/message/filter-language.ts); null = every message. */
  filter: ColumnType<string | null, string | null | undefined, string | null>;
  /** 'fifo' delivers each ordering key's messages one at a time in publish order; 'none' (0009). */
  ordering: ColumnType<EndpointOrdering, EndpointOrdering | undefined, EndpointOrdering>;
  /** What a FIFO key does when its head exhausts its retries: 'block' (stay) or 'skip' (0009). */
  fifo_on_exhausted: ColumnType<FifoOnExhausted, FifoOnExhausted | undefined, FifoOnExhausted>;
  /** Consecutive messages of one key sent in one request (1 = no batching) (0009). */
  fifo_batch_size: ColumnType<number, number | undefined, number>;
}

export type EndpointOrdering = 'fifo' | 'none';
export type FifoOnExhausted = 'block' | 'skip';

export interface EventTypeTable {
  name: string;
  description: string;
  schemas: string | null;
  feature_flags: string | null;
  group_name: string | null;
  deprecated: number;
  archived: number;
  schema_mode: string | null;
  created_at: number;
  updated_at: number;
}

export interface MessageTable {
  id: string;
  app_id: string;
  event_type: string;
  event_id: string | null;
  payload: string | null;
  channels: string | null;
  tags: string | null;
  created_at: number;
  payload_expires_at: number;
  trace_parent: string | null;
  /**
   * The publishing API request's id (0004). Written at publish and read only by the
   * worker's hand-written claim SQL, so it is left out of Kysely's selected rows.
   */
  request_id: ColumnType<never, string | null | undefined, never>;
  /** The publisher's ordering key (0009); null = the endpoint's default key. */
  ordering_key: ColumnType<string | null, string | null | undefined, string | null>;
  /**
   * Publish order (0009): a sequence on PostgreSQL, a counter on SQLite; null before 0009. Read
   * only by the SQL that copies it into deliveries, so left out of Kysely's selected rows.
   */
  seq: ColumnType<never, number | undefined, never>;
}

export interface DeliveryTable {
  id: string;
  msg_id: string;
  endpoint_id: string;
  app_id: string;
  status: number;
  attempt_count: number;
  /** When the delivery may next be claimed; NULL once nothing is owed or while held. Partial-indexed. */
  due_at: number | null;
  lease_owner: string | null;
  trigger_type: number;
  next_attempt_at: number | null;
  created_at: number;
  updated_at: number;
  /**
   * The key of its line while it is in one (0009): set only for a FIFO endpoint's delivery that is
   * owed, in flight or blocked ('' is the default key); NULL otherwise. Partial-indexed.
   */
  ordering_key: ColumnType<string | null, string | null | undefined, string | null>;
  /**
   * Its place in its line: its message's publish order (`message.seq`), or, for a delivery in flight
   * when an older one joined its line, a place ahead of the rest (src/store/lines.ts).
   */
  seq: ColumnType<number, number | undefined, number>;
}

export interface AttemptTable {
  id: string;
  msg_id: string;
  endpoint_id: string;
  app_id: string;
  url: string;
  status: number;
  response_status_code: number;
  response: string | null;
  response_headers: string | null;
  request_headers: string | null;
  duration_ms: number;
  error_class: string | null;
  error_message: string | null;
  trigger_type: number;
  created_at: number;
  /** JSON array of the message ids one batched request carried (FIFO batching, 0009); else null. */
  batch_msg_ids: string | null;
}

export interface TokenTable {
  id: string;
  kind: string;
  token_hash: string;
  app_id: string | null;
  expires_at: number | null;
  created_at: number;
}

export interface IdempotencyTable {
  key: string;
  state: string;
  status_code: number | null;
  body: string | null;
  created_at: number;
  expires_at: number;
}

export interface BackgroundTaskTable {
  id: string;
  task: string;
  status: string;
  app_id: string | null;
  endpoint_id: string | null;
  params: string;
  data: string;
  created_at: number;
  updated_at: number;
  /** The runner process holding the task, until `lease_until` (0003). */
  lease_owner: string | null;
  lease_until: number | null;
  /** The last message id the task has handled, so a resumed task continues after it (0003). */
  cursor: string | null;
}

export interface SettingTable {
  key: string;
  value: string;
}

export interface RateLimitTable {
  key: string;
  tokens: number;
  updated_at: number;
}

/** A running worker's heartbeat (0005); the lease owner name is the key. */
export interface WorkerTable {
  owner: string;
  started_at: number;
  heartbeat_at: number;
}

export interface Database {
  application: ApplicationTable;
  endpoint: EndpointTable;
  event_type: EventTypeTable;
  message: MessageTable;
  delivery: DeliveryTable;
  attempt: AttemptTable;
  token: TokenTable;
  idempotency: IdempotencyTable;
  background_task: BackgroundTaskTable;
  setting: SettingTable;
  rate_limit: RateLimitTable;
  worker: WorkerTable;
  /** Counters for SQLite, which has no sequences (0009): `message` is the publish order. */
  sequence: SequenceTable;
}

export interface SequenceTable {
  name: string;
  value: number;
}

/** Svix's MessageStatus numbers, used for deliveries and attempts. */
export const STATUS = { success: 0, pending: 1, fail: 2, sending: 3, canceled: 4 } as const;
export const STATUS_TEXT = ['success', 'pending', 'fail', 'sending', 'canceled'] as const;
export const TRIGGER = { scheduled: 0, manual: 1 } as const;
/** An endpoint's delivery state as the workers see it (`endpoint.delivery_state`). */
export const DELIVERY_STATE = { normal: 0, slowed: 1, open: 2 } as const;
export const DELIVERY_STATE_TEXT = ['normal', 'slowed', 'circuit_open'] as const;
