import { newId } from '../../core/ids.js';
import { conflict } from '../../errors.js';
import { STATUS, TRIGGER } from '../../store/schema.js';
import type { Store } from '../../store/store.js';
import type { MessageRow } from './repo.js';
import { isSubscribed, subscriptionOf } from './subscription.js';

declare module '../../context.js' {
  interface HeraldContext {
    /** The group commit for publishing; one per store, so one per database (built by the runtime). */
    readonly outbox: Outbox;
  }
}

/** One message to store with its deliveries: what `publish` hands the outbox once it is valid. */
export interface OutboxEntry {
  row: MessageRow & { request_id: string | null };
  /** Send to this endpoint only, whatever its filters say (send-example); null = every subscriber. */
  onlyEndpointId: string | null;
  channels: string[] | null;
  /** When its deliveries are due; null = now. */
  deliverAt: number | null;
}

interface Pending {
  entry: OutboxEntry;
  resolve(fanOut: number): void;
  reject(err: unknown): void;
}

/** Most messages one transaction stores; more wait for the next one. */
const MAX_BATCH = 256;
/** Delivery rows per INSERT statement, well within both databases' parameter limits. */
const DELIVERY_ROWS_PER_INSERT = 1_000;

/**
 * Group commit for publishing: messages published while a transaction is being written
 * (or in the same turn of the event loop) are stored together in the next one, so a
 * burst of concurrent publishes costs one commit (one fsync on SQLite) and a handful of
 * statements instead of five statements and a commit each. A lone message is written at
 * once. Each message and its deliveries still land atomically: the whole batch commits
 * or nothing does, and a batch that fails is written again one message per transaction,
 * so an error belongs to the message that caused it.
 */
export class Outbox {
  readonly #store: Store;
  readonly #maxConcurrent: number;
  #pending: Pending[] = [];
  #active = 0;
  #scheduled = false;

  constructor(store: Store) {
    this.#store = store;
    // SQLite has one writer; PostgreSQL commits several transactions in parallel.
    this.#maxConcurrent = store.dialect === 'sqlite' ? 1 : 4;
  }

  /** Stores the message and its deliveries; resolves with how many deliveries it got. */
  write(entry: OutboxEntry): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      this.#pending.push({ entry, resolve, reject });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#scheduled || this.#active >= this.#maxConcurrent || this.#pending.length === 0) return;
    this.#scheduled = true;
    // After the requests already read in this turn of the event loop have joined the batch.
    setImmediate(() => {
      this.#scheduled = false;
      if (this.#active >= this.#maxConcurrent || this.#pending.length === 0) return;
      const batch = this.#pending.splice(0, MAX_BATCH);
      this.#active++;
      void this.#commit(batch).finally(() => {
        this.#active--;
        this.#schedule();
      });
    });
  }

  async #commit(batch: Pending[]): Promise<void> {
    let fanOuts: number[];
    try {
      fanOuts = await writeBatch(
        this.#store,
        batch.map((p) => p.entry),
      );
    } catch (err) {
      if (batch.length === 1) {
        batch[0]!.reject(err);
        return;
      }
      // One message may have caused it: write each alone, so only that one fails.
      await Promise.all(batch.map((p) => this.#commit([p])));
      return;
    }
    if (batch.some((p, i) => fanOuts[i]! > 0 && p.entry.deliverAt === null)) this.#store.notifyDue();
    batch.forEach((p, i) => {
      const fanOut = fanOuts[i]!;
      if (fanOut < 0) p.reject(conflict('A message with this eventId already exists for this application.'));
      else p.resolve(fanOut);
    });
  }
}

/**
 * Writes the messages and one delivery per subscribed endpoint in one transaction, reading
 * the endpoints inside it so a message never misses an endpoint created before it commits.
 * Returns each message's fan-out, or -1 where its eventId was already taken.
 */
async function writeBatch(store: Store, entries: OutboxEntry[]): Promise<number[]> {
  return store.db.transaction().execute(async (trx) => {
    const appIds = [...new Set(entries.map((e) => e.row.app_id))];
    const endpoints = await trx
      .selectFrom('endpoint')
      .select(['id', 'app_id', 'disabled', 'event_types', 'channels'])
      .where('app_id', 'in', appIds)
      .execute()
      .then((rows) => rows.map((e) => ({ ...e, subscription: subscriptionOf(e) })));
    // ON CONFLICT DO NOTHING: a taken eventId skips its message instead of failing the batch.
    const inserted = await trx
      .insertInto('message')
      .values(entries.map((e) => e.row))
      .onConflict((oc) => oc.doNothing())
      .returning('id')
      .execute();
    const stored = new Set(inserted.map((r) => r.id));
    const deliveries = [];
    const fanOuts: number[] = [];
    for (const { row, onlyEndpointId, channels, deliverAt } of entries) {
      if (!stored.has(row.id)) {
        fanOuts.push(-1);
        continue;
      }
      const due = deliverAt ?? row.created_at;
      let fanOut = 0;
      for (const e of endpoints) {
        if (e.app_id !== row.app_id) continue;
        if (
          onlyEndpointId !== null
            ? e.id !== onlyEndpointId
            : !isSubscribed(e.subscription, row.event_type, channels)
        )
          continue;
        fanOut++;
        deliveries.push({
          id: newId('dlv', row.created_at),
          msg_id: row.id,
          endpoint_id: e.id,
          app_id: row.app_id,
          status: STATUS.pending,
          attempt_count: 0,
          // A disabled endpoint's delivery is held (not due) until the endpoint is enabled.
          due_at: e.disabled ? null : due,
          lease_owner: null,
          trigger_type: TRIGGER.scheduled,
          next_attempt_at: e.disabled ? null : due,
          created_at: row.created_at,
          updated_at: row.created_at,
        });
      }
      fanOuts.push(fanOut);
    }
    for (let i = 0; i < deliveries.length; i += DELIVERY_ROWS_PER_INSERT) {
      await trx
        .insertInto('delivery')
        .values(deliveries.slice(i, i + DELIVERY_ROWS_PER_INSERT))
        .execute();
    }
    return fanOuts;
  });
}
