import type { Kysely, Transaction } from 'kysely';
import type { StoreHealth } from './health.js';
import type { Lines } from './lines.js';
import type { QueueStore } from './queue.js';
import type { Database } from './schema.js';

export type Dialect = 'sqlite' | 'postgres';

/**
 * The store port: one Kysely query layer over either backend, plus the hot paths of the
 * delivery queue (`queue`), which each backend implements with its own hand-written SQL.
 */
export interface Store {
  readonly dialect: Dialect;
  readonly db: Kysely<Database>;
  readonly queue: QueueStore;
  /** The writes that put a FIFO endpoint's deliveries back in their lines or take them out (issue 22). */
  readonly lines: Lines;
  /**
   * Runs `write` in one transaction and resolves once the commit would survive a power cut.
   * On SQLite the commit itself skips the fsync and the write-ahead log is fsynced on libuv's
   * threadpool instead, so the event loop goes on serving requests and sending deliveries
   * meanwhile (the fsync had held it for a fifth of the API's time while publishing); on
   * PostgreSQL the server flushes its log before the commit returns.
   */
  writeDurably<T>(write: (trx: Transaction<Database>) => Promise<T>): Promise<T>;
  /**
   * Tells every worker (this process and, on PostgreSQL, the others) that work became due;
   * `endpointIds`, when given, are where (a publish's fan-out), so a worker can claim those
   * without looking at every endpoint owed work.
   */
  notifyDue(endpointIds?: readonly string[]): void;
  /**
   * Calls `listener` when work became due, with the endpoints it became due at, or null when
   * that is not known (anywhere); returns the unsubscribe function.
   */
  onDue(listener: (endpointIds: readonly string[] | null) => void): () => void;
  /**
   * Applies pending migrations; safe when several processes start at once. Returns the names of
   * the migrations this call applied, oldest first (empty when the database was up to date).
   */
  migrate(): Promise<string[]>;
  /** The names of the migrations not yet applied, oldest first; the database is not changed. */
  pendingMigrations(): Promise<string[]>;
  /** Throws when the database does not answer. */
  ping(): Promise<void>;
  /**
   * The readiness check: throws unless the database answers a trivial query and takes a tiny
   * write (on SQLite, also unless it has room to grow). Cheap enough for a probe every second.
   */
  check(): Promise<void>;
  /** Whether the database is usable now, shared by every part of the process. */
  readonly health: StoreHealth;
  close(): Promise<void>;
}
