/**
 * Duplicate detection on `webhook-id` for the middlewares. The id is stable across a sender's
 * retries, so remembering the ids already handled turns at-least-once delivery into
 * effectively-once handling, and stops a captured request from being replayed within the
 * timestamp tolerance.
 */

/**
 * Where handled webhook ids are remembered. Back it with Redis or a database table to share it
 * between processes; {@link MemoryReplayStore} covers one process.
 */
export interface ReplayStore {
  /** Whether this id was remembered and has not expired yet. */
  seen(id: string): Promise<boolean> | boolean;
  /** Remembers the id for `ttlSeconds`. */
  remember(id: string, ttlSeconds: number): Promise<void> | void;
}

/** Options of {@link MemoryReplayStore}. */
export interface MemoryReplayStoreOptions {
  /** Bound on remembered ids; the oldest are forgotten first. Default 100 000. */
  maxEntries?: number;
  /** Clock in milliseconds, for tests. Default `Date.now`. */
  now?: () => number;
}

/**
 * An in-process {@link ReplayStore} with expiry. Memory stays bounded by `maxEntries`, so a flood
 * of distinct ids cannot exhaust the receiver; past that bound the oldest ids are forgotten.
 */
export class MemoryReplayStore implements ReplayStore {
  readonly #expiresAt = new Map<string, number>();
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(options: MemoryReplayStoreOptions = {}) {
    this.#maxEntries = options.maxEntries ?? 100_000;
    this.#now = options.now ?? Date.now;
    if (!Number.isInteger(this.#maxEntries) || this.#maxEntries < 1) {
      throw new RangeError('maxEntries must be a positive integer');
    }
  }

  seen(id: string): boolean {
    const expiresAt = this.#expiresAt.get(id);
    if (expiresAt === undefined) return false;
    if (expiresAt <= this.#now()) {
      this.#expiresAt.delete(id);
      return false;
    }
    return true;
  }

  remember(id: string, ttlSeconds: number): void {
    const now = this.#now();
    // Re-inserting keeps the map in insertion order, which is expiry order for a constant TTL,
    // so expired ids are pruned from the front without a scan.
    this.#expiresAt.delete(id);
    this.#expiresAt.set(id, now + ttlSeconds * 1000);
    for (const [oldId, expiresAt] of this.#expiresAt) {
      if (this.#expiresAt.size <= this.#maxEntries && expiresAt > now) break;
      this.#expiresAt.delete(oldId);
    }
  }

  /** How many ids are currently held (expired ones may linger until pruned). */
  get size(): number {
    return this.#expiresAt.size;
  }
}
