import type { ClaimedDelivery } from '../store/queue.js';
import type { EndpointCondition } from './endpoint-health.js';

/**
 * One endpoint's share of a worker: its queue of claimed deliveries, how many are in
 * flight, and what it has been answering lately. Lanes keep one slow or hanging endpoint
 * from taking the whole worker; its concurrency and its `throttleRate` bucket are its
 * condition's (src/delivery/endpoint-health.ts), which outlives the lane.
 */
export class Lane {
  readonly queue: ClaimedDelivery[] = [];
  inFlight = 0;
  /** Tokens granted by the shared (database) bucket and not used yet. */
  granted = 0;
  /** A request for shared tokens is under way. */
  fetching = false;
  /** FIFO keys with a request in flight: their next deliveries wait for it (issue 22). */
  readonly #busyKeys = new Set<string>();

  constructor(
    readonly endpointId: string,
    readonly appId: string,
    readonly condition: EndpointCondition,
  ) {}

  /**
   * The next delivery that may start: the first queued, except that a FIFO key's deliveries wait
   * while one of the key is in flight (the claim hands them over in publish order, so the first of a
   * key in the queue is its earliest). Undefined when every queued key waits.
   */
  next(): ClaimedDelivery | undefined {
    if (this.#busyKeys.size === 0) return this.queue[0];
    return this.queue.find((d) => d.orderingKey === null || !this.#busyKeys.has(d.orderingKey));
  }

  /**
   * Takes `first` out of the queue to send it, with the next queued deliveries of its key up to the
   * endpoint's FIFO batch size (one request carries them all), and marks its key busy.
   */
  start(first: ClaimedDelivery): ClaimedDelivery[] {
    const key = first.orderingKey;
    if (key === null) {
      this.queue.splice(this.queue.indexOf(first), 1);
      return [first];
    }
    this.#busyKeys.add(key);
    const batch: ClaimedDelivery[] = [];
    for (let i = this.queue.indexOf(first); i < this.queue.length && batch.length < first.fifoBatchSize; ) {
      const d = this.queue[i] as ClaimedDelivery;
      if (d.orderingKey === key) {
        batch.push(d);
        this.queue.splice(i, 1);
      } else i++;
    }
    return batch;
  }

  /**
   * A request of a FIFO key ended. When it moved the key on (delivered, or skipped), the key's next
   * delivery may start; otherwise (retrying, blocked, crashed) the key's queued deliveries must wait
   * behind it in the database: they are returned, to be given back.
   */
  finish(sent: ClaimedDelivery, movedOn: boolean): ClaimedDelivery[] {
    const key = sent.orderingKey;
    if (key === null) return [];
    this.#busyKeys.delete(key);
    if (movedOn) return [];
    const behind = this.queue.filter((d) => d.orderingKey === key);
    if (behind.length > 0)
      this.queue.splice(0, this.queue.length, ...this.queue.filter((d) => d.orderingKey !== key));
    return behind;
  }

  /** How many may be in flight at once now. */
  limit(endpointConcurrency: number): number {
    return Math.min(this.condition.concurrency, endpointConcurrency);
  }

  /**
   * Takes a token from the bucket of `ratePerSecond` (null is unlimited). Returns 0 when
   * the request may go now, else the milliseconds until a token is available.
   */
  takeToken(ratePerSecond: number | null, now: number): number {
    return this.condition.takeToken(ratePerSecond, now);
  }

  /** Average seconds per request lately; kept by the condition, so it outlives idle spells of the lane. */
  get avgSeconds(): number | null {
    return this.condition.avgSeconds;
  }

  /**
   * How many queued deliveries this lane can start before `horizonMs` passes: the rest
   * are better given back to the queue than held while their lease runs out.
   */
  capacityWithin(horizonMs: number, endpointConcurrency: number, ratePerSecond: number | null): number {
    // Until its first answer nobody knows whether it is fast or hangs: two rounds of what it may
    // start. Guessing a second a request, eleven hostile endpoints of one application held that
    // application's whole share for a request timeout (issue 16, bench "Hostile receivers").
    if (this.avgSeconds === null) return unknownEndpointShare(endpointConcurrency);
    let capacity = Math.floor(
      (horizonMs / 1000 / Math.max(this.avgSeconds, 0.001)) * this.limit(endpointConcurrency),
    );
    if (ratePerSecond) capacity = Math.min(capacity, Math.floor((horizonMs / 1000) * ratePerSecond));
    return Math.max(capacity, 1);
  }
}

/**
 * What an endpoint not yet heard from may hold: two rounds of the requests it may start once its
 * first answer shows it is fast (until then it sends one at a time).
 */
export function unknownEndpointShare(concurrency: number): number {
  return Math.max(1, 2 * concurrency);
}
