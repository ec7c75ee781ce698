/**
 * The FIFO part of a claim, shared by both backends (issue 22). A FIFO endpoint's deliveries that
 * are in a line (owed, in flight or blocked) are in the partial index `delivery_line (endpoint_id,
 * ordering_key, seq)`; each key's first entry is its head. The claim walks the endpoint's keys in
 * that index, one probe per key (a skip-scan, as the fair claim walks endpoints), and takes a key
 * only when its head is due: not leased (a lease is a due time in the future), not waiting for a
 * retry, not blocked (a blocked head is failed, with no due time). With the head it takes the key's
 * next deliveries, in publish order, up to the first one that is not due (a run): the worker sends
 * a run one delivery (or one batch) at a time, and while any of it is leased the key's head is not
 * due, so no other worker can take the key. On PostgreSQL the head is locked `SKIP LOCKED` and
 * taken only if it is still the row version the walk read, so of two workers racing for a key one
 * gets it and the other skips it, never the key's second delivery. The writes that put a delivery
 * back in its line keep a key's deliveries in flight at its front (src/store/lines.ts).
 *
 * Cost: one probe per key examined, at most {@link probeBudget} per endpoint and claim, starting
 * after the key this process served last (so with more keys than the budget, every key is reached
 * in turn); then one range read per key taken.
 */

/** A key's head that the walk found due (pending, or its lease lapsed): the key may be taken. */
export interface LineHead {
  key: string;
  id: string;
  seq: number;
}

/** Most deliveries of one key in one claim without batching: enough to hide the round trip. */
export const MAX_RUN = 8;

/** Keys a claim examines at most per FIFO endpoint, for a take of `take`. */
export function probeBudget(take: number): number {
  return 4 * take + 64;
}

/** How many heads the walk should find before it stops: enough to fill `take`, never more. */
export function headsWanted(take: number, batchSize: number): number {
  return batchSize > 1 ? Math.max(1, Math.floor(take / batchSize)) : take;
}

/**
 * How many deliveries of each key (head included) a claim takes: a whole batch when batching;
 * otherwise the take spread over the due heads, so a few keys still fill the worker. With
 * {@link headsWanted} heads, the runs together never exceed `take`.
 */
export function runLength(take: number, dueHeads: number, batchSize: number): number {
  if (batchSize > 1) return Math.min(batchSize, take);
  return Math.max(1, Math.min(MAX_RUN, Math.floor(take / Math.max(1, dueHeads))));
}

/** Where this process's last claim of each FIFO endpoint stopped among its keys. Bounded. */
export class KeyRotation {
  readonly #after = new Map<string, string>();

  keyAfter(endpointId: string): string | undefined {
    return this.#after.get(endpointId);
  }

  advance(endpointId: string, heads: LineHead[]): void {
    const last = heads.at(-1);
    if (!last) return;
    if (this.#after.size > 10_000) this.#after.clear();
    this.#after.set(endpointId, last.key);
  }
}

/**
 * The order a FIFO endpoint's claimed rows are handed over in: every key's head first, then every
 * key's second, and so on, so the worker starts as many keys as it may at once; a key's own rows
 * stay in publish order. Returns each row's rank among the endpoint's rows (for `fairOrder`).
 */
export function runRanks<T>(runs: T[][]): Map<T, number> {
  const ranks = new Map<T, number>();
  runs.forEach((run, k) => {
    run.forEach((row, pos) => {
      ranks.set(row, pos * runs.length + k);
    });
  });
  return ranks;
}
