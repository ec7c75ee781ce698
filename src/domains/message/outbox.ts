import type { Insertable, Transaction } from 'kysely';
import { newId } from '../../core/ids.js';
import { conflict, notFound } from '../../errors.js';
import { bulkInsert } from '../../store/bulk-insert.js';
import { classifyStoreError } from '../../store/faults.js';
import { type Database, type DeliveryTable, STATUS, TRIGGER } from '../../store/schema.js';
import type { Store } from '../../store/store.js';
import { isForeignKeyViolation } from '../common/sql-errors.js';
import { CompiledFilters } from './filter-evaluation.js';
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
  /** The payload as published (parsed): what endpoints' payload filters read. */
  payload: unknown;
  /** When its deliveries are due; null = now. */
  deliverAt: number | null;
}

/** What became of one entry: its fan-out (deliveries written), or why it was not stored. */
export type OutboxOutcome = number | Error;

/** Entries handed in together (one publish, or one batch publish), committed in one transaction. */
interface Pending {
  entries: OutboxEntry[];
  settle(outcomes: OutboxOutcome[]): void;
}

/** Most messages one transaction stores; more wait for the next one (a larger batch publish goes alone). */
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
 * so an error belongs to the message that caused it. A batch publish's messages are one
 * group, never split across transactions, and wake the workers once.
 */
export class Outbox {
  readonly #store: Store;
  readonly #maxConcurrent: number;
  /** Endpoints' payload filters, compiled once per endpoint version and kept across batches. */
  readonly #filters = new CompiledFilters();
  #pending: Pending[] = [];
  #active = 0;
  #scheduled = false;

  constructor(store: Store) {
    this.#store = store;
    // SQLite has one writer; PostgreSQL commits several transactions in parallel.
    this.#maxConcurrent = store.dialect === 'sqlite' ? 1 : 4;
  }

  /** Stores the message and its deliveries; resolves with how many deliveries it got. */
  async write(entry: OutboxEntry): Promise<number> {
    const [outcome] = await this.writeAll([entry]);
    if (outcome instanceof Error) throw outcome;
    return outcome!;
  }

  /**
   * Stores the messages and their deliveries in one transaction; resolves with one outcome
   * per entry, in order: its fan-out, or the error that kept it out (a taken eventId is a 409).
   */
  writeAll(entries: OutboxEntry[]): Promise<OutboxOutcome[]> {
    if (entries.length === 0) return Promise.resolve([]);
    return new Promise<OutboxOutcome[]>((settle) => {
      this.#pending.push({ entries, settle });
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
      let taken = 0;
      let size = 0;
      while (
        taken < this.#pending.length &&
        (taken === 0 || size + this.#pending[taken]!.entries.length <= MAX_BATCH)
      )
        size += this.#pending[taken++]!.entries.length;
      const groups = this.#pending.splice(0, taken);
      this.#active++;
      void this.#commit(groups).finally(() => {
        this.#active--;
        this.#schedule();
      });
    });
  }

  async #commit(groups: Pending[]): Promise<void> {
    const entries = groups.flatMap((g) => g.entries);
    const due = new Set<string>();
    let outcomes: OutboxOutcome[];
    try {
      outcomes = (await writeBatch(this.#store, this.#filters, entries, due)).map((fanOut) =>
        fanOut < 0 ? taken() : fanOut,
      );
    } catch (err) {
      due.clear();
      // The database is down or full: no message caused it, and writing each alone would fail the same way.
      if (classifyStoreError(err)) outcomes = entries.map(() => err as Error);
      else {
        // One message may have caused it: write each alone, so only that one fails. A message
        // written alone is written once more: an endpoint deleted while it was written (on
        // PostgreSQL) fails its delivery's foreign key, and the next write reads the endpoints again.
        outcomes = [];
        for (const entry of entries) {
          const dueOfEntry = new Set<string>();
          outcomes.push(
            await writeBatch(this.#store, this.#filters, [entry], dueOfEntry).then(([fanOut]) => {
              for (const id of dueOfEntry) due.add(id);
              return fanOut! < 0 ? taken() : fanOut!;
            }, refusal),
          );
        }
      }
    }
    if (due.size > 0) this.#store.notifyDue([...due]);
    let offset = 0;
    for (const group of groups) {
      group.settle(outcomes.slice(offset, offset + group.entries.length));
      offset += group.entries.length;
    }
  }
}

const taken = () => conflict('A message with this eventId already exists for this application.');

/**
 * Why a message was not stored, as the API answers it. The application is found before the
 * write (from a cache, see `newApplicationCache`), so one deleted meanwhile, here or by another
 * process, fails the message's foreign key: that is the 404 a later publish would get.
 */
function refusal(err: Error): Error {
  return isForeignKeyViolation(err) ? notFound('Application not found.') : err;
}

/**
 * Writes the messages and one delivery per subscribed endpoint in one transaction, reading
 * the endpoints inside it so a message never misses an endpoint created before it commits.
 * Returns each message's fan-out, or -1 where its eventId was already taken; adds to `due`
 * the endpoints given a delivery due now.
 */
async function writeBatch(
  store: Store,
  filters: CompiledFilters,
  entries: OutboxEntry[],
  due: Set<string>,
): Promise<number[]> {
  return store.writeDurably(async (trx) => {
    // Publish order: PostgreSQL draws it from a sequence (the column's default), so it holds
    // across API processes; SQLite, with one writer, counts in this transaction.
    const first = store.dialect === 'sqlite' ? await reserveSqliteSeq(trx, entries.length) : 0;
    // ON CONFLICT DO NOTHING: a taken eventId skips its message instead of failing the batch.
    // Written before the endpoints are read: on PostgreSQL the transaction then has its id when it
    // reads their `ordering`, and a change of `ordering` waits for the transactions that had one
    // (src/store/lines.ts, `settle`), so none that read the old setting is missed.
    const messages =
      first > 0 ? entries.map((e, i) => ({ ...e.row, seq: first + i })) : entries.map((e) => e.row);
    const { rows: inserted } = await trx.executeQuery<{ id: string; seq: number }>(
      bulkInsert(store.dialect, 'message', messages, 'on conflict do nothing returning "id", "seq"'),
    );
    const appIds = [...new Set(entries.map((e) => e.row.app_id))];
    const endpoints = await trx
      .selectFrom('endpoint')
      .select(['id', 'app_id', 'disabled', 'event_types', 'channels', 'filter', 'ordering'])
      .where('app_id', 'in', appIds)
      .execute()
      .then((rows) => rows.map((e) => ({ ...e, subscription: subscriptionOf(e, filters) })));
    const stored = new Map(inserted.map((r) => [r.id, Number(r.seq)]));
    const deliveries: Required<Insertable<DeliveryTable>>[] = [];
    const fanOuts: number[] = [];
    for (const { row, onlyEndpointId, channels, payload, deliverAt } of entries) {
      const seq = stored.get(row.id);
      if (seq === undefined) {
        fanOuts.push(-1);
        continue;
      }
      const dueAt = deliverAt ?? row.created_at;
      const message = { payload, eventType: row.event_type, channels };
      let fanOut = 0;
      for (const e of endpoints) {
        if (e.app_id !== row.app_id) continue;
        if (onlyEndpointId !== null ? e.id !== onlyEndpointId : !isSubscribed(e.subscription, message))
          continue;
        fanOut++;
        if (!e.disabled && deliverAt === null) due.add(e.id);
        deliveries.push({
          id: newId('dlv', row.created_at),
          msg_id: row.id,
          endpoint_id: e.id,
          app_id: row.app_id,
          status: STATUS.pending,
          attempt_count: 0,
          // A disabled endpoint's delivery is held (not due) until the endpoint is enabled.
          due_at: e.disabled ? null : dueAt,
          lease_owner: null,
          trigger_type: TRIGGER.scheduled,
          next_attempt_at: e.disabled ? null : dueAt,
          created_at: row.created_at,
          updated_at: row.created_at,
          ordering_key: e.ordering === 'fifo' ? (row.ordering_key ?? '') : null,
          seq,
        });
      }
      fanOuts.push(fanOut);
    }
    for (let i = 0; i < deliveries.length; i += DELIVERY_ROWS_PER_INSERT) {
      const rows = deliveries.slice(i, i + DELIVERY_ROWS_PER_INSERT);
      await trx.executeQuery(bulkInsert(store.dialect, 'delivery', rows));
    }
    return fanOuts;
  });
}

/** Takes `count` numbers of SQLite's publish counter (0009); returns the first. */
async function reserveSqliteSeq(trx: Transaction<Database>, count: number): Promise<number> {
  const { value } = await trx
    .updateTable('sequence')
    .set((eb) => ({ value: eb('value', '+', count) }))
    .where('name', '=', 'message')
    .returning('value')
    .executeTakeFirstOrThrow();
  return Number(value) - count + 1;
}
