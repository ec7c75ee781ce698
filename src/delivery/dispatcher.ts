import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { HeraldContext } from '../context.js';
import type { ClaimedDelivery } from '../store/queue.js';
import { judge, RequestBuilder, release } from './attempt.js';
import type { DeliveryClient, DeliveryRequest } from './http-client.js';
import { Lane } from './lanes.js';
import { type DisableEndpoint, OutcomeWriter } from './outcome-writer.js';

/** Longest idle sleep: a safety net for a missed wake-up, not the way work is found. */
const IDLE_POLL_MS = 5_000;
/** When a delivery whose request cannot be built (undecryptable secrets) is tried again. */
const UNSIGNABLE_RETRY_MS = 60_000;

export interface DispatcherOptions {
  client: DeliveryClient;
  userAgent: string;
  /** Disables an endpoint that answered 410 or failed too long (the endpoint domain's). */
  disableEndpoint: DisableEndpoint;
  /** Lease owner name; unique per process by default. */
  owner?: string;
}

/**
 * The worker: claims due deliveries in batches under a lease, sends them with a global
 * and a per-endpoint limit, and hands outcomes to a batched writer. It holds at most
 * twice `workerConcurrency` claimed deliveries, so memory is bounded whatever the backlog.
 */
export class Dispatcher {
  readonly owner: string;
  readonly #ctx: HeraldContext;
  readonly #client: DeliveryClient;
  readonly #builder: RequestBuilder;
  readonly #writer: OutcomeWriter;
  readonly #lanes = new Map<string, Lane>();
  readonly #inFlightRequests = new Map<Promise<void>, ClaimedDelivery>();
  readonly #capacity: number;
  #held = 0;
  #inFlight = 0;
  #running = false;
  #pumping = false;
  /** The pump under way, if any: stop() waits for it so a claim in flight is not left leased. */
  #pumpDone: Promise<void> = Promise.resolve();
  #pumpAgain = false;
  #idleTimer: NodeJS.Timeout | null = null;
  #idleAt = 0;
  #renewTimer: NodeJS.Timeout | null = null;
  #laneTimers = new Map<string, NodeJS.Timeout>();
  #unsubscribe: (() => void) | null = null;

  constructor(ctx: HeraldContext, options: DispatcherOptions) {
    this.#ctx = ctx;
    this.#client = options.client;
    this.owner = options.owner ?? `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
    this.#builder = new RequestBuilder(ctx.keyring, ctx.config, options.userAgent);
    this.#writer = new OutcomeWriter(ctx, options.disableEndpoint, (dueAt) => this.#wakeAt(dueAt));
    this.#capacity = ctx.config.workerConcurrency * 2;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#unsubscribe = this.#ctx.store.onDue(() => this.wake());
    this.#renewTimer = setInterval(() => void this.#renewLeases(), this.#ctx.config.leaseMs / 3);
    this.wake();
  }

  /** Keeps the leases of everything this worker holds, queued or in flight. */
  async #renewLeases(): Promise<void> {
    const ids = [...this.#inFlightRequests.values()].map((d) => d.id);
    for (const lane of this.#lanes.values()) for (const d of lane.queue) ids.push(d.id);
    if (ids.length === 0) return;
    try {
      await this.#ctx.store.queue.renew(this.owner, ids, this.#ctx.now() + this.#ctx.config.leaseMs);
    } catch (err) {
      this.#ctx.logger.error({ err }, 'renewing leases failed');
    }
  }

  /** Looks for due work now (new messages call this through the store's due signal). */
  wake(): void {
    if (!this.#running) return;
    if (this.#pumping) {
      this.#pumpAgain = true;
      return;
    }
    this.#pumpDone = this.#pump();
  }

  async #pump(): Promise<void> {
    this.#pumping = true;
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    this.#idleTimer = null;
    let exhausted = false;
    try {
      do {
        this.#pumpAgain = false;
        exhausted = false;
        while (this.#running) {
          const free = this.#capacity - this.#held;
          // Refill in large batches rather than one claim per finished request.
          if (free < Math.min(this.#ctx.config.claimBatchSize, this.#capacity / 2)) break;
          const limit = Math.min(free, this.#ctx.config.claimBatchSize);
          const now = this.#ctx.now();
          const claimed = await this.#ctx.store.queue.claim(
            this.owner,
            limit,
            now,
            now + this.#ctx.config.leaseMs,
          );
          for (const delivery of claimed) this.#accept(delivery, now);
          if (claimed.length < limit) {
            exhausted = true;
            break;
          }
        }
      } while (this.#pumpAgain && this.#running);
      if (exhausted && this.#running) await this.#sleepUntilDue();
    } catch (err) {
      this.#ctx.logger.error({ err }, 'claiming deliveries failed; retrying shortly');
      this.#schedulePump(1_000);
    } finally {
      this.#pumping = false;
    }
    if (this.#pumpAgain) this.wake();
  }

  async #sleepUntilDue(): Promise<void> {
    const next = await this.#ctx.store.queue.nextDueAt();
    const wait = next === null ? IDLE_POLL_MS : Math.max(0, Math.min(next - this.#ctx.now(), IDLE_POLL_MS));
    this.#schedulePump(wait);
  }

  #schedulePump(ms: number): void {
    if (!this.#running) return;
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    this.#idleAt = this.#ctx.now() + ms;
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = null;
      this.wake();
    }, ms);
  }

  /** Makes sure the worker looks for work again by `dueAt` (a retry it just scheduled). */
  #wakeAt(dueAt: number): void {
    if (!this.#running || (this.#idleTimer && this.#idleAt <= dueAt)) return;
    if (this.#pumping) {
      this.#pumpAgain = true;
      return;
    }
    this.#schedulePump(Math.max(0, dueAt - this.#ctx.now()));
  }

  #accept(delivery: ClaimedDelivery, now: number): void {
    if (delivery.reclaimed) this.#ctx.metrics.leasesReclaimed.inc();
    if (delivery.endpointDisabled) {
      // Held, not dropped: enabling the endpoint makes it due again.
      this.#writer.add(release(delivery, this.owner, null));
      return;
    }
    let lane = this.#lanes.get(delivery.endpointId);
    if (!lane) {
      lane = new Lane(delivery.endpointId);
      this.#lanes.set(delivery.endpointId, lane);
    }
    const { endpointConcurrency, leaseMs } = this.#ctx.config;
    if (
      lane.queue.length >=
      lane.capacityWithin(leaseMs / 2, endpointConcurrency, delivery.endpointThrottleRate)
    ) {
      // This endpoint could not take it before the lease ran out: give it back for later.
      const backoff = Math.round(Math.min(leaseMs / 2, 1_000 + Math.random() * 1_000));
      this.#writer.add(release(delivery, this.owner, now + backoff));
      return;
    }
    lane.queue.push(delivery);
    this.#held++;
    this.#drain(lane);
  }

  /** Starts what the lane and the worker have room for. */
  #drain(lane: Lane): void {
    const { workerConcurrency, endpointConcurrency } = this.#ctx.config;
    const shared = this.#ctx.store.queue.takeTokens !== undefined;
    while (
      this.#running &&
      lane.queue.length > 0 &&
      lane.inFlight < lane.limit(endpointConcurrency) &&
      this.#inFlight < workerConcurrency
    ) {
      const next = lane.queue[0]!;
      const rate = next.endpointThrottleRate;
      if (rate && shared) {
        if (lane.granted === 0) {
          this.#fetchTokens(lane, rate);
          return;
        }
        lane.granted--;
      } else {
        const wait = lane.takeToken(rate, this.#ctx.now());
        if (wait > 0) {
          this.#drainLater(lane, wait);
          return;
        }
      }
      lane.queue.shift();
      this.#send(lane, next);
    }
  }

  /** Asks the shared bucket for a few tokens at a time (a quarter second's worth), then drains. */
  #fetchTokens(lane: Lane, rate: number): void {
    if (lane.fetching) return;
    lane.fetching = true;
    const want = Math.min(lane.queue.length, Math.max(1, Math.ceil(rate / 4)));
    this.#ctx.store.queue.takeTokens!(lane.endpointId, rate, want).then(
      (granted) => {
        lane.fetching = false;
        lane.granted += granted;
        if (granted > 0) this.#drain(lane);
        else this.#drainLater(lane, Math.ceil(1000 / rate));
      },
      (err) => {
        lane.fetching = false;
        this.#ctx.logger.error({ err, endpointId: lane.endpointId }, 'taking rate-limit tokens failed');
        this.#drainLater(lane, 1_000);
      },
    );
  }

  #drainLater(lane: Lane, ms: number): void {
    if (this.#laneTimers.has(lane.endpointId)) return;
    this.#laneTimers.set(
      lane.endpointId,
      setTimeout(() => {
        this.#laneTimers.delete(lane.endpointId);
        this.#drain(lane);
      }, ms),
    );
  }

  #send(lane: Lane, delivery: ClaimedDelivery): void {
    const started = this.#ctx.now();
    let request: DeliveryRequest;
    try {
      request = this.#builder.build(delivery, started);
    } catch (err) {
      // Its secrets or headers cannot be decrypted (a main key missing from the configuration,
      // say): nothing was sent. Given back for later, so the worker keeps its capacity.
      this.#ctx.logger.error(
        { err, deliveryId: delivery.id, endpointId: delivery.endpointId },
        'cannot build the signed request; is the main key that encrypted this endpoint configured? Trying again in a minute',
      );
      this.#held--;
      this.#writer.add(release(delivery, this.owner, started + UNSIGNABLE_RETRY_MS));
      this.#forgetIfIdle(lane);
      return;
    }
    lane.inFlight++;
    this.#inFlight++;
    this.#ctx.metrics.inFlight.inc();
    const promise = this.#client.send(request).then(
      (result) => {
        const now = this.#ctx.now();
        const unreachable = result.errorClass === 'timeout' || result.errorClass === 'connect';
        lane.recordAnswer(result.durationMs / 1000, unreachable);
        this.#writer.addJudgement(
          delivery,
          judge(delivery, this.owner, request, result, this.#ctx.config.retrySchedule, now),
          result,
        );
      },
      (err) =>
        this.#ctx.logger.error({ err, deliveryId: delivery.id }, 'delivery crashed; its lease will expire'),
    );
    const tracked = promise.finally(() => {
      this.#inFlightRequests.delete(tracked);
      lane.inFlight--;
      this.#inFlight--;
      this.#held--;
      this.#ctx.metrics.inFlight.dec();
      this.#afterSend(lane);
    });
    this.#inFlightRequests.set(tracked, delivery);
  }

  #afterSend(lane: Lane): void {
    if (!this.#running) return;
    this.#drain(lane);
    // A global slot freed: other lanes may have been waiting for it.
    if (this.#inFlight < this.#ctx.config.workerConcurrency) {
      for (const other of this.#lanes.values()) {
        if (other !== lane && other.queue.length > 0) this.#drain(other);
        if (this.#inFlight >= this.#ctx.config.workerConcurrency) break;
      }
    }
    this.#forgetIfIdle(lane);
    this.wake();
  }

  /** Drops a lane with nothing queued or in flight (the next delivery for it makes a new one). */
  #forgetIfIdle(lane: Lane): void {
    if (lane.queue.length === 0 && lane.inFlight === 0) this.#lanes.delete(lane.endpointId);
  }

  /**
   * Stops taking work, lets in-flight requests finish until `deadlineMs`, and gives back
   * everything not finished so another worker can take it at once.
   */
  async stop(deadlineMs = this.#ctx.config.shutdownTimeoutMs): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#unsubscribe?.();
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    if (this.#renewTimer) clearInterval(this.#renewTimer);
    for (const timer of this.#laneTimers.values()) clearTimeout(timer);
    this.#laneTimers.clear();
    // A claim may be on its way back: let it land in the lanes, then give everything back.
    await this.#pumpDone;
    const now = this.#ctx.now();
    for (const lane of this.#lanes.values()) {
      for (const delivery of lane.queue.splice(0)) {
        this.#held--;
        this.#writer.add(release(delivery, this.owner, now));
      }
    }
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, deadlineMs);
    });
    await Promise.race([Promise.allSettled([...this.#inFlightRequests.keys()]), deadline]);
    clearTimeout(timer);
    // Requests still running past the deadline are given back; the process is about to end them.
    for (const delivery of this.#inFlightRequests.values())
      this.#writer.add(release(delivery, this.owner, this.#ctx.now()));
    await this.#writer.close();
    this.#lanes.clear();
  }

  /** Claimed deliveries held in memory (queued or in flight). */
  get held(): number {
    return this.#held;
  }
}
