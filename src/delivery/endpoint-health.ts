import { DELIVERY_STATE, DELIVERY_STATE_TEXT } from '../store/schema.js';
import type { DeliveryResult } from './http-client.js';

/** Failures in a row that open an endpoint's circuit. */
const OPEN_AFTER_FAILURES = 3;
/** Most endpoints remembered; past it, normal ones are forgotten first (they hold no state). */
const BOOK_LIMIT = 50_000;

export type DeliveryStateName = (typeof DELIVERY_STATE_TEXT)[number];

/**
 * What one worker has seen of one endpoint lately, and how many requests it may have in
 * flight because of it: AIMD on latency and failures (halved on a failure or a slow answer,
 * one more per fast success, up to `HERALD_ENDPOINT_CONCURRENCY`), and a circuit that opens
 * after {@link OPEN_AFTER_FAILURES} failures in a row. While open, one request at a time goes
 * (the probe: the next due delivery, on its normal retry schedule); the first success closes
 * the circuit and gives the endpoint its full concurrency back at once. A slow answer halves
 * too, but never below two: slow is not down, and the slow share is bounded worker-wide anyway.
 */
export class EndpointCondition {
  limit: number;
  failures = 0;
  open = false;

  constructor(private readonly maxConcurrency: number) {
    this.limit = maxConcurrency;
  }

  get state(): number {
    if (this.open) return DELIVERY_STATE.open;
    return this.limit < this.maxConcurrency ? DELIVERY_STATE.slowed : DELIVERY_STATE.normal;
  }

  /** Requests this endpoint may have in flight now. */
  get concurrency(): number {
    return this.open ? 1 : this.limit;
  }

  /** True while the endpoint is held to less than its full share (slowed or open). */
  get constrained(): boolean {
    return this.state !== DELIVERY_STATE.normal;
  }

  record(outcome: 'success' | 'slow' | 'failure'): void {
    if (outcome === 'failure') {
      this.failures++;
      this.limit = Math.max(1, Math.floor(this.limit / 2));
      if (this.failures >= OPEN_AFTER_FAILURES) this.open = true;
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
 * How a result counts for the endpoint's share: failures are answers that say the receiver is
 * down or overloaded (no answer, a reset, a broken response, 5xx, 429); a 4xx or 3xx is a
 * quick, definite answer and costs no more than a success. Slow is an answer that took more
 * than `slowMs`, whatever it said.
 */
export function judgeHealth(result: DeliveryResult, slowMs: number): 'success' | 'slow' | 'failure' {
  const { errorClass, statusCode } = result;
  if (
    errorClass === 'timeout' ||
    errorClass === 'connect' ||
    errorClass === 'dns' ||
    errorClass === 'tls' ||
    errorClass === 'connection_reset' ||
    errorClass === 'invalid_response' ||
    errorClass === 'http_5xx' ||
    statusCode === 429
  )
    return 'failure';
  return result.durationMs > slowMs ? 'slow' : 'success';
}

/**
 * Every endpoint condition of one worker, kept apart from its lanes (which come and go with
 * the work) so a circuit stays open between bursts. Counts endpoints per state for /metrics.
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
  record(endpointId: string, outcome: 'success' | 'slow' | 'failure'): number {
    const condition = this.get(endpointId);
    const before = condition.state;
    condition.record(outcome);
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

  /** Forgets an endpoint that is back to normal (its lane went idle). */
  forgetIfNormal(endpointId: string): void {
    const condition = this.#conditions.get(endpointId);
    if (condition && condition.state === DELIVERY_STATE.normal) {
      this.#conditions.delete(endpointId);
      this.#count(DELIVERY_STATE.normal, -1);
    }
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
