import type SqliteDatabase from 'better-sqlite3';

/**
 * One writer at a time across the threads of `herald serve` (API and worker, each with its own
 * connection to the file), handed over the moment it is released.
 *
 * Why not SQLite's own lock alone: a connection that finds the write lock taken waits in
 * SQLite's busy handler, which sleeps 1, 2, 5, 10 … 100 ms between tries; with the API's
 * publishes and the worker's claims and outcomes contending, publish-to-receipt p99 went from
 * 24 ms (one thread) to 91–280 ms (two threads, bench Live and Hostile receivers). Waiting here,
 * on a shared word with `Atomics.wait`, wakes the next writer as soon as the first one commits.
 * Only the hot write transactions take it (the outbox, claim, complete, release of dead
 * workers); other writes still meet SQLite's lock, which stays the guarantee.
 */
export class WriteLock {
  readonly #word: Int32Array;

  /** `shared`: the same buffer in every thread (from {@link WriteLock.createBuffer}). */
  constructor(shared: SharedArrayBuffer) {
    this.#word = new Int32Array(shared);
  }

  static createBuffer(): SharedArrayBuffer {
    return new SharedArrayBuffer(4);
  }

  /** Takes the lock, waiting up to `timeoutMs` (then fails as SQLite's busy timeout would). */
  acquire(timeoutMs = 5_000): void {
    const deadline = Date.now() + timeoutMs;
    while (Atomics.compareExchange(this.#word, 0, 0, 1) !== 0) {
      const left = deadline - Date.now();
      // Classified as SQLite's own busy timeout is (src/store/faults.ts): a 503, the worker goes on.
      if (left <= 0)
        throw Object.assign(new Error('database is locked (by the other thread, past 5 s)'), {
          code: 'SQLITE_BUSY',
        });
      Atomics.wait(this.#word, 0, 1, left);
    }
  }

  release(): void {
    Atomics.store(this.#word, 0, 0);
    Atomics.notify(this.#word, 0, 1);
  }
}

/** Each connection's lock, when it shares its file with another thread (see {@link WriteLock}). */
const locks = new WeakMap<SqliteDatabase.Database, WriteLock>();

export function setWriteLock(raw: SqliteDatabase.Database, lock: WriteLock): void {
  locks.set(raw, lock);
}

export function writeLockOf(raw: SqliteDatabase.Database): WriteLock | undefined {
  return locks.get(raw);
}
