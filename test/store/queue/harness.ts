import { newId } from '../../../src/core/ids.js';
import { openStore } from '../../../src/store/open.js';
import type { ClaimedDelivery, DeliveryOutcome, EndpointHealth } from '../../../src/store/queue.js';
import { type AttemptTable, type EndpointTable, STATUS, TRIGGER } from '../../../src/store/schema.js';
import type { Store } from '../../../src/store/store.js';
import { type Backend, createTestDatabase } from '../../support/backends.js';

/**
 * The queue contract suite's set-up: a migrated store of one backend with nothing else of
 * Herald around it, and rows written straight into its tables, so each rule of `QueueStore`
 * is asserted by calling the port itself. Every file under test/store/queue/ runs its cases
 * once per backend with `for (const backend of BACKENDS)`.
 */
export interface QueueFixture {
  store: Store;
  /** The database's URL, for a second store instance on the same data (several processes). */
  url: string;
  /** An application; returns its id. */
  app(): Promise<string>;
  /** An endpoint of `appId`; returns its id. */
  endpoint(
    appId: string,
    fields?: {
      disabled?: boolean;
      throttleRate?: number | null;
      consecutiveFailures?: number;
      firstFailureAt?: number | null;
      uid?: string;
      headers?: Record<string, string>;
      ordering?: 'fifo' | 'none';
      fifoBatchSize?: number;
    },
  ): Promise<string>;
  /**
   * A message and its delivery to `endpointId`, due at `dueAt` (default: now); returns the delivery
   * id. With `orderingKey` it is in that key's line, published after every earlier one.
   */
  delivery(
    appId: string,
    endpointId: string,
    fields?: { dueAt?: number | null; leaseOwner?: string; orderingKey?: string; status?: number },
  ): Promise<string>;
  /** The delivery row as stored. */
  row(deliveryId: string): Promise<{
    status: number;
    due_at: number | null;
    lease_owner: string | null;
    attempt_count: number;
    next_attempt_at: number | null;
    msg_id: string;
    ordering_key: string | null;
  }>;
  /** The endpoint's health columns as stored. */
  endpointHealth(
    endpointId: string,
  ): Promise<
    Pick<EndpointTable, 'consecutive_failures' | 'first_failure_at' | 'last_success_at' | 'last_failure_at'>
  >;
  /** The attempts recorded for `endpointId`, oldest first. */
  attempts(endpointId: string): Promise<AttemptTable[]>;
  /** Another store on the same database, as a second process would open it; closed with the fixture. */
  openAnotherStore(): Promise<Store>;
  close(): Promise<void>;
}

export async function openQueueFixture(backend: Backend): Promise<QueueFixture> {
  const database = await createTestDatabase(backend);
  const store = await openStore({ databaseUrl: database.url });
  await store.migrate();
  const { db } = store;
  const others: Store[] = [];
  let published = 0;
  return {
    store,
    url: database.url,
    async app() {
      const id = newId('app');
      const now = Date.now();
      await db
        .insertInto('application')
        .values({
          id,
          uid: null,
          name: id,
          throttle_rate: null,
          metadata: '{}',
          created_at: now,
          updated_at: now,
        })
        .execute();
      return id;
    },
    async endpoint(appId, fields = {}) {
      const id = newId('ep');
      const now = Date.now();
      await db
        .insertInto('endpoint')
        .values({
          id,
          app_id: appId,
          uid: fields.uid ?? null,
          url: `http://127.0.0.1:9/${id}`,
          description: '',
          event_types: null,
          channels: null,
          headers: JSON.stringify(fields.headers ?? {}),
          metadata: '{}',
          throttle_rate: fields.throttleRate ?? null,
          disabled: fields.disabled ? 1 : 0,
          disabled_reason: null,
          disabled_at: null,
          secrets: '[]',
          first_failure_at: fields.firstFailureAt ?? null,
          consecutive_failures: fields.consecutiveFailures ?? 0,
          last_success_at: null,
          last_failure_at: null,
          created_at: now,
          updated_at: now,
          ordering: fields.ordering ?? 'none',
          fifo_batch_size: fields.fifoBatchSize ?? 1,
        })
        .execute();
      return id;
    },
    async delivery(appId, endpointId, fields = {}) {
      const seq = ++published;
      const now = Date.now();
      const msgId = newId('msg');
      await db
        .insertInto('message')
        .values({
          id: msgId,
          app_id: appId,
          event_type: 'test.event',
          event_id: null,
          payload: '{"n":1}',
          channels: null,
          tags: null,
          created_at: now,
          payload_expires_at: now + 86_400_000,
          trace_parent: null,
          ordering_key: fields.orderingKey ?? null,
          seq,
        })
        .execute();
      const id = newId('dlv');
      await db
        .insertInto('delivery')
        .values({
          id,
          msg_id: msgId,
          endpoint_id: endpointId,
          app_id: appId,
          status: fields.status ?? (fields.leaseOwner ? STATUS.sending : STATUS.pending),
          attempt_count: 0,
          due_at: fields.dueAt === undefined ? now : fields.dueAt,
          lease_owner: fields.leaseOwner ?? null,
          trigger_type: TRIGGER.scheduled,
          next_attempt_at: null,
          created_at: now,
          updated_at: now,
          ordering_key: fields.orderingKey ?? null,
          seq,
        })
        .execute();
      return id;
    },
    async row(deliveryId) {
      return db
        .selectFrom('delivery')
        .select([
          'status',
          'due_at',
          'lease_owner',
          'attempt_count',
          'next_attempt_at',
          'msg_id',
          'ordering_key',
        ])
        .where('id', '=', deliveryId)
        .executeTakeFirstOrThrow();
    },
    async endpointHealth(endpointId) {
      return db
        .selectFrom('endpoint')
        .select(['consecutive_failures', 'first_failure_at', 'last_success_at', 'last_failure_at'])
        .where('id', '=', endpointId)
        .executeTakeFirstOrThrow();
    },
    async attempts(endpointId) {
      return db
        .selectFrom('attempt')
        .selectAll()
        .where('endpoint_id', '=', endpointId)
        .orderBy('created_at')
        .orderBy('id')
        .execute();
    },
    async openAnotherStore() {
      const other = await openStore({ databaseUrl: database.url });
      others.push(other);
      return other;
    },
    async close() {
      for (const other of others.splice(0)) await other.close();
      await store.close();
      await database.drop();
    },
  };
}

/** What `owner` writes back for `deliveryId`: by default a success with no attempt recorded. */
export function outcome(
  deliveryId: string,
  owner: string,
  fields: Partial<DeliveryOutcome> = {},
): DeliveryOutcome {
  return {
    deliveryId,
    owner,
    status: STATUS.success,
    attemptCount: 1,
    dueAt: null,
    nextAttemptAt: null,
    attempt: null,
    ...fields,
  };
}

/** One batch's health change for `endpointId`: by default a lone success now. */
export function healthOf(endpointId: string, fields: Partial<EndpointHealth> = {}): EndpointHealth {
  return {
    endpointId,
    lastSuccessAt: Date.now(),
    lastFailureAt: null,
    trailingFailures: 0,
    firstTrailingFailureAt: null,
    ...fields,
  };
}

/** The attempt a worker records for one try of `claimed`, as the dispatcher builds it. */
export function attemptOf(claimed: ClaimedDelivery, fields: Partial<AttemptTable> = {}): AttemptTable {
  return {
    id: newId('atmpt'),
    msg_id: claimed.msgId,
    endpoint_id: claimed.endpointId,
    app_id: claimed.appId,
    url: claimed.url,
    status: STATUS.success,
    response_status_code: 200,
    response: 'ok',
    response_headers: '{"content-type":"text/plain"}',
    request_headers: '{"webhook-id":"' + claimed.msgId + '"}',
    duration_ms: 12,
    error_class: null,
    error_message: null,
    trigger_type: claimed.triggerType,
    created_at: Date.now(),
    batch_msg_ids: null,
    ...fields,
  };
}
