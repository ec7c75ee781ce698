/**
 * How long a cached lookup is trusted. Writes made through this process invalidate at once; this
 * bounds how long a write made by another process (a second API instance, the CLI's import) takes
 * to be seen: the README promises "within a second".
 */
export const LOOKUP_TTL_MS = 1_000;

/**
 * A per-process cache of lookups that every request makes (its token, its application, its
 * event type), so they do not cost a query each. An entry is trusted for {@link LOOKUP_TTL_MS};
 * the writes this process makes call `invalidate` at once.
 */
export class ExpiringCache<V> {
  readonly #entries = new Map<string, { value: V; fetchedAt: number }>();
  readonly #pending = new Map<string, Promise<V>>();
  /** Bumped by every invalidation, so a lookup that raced with a write is not cached. */
  #generation = 0;

  constructor(
    private readonly options: {
      /** Bound on cached keys, so ever-new keys cannot grow memory. */
      maxEntries: number;
      /** Whether `load` answering undefined or null (not found) is cached too. */
      cacheMisses: boolean;
    },
  ) {}

  /** The cached value of `key`, or what `load` answers (concurrent lookups of one key share it). */
  get(key: string, load: () => Promise<V>): Promise<V> {
    const cached = this.#entries.get(key);
    if (cached && Date.now() - cached.fetchedAt < LOOKUP_TTL_MS) return Promise.resolve(cached.value);
    const pending = this.#pending.get(key);
    if (pending) return pending;
    const generation = this.#generation;
    const query = load()
      .then((value) => {
        const found = value !== undefined && value !== null;
        if (generation === this.#generation && (found || this.options.cacheMisses))
          this.#remember(key, value);
        return value;
      })
      .finally(() => {
        if (this.#pending.get(key) === query) this.#pending.delete(key);
      });
    this.#pending.set(key, query);
    return query;
  }

  /** Forgets `key` (or everything), after a write that changed it. */
  invalidate(key?: string): void {
    this.#generation++;
    if (key === undefined) {
      this.#entries.clear();
      this.#pending.clear();
      return;
    }
    this.#entries.delete(key);
    this.#pending.delete(key);
  }

  #remember(key: string, value: V): void {
    if (this.#entries.size >= this.options.maxEntries && !this.#entries.has(key)) {
      // Maps iterate in insertion order: drop the oldest entry.
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    this.#entries.set(key, { value, fetchedAt: Date.now() });
  }
}
