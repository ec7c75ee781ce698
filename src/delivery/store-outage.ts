import { backoffMs } from '../core/backoff.js';
import type { StoreHealth } from '../store/health.js';

/** True when `err` is a database fault that stops the worker (not SQLite contention). */
export function isOutage(health: StoreHealth, err: unknown): boolean {
  const fault = health.report(err);
  return fault !== null && fault.kind !== 'busy';
}

/**
 * Waits for the database to come back: resolves when the store's outage ends, after
 * `backoffMs(attempt)` at the latest (so the caller tries again on its own too, with capped
 * exponential backoff and jitter), or at once when `cancel()` is called (shutdown).
 */
export class StoreWait {
  #cancels = new Set<() => void>();

  constructor(private readonly health: StoreHealth) {}

  wait(attempt: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        unsubscribe();
        this.#cancels.delete(done);
        resolve();
      };
      const timer = setTimeout(done, backoffMs(attempt, 250, 5_000));
      const unsubscribe = this.health.onAvailable(done);
      this.#cancels.add(done);
    });
  }

  /** Calls `fn` once, when the outage ends (at once if there is none). Returns the cancel function. */
  once(fn: () => void): () => void {
    if (!this.health.outage) {
      fn();
      return () => {};
    }
    const unsubscribe = this.health.onAvailable(() => {
      unsubscribe();
      fn();
    });
    return unsubscribe;
  }

  cancel(): void {
    for (const done of [...this.#cancels]) done();
  }
}
