import { backoffMs } from '../core/backoff.js';
import { classifyStoreError, type StoreFault } from './faults.js';

/** Where the outage lines go (the process logger; silent until one is given). */
export interface HealthLog {
  warn(fields: object, message: string): void;
  info(fields: object, message: string): void;
}

/** A database outage as the health probe and the log describe it. */
export interface StoreOutage {
  kind: 'unavailable' | 'storage_full';
  /** One line for operators: "connection lost: …", "disk full at PATH (…)". */
  detail: string;
  since: number;
}

const SILENT: HealthLog = { warn() {}, info() {} };

/**
 * Knows whether the database is usable, for every part of one process: the API answers 503/507
 * from it, the worker stops claiming and holds its outcomes while it is down, and health says
 * what is down. An outage opens on the first store error that means one (see `faults.ts`), is
 * logged once, and closes when a probe (a trivial query and a tiny write, retried with capped
 * exponential backoff and jitter) or a real write succeeds again, logged once more.
 */
export class StoreHealth {
  #outage: StoreOutage | null = null;
  #recoveredAt: number | null = null;
  #listeners = new Set<() => void>();
  #timer: NodeJS.Timeout | null = null;
  #tries = 0;
  #closed = false;
  #log: HealthLog = SILENT;

  constructor(
    /** Names the database in log lines: "SQLite database /data/herald.db", "PostgreSQL 127.0.0.1:5432/herald". */
    readonly name: string,
    /** The file or directory that fills up, for "disk full at PATH"; null on PostgreSQL. */
    private readonly storagePath: string | null,
    /** Throws when the database cannot answer a query and take a small write. */
    private readonly probe: () => Promise<void>,
    private readonly now: () => number = Date.now,
  ) {}

  setLogger(log: HealthLog): void {
    this.#log = log;
  }

  /** The outage under way, or null while the database works. */
  get outage(): StoreOutage | null {
    return this.#outage;
  }

  /** When the last outage ended (null if none has), so workers give others time to beat again. */
  get recoveredAt(): number | null {
    return this.#recoveredAt;
  }

  /**
   * Tells the tracker about an error from the store. Returns what it means, or null when it is
   * not a database fault (the caller handles it as before). A fault other than `busy` opens an
   * outage unless one is open.
   */
  report(err: unknown): StoreFault | null {
    const fault = classifyStoreError(err);
    if (fault && fault.kind !== 'busy') this.#open(fault);
    return fault;
  }

  /**
   * A write just committed: a connection outage is over. Not a full disk: a write that fits in
   * place (a heartbeat) succeeds on a full database, so only the probe, which needs a new page,
   * says there is room again.
   */
  succeeded(): void {
    if (this.#outage?.kind === 'unavailable') this.#close();
  }

  /** Calls `fn` each time an outage ends; returns the unsubscribe function. */
  onAvailable(fn: () => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** For the readiness probe: the outage, after running the probe when none is known. */
  async check(): Promise<StoreOutage | null> {
    if (this.#outage) return this.#outage;
    try {
      await this.probe();
      return null;
    } catch (err) {
      const fault = this.report(err);
      if (this.#outage) return this.#outage;
      return {
        kind: 'unavailable',
        detail: fault ? fault.reason : 'the database check failed',
        since: this.now(),
      };
    }
  }

  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  describe(fault: StoreFault): string {
    if (fault.kind !== 'storage_full') return fault.reason;
    return this.storagePath
      ? `disk full at ${this.storagePath} (${fault.reason})`
      : `disk full (${fault.reason})`;
  }

  #open(fault: StoreFault): void {
    if (this.#outage || this.#closed) return;
    const kind = fault.kind === 'storage_full' ? 'storage_full' : 'unavailable';
    this.#outage = { kind, detail: this.describe(fault), since: this.now() };
    this.#log.warn({ database: this.name, kind }, `database outage: ${this.name}: ${this.#outage.detail}`);
    this.#tries = 0;
    this.#scheduleProbe();
  }

  #close(): void {
    const outage = this.#outage;
    if (!outage) return;
    this.#outage = null;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    const now = this.now();
    this.#recoveredAt = now;
    const seconds = ((now - outage.since) / 1000).toFixed(1);
    this.#log.info(
      { database: this.name, kind: outage.kind, outageMs: now - outage.since },
      `database is back: ${this.name} (the outage lasted ${seconds} s)`,
    );
    for (const fn of [...this.#listeners]) fn();
  }

  #scheduleProbe(): void {
    if (this.#closed || this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.probe().then(
        () => this.#close(),
        (err) => {
          const fault = classifyStoreError(err);
          // A different fault (the disk filled while the server restarted) replaces the description.
          if (fault && fault.kind !== 'busy' && this.#outage) {
            this.#outage.kind = fault.kind === 'storage_full' ? 'storage_full' : 'unavailable';
            this.#outage.detail = this.describe(fault);
          }
          this.#tries++;
          this.#scheduleProbe();
        },
      );
    }, backoffMs(this.#tries));
    // The probe alone must not keep a process alive that is otherwise done.
    this.#timer.unref();
  }
}
