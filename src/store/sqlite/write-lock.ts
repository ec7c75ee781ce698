/**
 * One writer at a time across the threads of `herald serve` (API and worker, each with its own
 * connection to the file), handed over the moment it is released.
 *
 * Why not SQLite's own lock alone: a connection that finds the write lock taken waits in
 * SQLite's busy handler, which sleeps 1, 2, 5, 10 … 100 ms between tries, blocking its thread;
 * with the API's publishes and the worker's claims and outcomes contending, publish-to-receipt
 * p99 went from 24 ms (one thread) to 91–280 ms (two threads, bench Live and Hostile receivers).
 * Here the waiting thread waits asynchronously (`Atomics.waitAsync`): its event loop goes on
 * (a blocking `Atomics.wait` had the worker thread spend 15% of its time stopped in it while the
 * API committed publishes, and its deliveries' responses waited meanwhile), and it is woken as
 * soon as the other thread commits. Only the hot writes take it (the outbox, the queue's writes);
 * other writes still meet SQLite's lock, which stays the guarantee.
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
  async acquire(timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Atomics.compareExchange(this.#word, 0, 0, 1) !== 0) {
      const left = deadline - Date.now();
      // Classified as SQLite's own busy timeout is (src/store/faults.ts): a 503, the worker goes on.
      if (left <= 0)
        throw Object.assign(new Error('database is locked (by the other thread, past 5 s)'), {
          code: 'SQLITE_BUSY',
        });
      const waited = waitAsync(this.#word, 0, 1, left);
      if (waited.async) await waited.value;
    }
  }

  release(): void {
    Atomics.store(this.#word, 0, 0);
    Atomics.notify(this.#word, 0, 1);
  }
}

/** `Atomics.waitAsync` (Node 16+; not in TypeScript's ES2023 library). */
const waitAsync = (
  Atomics as unknown as {
    waitAsync(
      array: Int32Array,
      index: number,
      value: number,
      timeoutMs: number,
    ): { async: false; value: string } | { async: true; value: Promise<string> };
  }
).waitAsync;
