import { DELIVERY_STATE, DELIVERY_STATE_TEXT } from '../store/schema.js';
import type { DeliveryResult } from './http-client.js';

/** Failures in a row that open an endpoint's circuit. */
const OPEN_AFTER_FAILURES = 3;
/**
 * Least time between the end of a failed probe and the start of the next while a circuit is
 * open. Why (issue 16, bench "Hostile receivers" on SQLite): unpaced, an endpoint that fails
 * fast (a reset, a malformed or 100,000-header answer, a redirect) was probed again the moment
 * its probe failed, so with one request at a time it still took an attempt, a connection and an
 * outcome write per message published (six such endpoints: six attempts per message, more CPU
 * than the publish itself in the one SQLite process). Paced, an open circuit costs at most four
 * attempts a second whatever the publish rate; its deliveries stay due and are attempted, in
 * order, as probes go (nothing is dropped, every attempt recorded).
 */
export const PROBE_INTERVAL_MS = 250;
/**
 * Answers in a row, each within {@link RECONNECTED_WITHIN_MS} of the one before, that found the
 * previous answer's connection closed: past this, the receiver is taken not to keep connections.
 */
const RECONNECTS_TO_JUDGE = 3;
/**
 * How close two answers must be for a closed connection between them to be the receiver's
 * doing: an idle connection is closed by undici after 4 s, and by most servers after 5 s or more.
 */
const RECONNECTED_WITHIN_MS = 1_000;
/**
 * Least time between an answer of a receiver that does not keep its connections and the next
 * request to it, which goes alone: at most one new connection per this many ms (50 a second
 * at most). Why (issue 16, bench "Hostile receivers" on SQLite): two receivers that answer 200
 * and then break the connection (an endless body, garbage after the answer) kept up with
 * 500 messages a second at two requests each, a thousand connections a second that cost the
 * worker thread 0.6-0.9 ms of CPU each (connect, close, undici's errors and their stacks)
 * against 0.25 ms for client and server together on a kept connection: the worker thread went
 * from 60% idle to 10-23%, and the healthy endpoints' deliveries queued behind it. Bounding their
 * concurrency did not bound that, because each of their requests is short; their rate does.
 */
export const RECONNECT_GAP_MS = 20;
/** Most endpoints remembered; past it, normal ones are forgotten first (all they lose is a refilled throttle bucket). */
const BOOK_LIMIT = 50_000;

export type DeliveryStateName = (typeof DELIVERY_STATE_TEXT)[number];

/**
 * What one worker has seen of one endpoint lately, and how many requests it may have in
 * flight because of it: AIMD on latency and failures (halved on a failure or a slow answer,
 * one more per fast success, up to `HERALD_ENDPOINT_CONCURRENCY`), and a circuit that opens
 * after {@link OPEN_AFTER_FAILURES} failures in a row. While open, one request at a time goes
 * (the probe: the next due delivery, on its normal retry schedule, no sooner than
 * {@link PROBE_INTERVAL_MS} after the previous probe failed); the first success closes
 * the circuit and gives the endpoint its full concurrency back at once. A slow answer halves
 * too, but never below two: slow is not down, and the slow share is bounded worker-wide anyway.
 */
export class EndpointCondition {
  limit: number;
  failures = 0;
  open = false;
  /** While open: when the next probe may start (ms since the epoch). */
  probeAt = 0;
  /** Average seconds per request lately (EWMA); unknown until the first answer. */
  avgSeconds: number | null = null;
  #tokens = 0;
  #refilledAt = 0;
  #answeredAt = Number.NEGATIVE_INFINITY;
  /** Answers in a row that found the previous answer's connection closed. */
  #reconnects = 0;

  constructor(private readonly maxConcurrency: number) {
    this.limit = maxConcurrency;
  }

  /** Its receiver does not keep its connections: each answer costs a new one. */
  get reconnecting(): boolean {
    return this.#reconnects >= RECONNECTS_TO_JUDGE;
  }

  get state(): number {
    if (this.open) return DELIVERY_STATE.open;
    return this.reconnecting || this.limit < this.maxConcurrency
      ? DELIVERY_STATE.slowed
      : DELIVERY_STATE.normal;
  }

  /**
   * Requests this endpoint may have in flight now: one while its circuit is open, and one until
   * its first answer, so a new endpoint that hangs takes one slot, not its full concurrency, for a
   * request timeout (issue 16: three new hanging endpoints of an application took the slots its
   * healthy endpoints needed; 1,000 of them fill the slow share one request each). One, paced
   * ({@link RECONNECT_GAP_MS}), while its receiver does not keep its connections: straight from
   * whatever it had when judged (halving from 16 would let it open 8, then 4 new connections at a
   * time on the way down), and back to its limit at the first answer on a kept connection.
   */
  get concurrency(): number {
    return this.open || this.avgSeconds === null || this.reconnecting ? 1 : this.limit;
  }

  /** True while the endpoint is held to less than its full share (slowed or open). */
  get constrained(): boolean {
    return this.state !== DELIVERY_STATE.normal;
  }

  /**
   * Whether its requests count against the worker's bounded slow share of slots: while it is
   * constrained, and until its first answer, since nobody knows yet whether it hangs. Three new
   * endpoints that hang had taken 96 of an application's 112 slots for a whole request timeout,
   * and the same application's healthy endpoints waited for a slot (issue 16, bench "Hostile
   * receivers"); a healthy new endpoint leaves the share with its first answer.
   */
  get inSlowShare(): boolean {
    return this.avgSeconds === null || this.constrained;
  }

  /**
   * Ms until a request may start: 0 unless the circuit is open and the last probe failed just
   * now, or the receiver does not keep its connections and answered just now.
   */
  waitMs(now: number): number {
    if (this.open) return Math.max(0, this.probeAt - now);
    return this.reconnecting ? Math.max(0, this.#answeredAt + RECONNECT_GAP_MS - now) : 0;
  }

  /**
   * Takes a token from the endpoint's `throttleRate` bucket (null is unlimited). Returns 0 when
   * the request may go now, else the milliseconds until a token is available. Kept here, not on
   * the lane: a lane is forgotten whenever it runs empty, and a fresh bucket for each message
   * of an endpoint published to one at a time let every one through at once.
   */
  takeToken(ratePerSecond: number | null, now: number): number {
    if (!ratePerSecond) return 0;
    if (this.#refilledAt === 0) {
      this.#tokens = 1;
      this.#refilledAt = now;
    }
    // A burst of at most one second's worth.
    this.#tokens = Math.min(ratePerSecond, this.#tokens + ((now - this.#refilledAt) / 1000) * ratePerSecond);
    this.#refilledAt = now;
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.#tokens) / ratePerSecond) * 1000);
  }

  /**
   * Counts an answer towards judging whether the receiver keeps its connections: it does not
   * after {@link RECONNECTS_TO_JUDGE} answers in a row found the previous one's connection closed,
   * and does again at the first that found it open. Growing concurrency opens connections beside
   * the open ones, so a burst to a new endpoint is not taken for one; an endpoint answered now and
   * then finds its idle connection closed, and is not either.
   */
  #judgeConnections(reconnected: boolean | null, now: number): void {
    if (reconnected === true && now - this.#answeredAt < RECONNECTED_WITHIN_MS) this.#reconnects++;
    else if (reconnected === false) this.#reconnects = 0;
    this.#answeredAt = now;
  }

  /**
   * Records an answer that took `seconds`, judged `outcome`, and whether the previous answer's
   * connection was closed by then. While the receiver does not keep its connections it is held to
   * one request at a time, paced by {@link RECONNECT_GAP_MS} (see {@link concurrency}): each of its
   * answers costs a connection (and a TLS handshake), ten times a kept connection's CPU or more.
   * Why (issue 16, bench "Hostile receivers" on SQLite): two receivers answering 200 with an
   * endless body or garbage after the response took 16 requests in flight each, and the worker's
   * CPU with them: healthy p99 169-305 ms against 27-37 ms alone. Slowed to two requests each from
   * their third answer, healthy p99 was 122-131 ms (three runs); paced as well, see
   * {@link RECONNECT_GAP_MS}.
   */
  record(
    outcome: 'success' | 'slow' | 'failure',
    now: number,
    seconds: number,
    reconnected: boolean | null = null,
  ): void {
    this.#judgeConnections(reconnected, now);
    if (this.avgSeconds === null) {
      this.avgSeconds = seconds;
      // A first answer that fails or is slow starts the endpoint from the one request it had, not
      // from half its full concurrency: a new endpoint that hangs went from 1 to 8 requests in
      // flight with its first timeout.
      if (outcome !== 'success') this.limit = Math.min(2, this.maxConcurrency);
    } else this.avgSeconds = this.avgSeconds * 0.8 + seconds * 0.2;
    if (outcome === 'failure') {
      this.failures++;
      this.limit = Math.max(1, Math.floor(this.limit / 2));
      if (this.failures >= OPEN_AFTER_FAILURES) {
        this.open = true;
        this.probeAt = now + PROBE_INTERVAL_MS;
      }
      return;
    }
    this.failures = 0;
    if (this.open) {
      this.open = false;
      this.limit = this.maxConcurrency;
    } else if (outcome === 'slow')
      this.limit = Math.max(Math.min(2, this.maxConcurrency), Math.floor(this.limit / 2));
    else this.limit = Math.min(this.maxConcurrency, this.limit + 1);
  }
}

/**
 * How a result counts for the endpoint's share: anything but a 2xx is a failure (it will be
 * sent again, so it costs a retry as well as this attempt), and a 2xx that took more than
 * `slowMs` is slow. Why 3xx and 4xx count too (issue 16, bench "Hostile receivers"): two
 * endpoints redirecting to an internal address answered in a millisecond at full concurrency,
 * and with their retries took more of the worker than the healthy endpoints beside them.
 */
export function judgeHealth(result: DeliveryResult, slowMs: number): 'success' | 'slow' | 'failure' {
  if (result.errorClass !== null) return 'failure';
  return result.durationMs > slowMs ? 'slow' : 'success';
}

/**
 * Every endpoint condition of one worker, kept apart from its lanes (which come and go with
 * the work) so a circuit stays open, and a known answer time stays known, between bursts (a
 * lane that went idle between two claims and came back unknown gave back most of the next
 * claim). Bounded: past {@link BOOK_LIMIT} normal ones are forgotten first. Counts endpoints
 * per state for /metrics.
 */
export class EndpointHealthBook {
  readonly #conditions = new Map<string, EndpointCondition>();
  readonly #counts = [0, 0, 0];

  constructor(
    private readonly maxConcurrency: number,
    private readonly onCounts: (state: DeliveryStateName, count: number) => void = () => {},
  ) {}

  get(endpointId: string): EndpointCondition {
    let condition = this.#conditions.get(endpointId);
    if (!condition) {
      if (this.#conditions.size >= BOOK_LIMIT) this.#forgetNormal();
      condition = new EndpointCondition(this.maxConcurrency);
      this.#conditions.set(endpointId, condition);
      this.#count(condition.state, 1);
    }
    return condition;
  }

  /** Records a result; returns the endpoint's state after it. */
  record(
    endpointId: string,
    outcome: 'success' | 'slow' | 'failure',
    now: number,
    seconds: number,
    reconnected: boolean | null = null,
  ): number {
    const condition = this.get(endpointId);
    const before = condition.state;
    condition.record(outcome, now, seconds, reconnected);
    const after = condition.state;
    if (after !== before) {
      this.#count(before, -1);
      this.#count(after, 1);
    }
    return after;
  }

  /** Endpoints slowed or with an open circuit, with the concurrency they may have. */
  *constrained(): Iterable<[string, number]> {
    for (const [id, condition] of this.#conditions)
      if (condition.constrained) yield [id, condition.concurrency];
  }

  #forgetNormal(): void {
    for (const [id, condition] of this.#conditions)
      if (condition.state === DELIVERY_STATE.normal) {
        this.#conditions.delete(id);
        this.#count(DELIVERY_STATE.normal, -1);
      }
    // All constrained: the oldest go (a fresh condition only means a fresh chance).
    if (this.#conditions.size >= BOOK_LIMIT) {
      for (const [id, condition] of this.#conditions) {
        this.#conditions.delete(id);
        this.#count(condition.state, -1);
        if (this.#conditions.size < BOOK_LIMIT / 2) break;
      }
    }
  }

  #count(state: number, delta: number): void {
    this.#counts[state] = (this.#counts[state] as number) + delta;
    this.onCounts(DELIVERY_STATE_TEXT[state] as DeliveryStateName, this.#counts[state] as number);
  }
}
