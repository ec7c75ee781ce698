import type { ClaimShares } from '../store/queue.js';

/** What a share is reckoned against: one worker's slots and held window. */
export interface FairShareSizes {
  /** Requests in flight at once (`HERALD_WORKER_CONCURRENCY`). */
  workerConcurrency: number;
  /** Claimed deliveries held at once, queued or in flight (three times the concurrency). */
  window: number;
}

/** One endpoint's lane as the share sees it. */
export interface ShareLane {
  endpointId: string;
  appId: string;
  /** Queued plus in flight. */
  held: number;
  /** Most it could start before its lease runs out (the rest is better left in the queue). */
  capacity: number;
  /** Slowed or circuit open: counted against the bounded slow share. */
  constrained: boolean;
}

/**
 * Bounded shares of one worker, so no application and no slow endpoint can take every slot:
 * - one application holds at most two thirds of the window (the 2 × concurrency that was the
 *   whole window before) and all but an eighth of the in-flight slots, so another application's
 *   delivery always finds room in the next claim and a free slot to start in, even while the
 *   first one's requests all hang (issue 16: 128 hanging requests of one tenant held every
 *   slot, and the other tenant got 0 of 60 messages in 60 s);
 * - slowed and circuit-open endpoints together hold at most a quarter of the in-flight slots
 *   and a third of the window, so healthy endpoints of the same application keep theirs too.
 * A lone application's drain sees what it saw before: 2 × concurrency held, refilled at half.
 */
export class FairShare {
  readonly appInFlightCap: number;
  readonly appHeldCap: number;
  readonly slowInFlightCap: number;
  readonly slowHeldCap: number;
  readonly #held = new Map<string, number>();
  readonly #inFlight = new Map<string, number>();
  #slowInFlight = 0;

  constructor(sizes: FairShareSizes) {
    const c = sizes.workerConcurrency;
    this.appInFlightCap = c < 2 ? c : c - Math.max(1, Math.floor(c / 8));
    this.appHeldCap = Math.max(1, Math.floor((sizes.window * 2) / 3));
    this.slowInFlightCap = Math.max(1, Math.floor(c / 4));
    this.slowHeldCap = Math.max(1, Math.floor(sizes.window / 3));
  }

  /** Claimed deliveries of `appId` held (queued or in flight). */
  heldOf(appId: string): number {
    return this.#held.get(appId) ?? 0;
  }

  hold(appId: string): void {
    this.#held.set(appId, (this.#held.get(appId) ?? 0) + 1);
  }

  drop(appId: string): void {
    const n = (this.#held.get(appId) ?? 1) - 1;
    if (n <= 0) this.#held.delete(appId);
    else this.#held.set(appId, n);
  }

  /** May a request of `appId` start now (its lane's own limit is checked by the lane)? */
  mayStart(appId: string, constrained: boolean): boolean {
    if ((this.#inFlight.get(appId) ?? 0) >= this.appInFlightCap) return false;
    return !constrained || this.#slowInFlight < this.slowInFlightCap;
  }

  started(appId: string, constrained: boolean): void {
    this.#inFlight.set(appId, (this.#inFlight.get(appId) ?? 0) + 1);
    if (constrained) this.#slowInFlight++;
  }

  finished(appId: string, constrained: boolean): void {
    const n = (this.#inFlight.get(appId) ?? 1) - 1;
    if (n <= 0) this.#inFlight.delete(appId);
    else this.#inFlight.set(appId, n);
    if (constrained) this.#slowInFlight--;
  }

  /**
   * What the next claim may bring: each application up to its held cap, each endpoint up to
   * what its lane can start in time, constrained endpoints only while the slow share has room.
   * `idleConstrained` are endpoints without a lane whose circuit is open or who are slowed;
   * any other endpoint without a lane takes at most `unknownEndpoint` (it starts slow).
   */
  claimShares(
    lanes: Iterable<ShareLane>,
    idleConstrained: Iterable<[string, number]>,
    unknownEndpoint: number,
  ): ClaimShares {
    const apps: Record<string, number> = {};
    for (const [appId, held] of this.#held) apps[appId] = Math.max(0, this.appHeldCap - held);
    const endpoints: Record<string, number> = {};
    const constrained: ShareLane[] = [];
    let slowHeld = 0;
    for (const lane of lanes) {
      endpoints[lane.endpointId] = Math.max(0, lane.capacity - lane.held);
      if (lane.constrained) {
        constrained.push(lane);
        slowHeld += lane.held;
      }
    }
    const slowRoom = Math.max(0, this.slowHeldCap - slowHeld);
    for (const lane of constrained)
      endpoints[lane.endpointId] = Math.min(endpoints[lane.endpointId] as number, slowRoom);
    for (const [endpointId, concurrency] of idleConstrained)
      if (!(endpointId in endpoints)) endpoints[endpointId] = Math.min(2 * concurrency, slowRoom);
    return { perApp: this.appHeldCap, perEndpoint: unknownEndpoint, apps, endpoints };
  }
}
