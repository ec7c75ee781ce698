import { waterFill } from '../store/fair-claim.js';
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
  /** Slowed, circuit open or not heard from yet: counted against the bounded slow share. */
  slow: boolean;
}

/**
 * Bounded shares of one worker, so no application and no slow endpoint can take every slot:
 * - one application holds at most two thirds of the window (the 2 × concurrency that was the
 *   whole window before) and all but an eighth of the in-flight slots, so another application's
 *   delivery always finds room in the next claim and a free slot to start in, even while the
 *   first one's requests all hang (issue 16: 128 hanging requests of one tenant held every
 *   slot, and the other tenant got 0 of 60 messages in 60 s);
 * - slowed and circuit-open endpoints, and endpoints not yet heard from, together hold at most a
 *   quarter of the in-flight slots and a third of the window, so healthy endpoints of the same
 *   application keep theirs too; one application's requests take at most half of that slow share,
 *   so another tenant's new endpoint finds a slot for its first request beside 1,000 new endpoints
 *   that hang.
 * A lone application's drain sees what it saw before: 2 × concurrency held, refilled at half.
 */
export class FairShare {
  readonly appInFlightCap: number;
  readonly appHeldCap: number;
  readonly slowInFlightCap: number;
  /** Most of the slow share's in-flight slots one application takes. */
  readonly appSlowInFlightCap: number;
  readonly slowHeldCap: number;
  readonly #held = new Map<string, number>();
  readonly #inFlight = new Map<string, number>();
  readonly #slowInFlightOf = new Map<string, number>();
  #slowInFlight = 0;

  constructor(sizes: FairShareSizes) {
    const c = sizes.workerConcurrency;
    this.appInFlightCap = c < 2 ? c : c - Math.max(1, Math.floor(c / 8));
    this.appHeldCap = Math.max(1, Math.floor((sizes.window * 2) / 3));
    this.slowInFlightCap = Math.max(1, Math.floor(c / 4));
    this.appSlowInFlightCap = Math.ceil(this.slowInFlightCap / 2);
    this.slowHeldCap = Math.max(1, Math.floor(sizes.window / 3));
  }

  /** Claimed deliveries of `appId` held (queued or in flight). */
  heldOf(appId: string): number {
    return this.#held.get(appId) ?? 0;
  }

  hold(appId: string): void {
    increment(this.#held, appId, 1);
  }

  drop(appId: string): void {
    increment(this.#held, appId, -1);
  }

  /** May a request of `appId` start now (its lane's own limit is checked by the lane)? */
  mayStart(appId: string, slow: boolean): boolean {
    if ((this.#inFlight.get(appId) ?? 0) >= this.appInFlightCap) return false;
    return (
      !slow ||
      (this.#slowInFlight < this.slowInFlightCap &&
        (this.#slowInFlightOf.get(appId) ?? 0) < this.appSlowInFlightCap)
    );
  }

  started(appId: string, slow: boolean): void {
    increment(this.#inFlight, appId, 1);
    if (!slow) return;
    this.#slowInFlight++;
    increment(this.#slowInFlightOf, appId, 1);
  }

  finished(appId: string, slow: boolean): void {
    increment(this.#inFlight, appId, -1);
    if (!slow) return;
    this.#slowInFlight--;
    increment(this.#slowInFlightOf, appId, -1);
  }

  /**
   * What the next claim may bring:
   * - each application up to its held cap;
   * - each endpoint up to its part of its application's cap, split max-min over the application's
   *   lanes by what each could start in time, with one more part kept for its endpoints that have
   *   no lane yet (a delivery newly due): so an endpoint that falls behind cannot fill the
   *   application's share and keep its siblings waiting (issue 16: a healthy endpoint's p99 was
   *   1.5 s beside two endpoints of its application that answer 200 slowly);
   * - slow endpoints only while the slow share has room.
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
    const byApp = new Map<string, ShareLane[]>();
    for (const lane of lanes) {
      const list = byApp.get(lane.appId);
      if (list) list.push(lane);
      else byApp.set(lane.appId, [lane]);
    }
    const endpoints: Record<string, number> = {};
    const slow: ShareLane[] = [];
    let slowHeld = 0;
    for (const appLanes of byApp.values()) {
      const parts = waterFill(this.appHeldCap, [...appLanes.map((lane) => lane.capacity), unknownEndpoint]);
      appLanes.forEach((lane, i) => {
        endpoints[lane.endpointId] = Math.max(0, (parts[i] as number) - lane.held);
        if (lane.slow) {
          slow.push(lane);
          slowHeld += lane.held;
        }
      });
    }
    const slowRoom = Math.max(0, this.slowHeldCap - slowHeld);
    for (const lane of slow)
      endpoints[lane.endpointId] = Math.min(endpoints[lane.endpointId] as number, slowRoom);
    for (const [endpointId, concurrency] of idleConstrained)
      if (!(endpointId in endpoints)) endpoints[endpointId] = Math.min(2 * concurrency, slowRoom);
    return { perApp: this.appHeldCap, perEndpoint: unknownEndpoint, apps, endpoints };
  }
}

/** Adds `by` to a count kept per key, forgetting keys that reach zero (the maps stay small). */
function increment(counts: Map<string, number>, key: string, by: number): void {
  const n = (counts.get(key) ?? 0) + by;
  if (n <= 0) counts.delete(key);
  else counts.set(key, n);
}
