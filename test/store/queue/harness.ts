import { newId } from '../../../src/core/ids.js';
import { openStore } from '../../../src/store/open.js';
import { STATUS, TRIGGER } from '../../../src/store/schema.js';
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
  /** The database's URL, for a second store on it (another worker process). */
  databaseUrl: string;
  /** An application; returns its id. */
  app(): Promise<string>;
  /** An endpoint of `appId`; returns its id. */
  endpoint(appId: string, fields?: { disabled?: boolean; throttleRate?: number | null }): Promise<string>;
  /** A message and its delivery to `endpointId`, due at `dueAt` (default: now); returns the delivery id. */
  delivery(
    appId: string,
    endpointId: string,
    fields?: { dueAt?: number | null; leaseOwner?: string },
  ): Promise<string>;
  /** The delivery row as stored. */
  row(
    deliveryId: string,
  ): Promise<{ status: number; due_at: number | null; lease_owner: string | null; attempt_count: number }>;
  close(): Promise<void>;
}

export async function openQueueFixture(backend: Backend): Promise<QueueFixture> {
  const database = await createTestDatabase(backend);
  const store = await openStore({ databaseUrl: database.url });
  await store.migrate();
  const { db } = store;
  return {
    store,
    databaseUrl: database.url,
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
          uid: null,
          url: `http://127.0.0.1:9/${id}`,
          description: '',
          event_types: null,
          channels: null,
          headers: '{}',
          metadata: '{}',
          throttle_rate: fields.throttleRate ?? null,
          disabled: fields.disabled ? 1 : 0,
          disabled_reason: null,
          disabled_at: null,
          secrets: '[]',
          first_failure_at: null,
          consecutive_failures: 0,
          last_success_at: null,
          last_failure_at: null,
          created_at: now,
          updated_at: now,
        })
        .execute();
      return id;
    },
    async delivery(appId, endpointId, fields = {}) {
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
          status: fields.leaseOwner ? STATUS.sending : STATUS.pending,
          attempt_count: 0,
          due_at: fields.dueAt === undefined ? now : fields.dueAt,
          lease_owner: fields.leaseOwner ?? null,
          trigger_type: TRIGGER.scheduled,
          next_attempt_at: null,
          created_at: now,
          updated_at: now,
        })
        .execute();
      return id;
    },
    async row(deliveryId) {
      return db
        .selectFrom('delivery')
        .select(['status', 'due_at', 'lease_owner', 'attempt_count'])
        .where('id', '=', deliveryId)
        .executeTakeFirstOrThrow();
    },
    async close() {
      await store.close();
      await database.drop();
    },
  };
}
