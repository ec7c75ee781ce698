import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { HeraldContext } from '../context.js';
import type { ClaimedDelivery } from '../store/queue.js';
import { judge, RequestBuilder, release } from './attempt.js';
import { EndpointHealthBook, judgeHealth } from './endpoint-health.js';
import { FairShare } from './fair-share.js';
import { Heartbeat } from './heartbeat.js';
import type { DeliveryClient, DeliveryRequest } from './http-client.js';
import { Lane, unknownEndpointShare } from './lanes.js';
import { type DisableEndpoint, OutcomeWriter } from './outcome-writer.js';
import { isOutage, StoreWait } from './store-outage.js';

/** Longest idle sleep: a safety net for a missed wake-up, not the way work is found. */
const IDLE_POLL_MS = 5_000;
/** When a delivery whose request cannot be built (undecryptable secrets) is tried again. */
const UNSIGNABLE_RETRY_MS = 60_000;
/**
 * Shortest wait before claiming again after a claim came back short while due rows remain:
 * they are beyond this worker's shares (src/delivery/fair-share.ts) until something finishes,
 * and finishing wakes the worker anyway. Without it, the worker would claim in a busy loop.
 */
const CAPPED_POLL_MS = 250;
/** Most endpoints remembered from new messages' notices; past it, a full claim looks for all. */
const MAX_HINTED = 1_000;

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
 * and a per-endpoint limit, and hands outcomes to a batched writer. It holds at most three
 * times `workerConcurrency` claimed deliveries, so memory is bounded whatever the backlog, and
 * shares them fairly across applications and endpoints (src/delivery/fair-share.ts).
 */
export class Dispatcher {
  readonly owner: string;
  readonly #ctx: HeraldContext;
  readonly #client: DeliveryClient;
  readonly #builder: RequestBuilder;
  readonly #writer: OutcomeWriter;
  readonly #lanes = new Map<string, Lane>();
  /** Each request in flight and what it carries (several deliveries when a FIFO endpoint batches). */
  readonly #inFlightRequests = new Map<Promise<void>, ClaimedDelivery[]>();
  readonly #capacity: number;
  readonly #share: FairShare;
  readonly #health: EndpointHealthBook;
  /** Answers slower than this count as slow for the endpoint's share. */
  readonly #slowMs: number;
  /**
   * False after a claim came back short: completions do not claim again until an application
   * is down to half its share (or a new message, a timer or a retry wakes the worker), so a
   * capped worker does not claim once per finished request.
   */
  #claimGate = true;
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
  readonly #heartbeat: Heartbeat;
  /** While the database is down the worker claims nothing; this wakes it when it is back. */
  readonly #storeWait: StoreWait;
  #waitingForStore = false;
  /** A claim failed with the database connection: it may have leased rows this worker never got. */
  #claimInDoubt = false;
  /** Endpoints new messages made due since the last claim of them ({@link #wakeFor}). */
  readonly #hinted = new Set<string>();
  #lastFullClaimAt = 0;
  /** Wake-ups so far: one during a claim that comes back short makes the worker claim again. */
  #wakes = 0;

  constructor(ctx: HeraldContext, options: DispatcherOptions) {
    this.#ctx = ctx;
    this.#client = options.client;
    this.owner = options.owner ?? `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
    this.#builder = new RequestBuilder(ctx.keyring, ctx.config, options.userAgent);
    this.#writer = new OutcomeWriter(ctx, options.disableEndpoint, (dueAt) => this.#wakeAt(dueAt));
    const { workerConcurrency, endpointConcurrency, requestTimeoutMs } = ctx.config;
    this.#capacity = workerConcurrency * 3;
    this.#share = new FairShare({ workerConcurrency, window: this.#capacity });
    this.#health = new EndpointHealthBook(endpointConcurrency, (state, count) =>
      ctx.metrics.endpointStates.set({ state }, count),
    );
    this.#slowMs = Math.max(1_000, Math.floor(requestTimeoutMs / 2));
    this.#heartbeat = new Heartbeat(ctx, this.owner, () => this.wake());
    this.#storeWait = new StoreWait(ctx.store.health);
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#unsubscribe = this.#ctx.store.onDue((endpointIds) =>
      endpointIds ? this.#wakeFor(endpointIds) : this.wake(),
    );
    this.#renewTimer = setInterval(() => void this.#renewLeases(), this.#ctx.config.leaseMs / 3);
    this.#heartbeat.start();
    this.wake();
  }

  /** Keeps the leases of everything this worker holds, queued or in flight. */
  async #renewLeases(): Promise<void> {
    const ids = this.#heldIds();
    if (ids.length === 0) return;
    try {
      await this.#ctx.store.queue.renew(this.owner, ids, this.#ctx.now() + this.#ctx.config.leaseMs);
    } catch (err) {
      if (!isOutage(this.#ctx.store.health, err)) this.#ctx.logger.error({ err }, 'renewing leases failed');
    }
  }

  /** The deliveries this worker holds, queued or in flight (their outcomes not yet handed over). */
  #heldIds(): string[] {
    const ids = [...this.#inFlightRequests.values()].flat().map((d) => d.id);
    for (const lane of this.#lanes.values()) for (const d of lane.queue) ids.push(d.id);
    return ids;
  }

  /** Looks for due work now (new messages call this through the store's due signal). */
  wake(): void {
    this.#wakes++;
    this.#claimGate = true;
    this.#poke();
  }

  /**
   * New messages for these endpoints: claims them first, looking at those endpoints alone, so a
   * new message's claim does not wait behind a scan of every endpoint owed work (another
   * tenant's 1,000 hanging endpoints made that 11 ms a claim on PostgreSQL, and the healthy
   * tenant's p99 3.4 times its own alone). Then, as any wake-up, a full claim, unless one ran
   * within the last {@link CAPPED_POLL_MS}: a full claim per publish would cost that scan again,
   * and within that time the backlogs it serves lose nothing they would have had.
   */
  #wakeFor(endpointIds: readonly string[]): void {
    if (this.#hinted.size + endpointIds.length > MAX_HINTED) {
      this.wake();
      return;
    }
    for (const id of endpointIds) this.#hinted.add(id);
    if (this.#ctx.now() - this.#lastFullClaimAt >= CAPPED_POLL_MS) this.#claimGate = true;
    this.#poke();
  }

  #poke(): void {
    if (!this.#running) return;
    if (this.#pumping) {
      this.#pumpAgain = true;
      return;
    }
    this.#pumpDone = this.#pump();
  }

  async #pump(): Promise<void> {
    this.#pumping = true;
    // A pump that will not claim (the gate is shut) leaves the pending wake-up in place.
    if (this.#claimGate && this.#idleTimer) {
      clearTimeout(this.#idleTimer);
      this.#idleTimer = null;
    }
    // Whether the last claim of this pump came back short. Not reset by a further round that
    // claims nothing (its gate shut): a wake-up that arrived during a short claim must not
    // cancel the sleep until the next due row, or the worker never looks again (held backlogs
    // released at paced due times stalled after a tick or two on PostgreSQL, whose claim is slow
    // enough for a completion to land in it).
    let exhausted = false;
    try {
      do {
        this.#pumpAgain = false;
        if (this.#hinted.size > 0) await this.#claimHinted();
        while (this.#running && this.#claimGate) {
          if (this.#ctx.store.health.outage) {
            this.#resumeWhenStoreIsBack();
            break;
          }
          const free = this.#capacity - this.#held;
          // Refill in large batches rather than one claim per finished request.
          if (free < Math.min(this.#ctx.config.claimBatchSize, this.#ctx.config.workerConcurrency)) break;
          const limit = Math.min(free, this.#ctx.config.claimBatchSize);
          this.#lastFullClaimAt = this.#ctx.now();
          const wakes = this.#wakes;
          exhausted = (await this.#claim(limit)) < limit;
          // A wake-up during the claim may be for rows it read too early: then it claims again.
          if (exhausted && this.#wakes === wakes) {
            this.#claimGate = false;
            break;
          }
        }
      } while (this.#pumpAgain && this.#running);
      if (exhausted && this.#running) await this.#sleepUntilDue();
    } catch (err) {
      if (isOutage(this.#ctx.store.health, err)) {
        // The claim may have committed with its answer lost on the way.
        this.#claimInDoubt = true;
        this.#resumeWhenStoreIsBack();
      } else {
        this.#ctx.logger.error({ err }, 'claiming deliveries failed; retrying shortly');
        this.#schedulePump(1_000);
      }
    } finally {
      this.#pumping = false;
    }
    if (this.#pumpAgain) this.#poke();
  }

  /**
   * Claims the endpoints new messages named (see {@link #wakeFor}), leaving out those this worker
   * can take nothing of now (a circuit-open or paced endpoint already holding its rounds, one whose
   * application's part is full): they would only make the claim longer. The full claim takes them
   * when they have room. Why (issue 16, bench "Hostile receivers" on SQLite): every publish named
   * the eleven hostile endpoints beside the two healthy ones, and claims (their waits for the
   * write lock included) took 0.6-0.7 s of each second, against 0.3-0.4 s with the eleven disabled.
   */
  async #claimHinted(): Promise<void> {
    const hinted = [...this.#hinted];
    this.#hinted.clear();
    if (!this.#running || this.#ctx.store.health.outage) return;
    const free = this.#capacity - this.#held;
    const limit = Math.min(free, this.#ctx.config.claimBatchSize);
    // No room: the full claim takes them when there is, fairly among the rest.
    if (limit <= 0) {
      this.#claimGate = true;
      return;
    }
    const shares = this.#claimShares();
    const only = hinted.filter((id) => shares.endpoints?.[id] !== 0);
    if (only.length === 0) return;
    // Full: those endpoints may have more due than one claim took.
    if ((await this.#claim(limit, only, shares)) >= limit) this.#claimGate = true;
  }

  /** Claims up to `limit` (from `only`'s endpoints, if given) and takes them on; returns how many. */
  async #claim(limit: number, only?: readonly string[], shares = this.#claimShares()): Promise<number> {
    const now = this.#ctx.now();
    const claimed = await this.#ctx.store.queue.claim(
      this.owner,
      limit,
      now,
      now + this.#ctx.config.leaseMs,
      shares,
      only,
    );
    for (const delivery of claimed) this.#accept(delivery, now);
    return claimed.length;
  }

  /**
   * Stops claiming until the database is back (requests in flight go on; their outcomes wait
   * in the writer), then runs one catch-up claim at once rather than at the next idle poll.
   */
  #resumeWhenStoreIsBack(): void {
    if (this.#waitingForStore) return;
    this.#waitingForStore = true;
    this.#storeWait.once(() => {
      this.#waitingForStore = false;
      void this.#releaseUnheld().then(() => this.wake());
    });
  }

  /**
   * After a claim that failed with the connection: gives back whatever the database leased to
   * this worker that the worker does not hold (the answer of a claim that committed was lost),
   * so it is sent now, not when its lease runs out. Seen: 16 of 800 acknowledged messages
   * waiting out a 60 s lease after PostgreSQL connections were cut mid-drain.
   */
  async #releaseUnheld(): Promise<void> {
    if (!this.#claimInDoubt) return;
    const held = [...this.#heldIds(), ...this.#writer.heldIds()];
    try {
      const released = await this.#ctx.store.queue.releaseUnheld(this.owner, held, this.#ctx.now());
      this.#claimInDoubt = false;
      if (released > 0)
        this.#ctx.logger.warn(
          { released },
          'deliveries leased by a claim whose answer was lost are due again',
        );
    } catch (err) {
      // Still in doubt: the next outage wait tries again.
      if (!isOutage(this.#ctx.store.health, err))
        this.#ctx.logger.error({ err }, 'releasing lost claims failed');
    }
  }

  async #sleepUntilDue(): Promise<void> {
    const next = await this.#ctx.store.queue.nextDueAt();
    const now = this.#ctx.now();
    // Due already, yet the claim came back short: beyond this worker's shares for now.
    const wait =
      next === null ? IDLE_POLL_MS : next <= now ? CAPPED_POLL_MS : Math.min(next - now, IDLE_POLL_MS);
    this.#schedulePump(wait);
  }

  /** What the next claim may bring, given what this worker holds (src/delivery/fair-share.ts). */
  #claimShares() {
    const { leaseMs, endpointConcurrency } = this.#ctx.config;
    const lanes = [...this.#lanes.values()].map((lane) => {
      const rate = lane.queue[0]?.endpointThrottleRate ?? null;
      const capacity = lane.capacityWithin(leaseMs / 2, endpointConcurrency, rate);
      const slow = lane.condition.inSlowShare;
      return {
        endpointId: lane.endpointId,
        appId: lane.appId,
        held: lane.queue.length + lane.inFlight,
        // A slowed or open endpoint holds no more than two rounds of what it may start: held
        // beyond that, its deliveries only fill its application's share and keep that
        // application's healthy endpoints waiting (measured: healthy p99 0.6 s -> 8 s beside
        // the eleven hostile modes, bench "Hostile receivers" on PostgreSQL).
        capacity: slow ? Math.min(capacity, 2 * lane.limit(endpointConcurrency)) : capacity,
        slow,
      };
    });
    return this.#share.claimShares(
      lanes,
      this.#health.constrained(),
      unknownEndpointShare(endpointConcurrency),
    );
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
      this.#claimGate = true;
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
      lane = new Lane(delivery.endpointId, delivery.appId, this.#health.get(delivery.endpointId));
      this.#lanes.set(delivery.endpointId, lane);
    }
    const { endpointConcurrency, leaseMs } = this.#ctx.config;
    // A FIFO key's run is kept whole: given back in part, a later delivery could overtake an earlier one.
    if (
      delivery.orderingKey === null &&
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
    this.#share.hold(lane.appId);
    // A batching FIFO key starts once the rest of its run from this claim is queued too.
    if (delivery.fifoBatchSize > 1 && delivery.orderingKey !== null) queueMicrotask(() => this.#drain(lane));
    else this.#drain(lane);
  }

  /** Starts what the lane and the worker have room for. */
  #drain(lane: Lane): void {
    const { workerConcurrency, endpointConcurrency } = this.#ctx.config;
    const shared = this.#ctx.store.queue.takeTokens !== undefined;
    while (
      this.#running &&
      lane.queue.length > 0 &&
      lane.inFlight < lane.limit(endpointConcurrency) &&
      this.#inFlight < workerConcurrency &&
      this.#share.mayStart(lane.appId, lane.condition.inSlowShare)
    ) {
      // An open circuit's next probe, or a receiver that drops its connections, may have to wait.
      const wait = lane.condition.waitMs(this.#ctx.now());
      if (wait > 0) {
        this.#drainLater(lane, wait);
        return;
      }
      const next = lane.next();
      // Every queued delivery is of a FIFO key with one in flight: its end drains the lane again.
      if (!next) return;
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
      this.#send(lane, lane.start(next));
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
        if (!isOutage(this.#ctx.store.health, err))
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

  #send(lane: Lane, batch: ClaimedDelivery[]): void {
    const delivery = batch[0]!;
    const started = this.#ctx.now();
    let request: DeliveryRequest;
    try {
      request = this.#builder.build(batch, started);
    } catch (err) {
      // Its secrets or headers cannot be decrypted (a main key missing from the configuration,
      // say): nothing was sent. Given back for later, so the worker keeps its capacity.
      this.#ctx.logger.error(
        { err, deliveryId: delivery.id, endpointId: delivery.endpointId },
        'cannot build the signed request; is the main key that encrypted this endpoint configured? Trying again in a minute',
      );
      for (const d of [...batch, ...lane.finish(delivery, false)])
        this.#giveBack(lane, d, started + UNSIGNABLE_RETRY_MS);
      this.#forgetIfIdle(lane);
      return;
    }
    lane.inFlight++;
    this.#inFlight++;
    // Counted against the slow share as it was when the request started, and given back so.
    const slow = lane.condition.inSlowShare;
    this.#share.started(lane.appId, slow);
    this.#ctx.metrics.inFlight.inc();
    let movedOn = false;
    const promise = this.#client.send(request).then(
      (result) => {
        const now = this.#ctx.now();
        const health = judgeHealth(result, this.#slowMs);
        const state = this.#health.record(
          lane.endpointId,
          health,
          now,
          result.durationMs / 1000,
          result.reconnected,
        );
        this.#trim(lane, now);
        for (const d of batch) {
          const judgement = judge(d, this.owner, request, result, this.#ctx.config.retrySchedule, now, batch);
          movedOn = judgement.outcome.leavesLine === true;
          this.#writer.addJudgement(d, judgement, result, state);
        }
      },
      (err) =>
        this.#ctx.logger.error({ err, deliveryId: delivery.id }, 'delivery crashed; its lease will expire'),
    );
    const tracked = promise.finally(() => {
      this.#inFlightRequests.delete(tracked);
      lane.inFlight--;
      this.#inFlight--;
      this.#held -= batch.length;
      this.#share.finished(lane.appId, slow);
      for (const _ of batch) this.#share.drop(lane.appId);
      this.#ctx.metrics.inFlight.dec();
      for (const d of lane.finish(delivery, movedOn)) this.#giveBack(lane, d, this.#ctx.now());
      this.#afterSend(lane);
    });
    this.#inFlightRequests.set(tracked, batch);
  }

  /**
   * A slowed or open endpoint keeps two rounds of what it may start and gives the rest back, due
   * now: held, they would only fill its application's share while they wait for probes (the
   * claim brings no more than that while it stays constrained, src/delivery/fair-share.ts).
   */
  #trim(lane: Lane, now: number): void {
    if (!lane.condition.constrained) return;
    const keep = 2 * lane.limit(this.#ctx.config.endpointConcurrency);
    if (lane.queue.length <= keep) return;
    for (const delivery of lane.queue.splice(keep)) this.#giveBack(lane, delivery, now);
  }

  /** Gives a held delivery back to the queue, untried, due at `dueAt`. */
  #giveBack(lane: Lane, delivery: ClaimedDelivery, dueAt: number): void {
    this.#held--;
    this.#share.drop(lane.appId);
    this.#writer.add(release(delivery, this.owner, dueAt));
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
    // Refill when the application is down to half its share (a lone one: half the window).
    if (this.#share.heldOf(lane.appId) <= this.#share.appHeldCap / 2) this.#claimGate = true;
    this.#poke();
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
      for (const delivery of lane.queue.splice(0)) this.#giveBack(lane, delivery, now);
    }
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, deadlineMs);
    });
    await Promise.race([Promise.allSettled([...this.#inFlightRequests.keys()]), deadline]);
    clearTimeout(timer);
    // Requests still running past the deadline are given back; the process is about to end them.
    for (const delivery of [...this.#inFlightRequests.values()].flat())
      this.#writer.add(release(delivery, this.owner, this.#ctx.now()));
    this.#storeWait.cancel();
    await this.#writer.close();
    this.#lanes.clear();
    await this.#heartbeat.stop();
  }

  /** Claimed deliveries held in memory (queued or in flight). */
  get held(): number {
    return this.#held;
  }
}
