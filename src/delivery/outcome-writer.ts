import type { Kysely } from 'kysely';
import type { HeraldContext } from '../context.js';
import type { ClaimedDelivery, DeliveryOutcome, EndpointHealth } from '../store/queue.js';
import type { Database } from '../store/schema.js';
import type { Judgement } from './attempt.js';
import { logAttempt } from './attempt-log.js';
import type { DeliveryResult } from './http-client.js';
import { operationalEvent } from './operational/events.js';
import { isOutage, StoreWait } from './store-outage.js';

/**
 * Flush when this many outcomes wait, or after FLUSH_DELAY_MS, whichever comes first. 20 ms
 * rather than 5: a quarter of the transactions at a few thousand deliveries a second, which
 * on PostgreSQL measured +0.07–0.11 × B0 on the drain (same on SQLite, within its noise).
 */
const FLUSH_SIZE = 512;
const FLUSH_DELAY_MS = 20;
/**
 * Sooner when an outcome moved a FIFO key on: the key's next delivery cannot be claimed until this
 * one's row leaves the line, so every message of a key waited for the 20 ms (issue 22).
 */
const LINE_FLUSH_DELAY_MS = 1;
/** Tries to write one batch, on an error that is not a database outage, before leaving it to lease expiry. */
const WRITE_TRIES = 5;
/**
 * Outcomes held in memory at most while the database is down (the worker claims nothing
 * meanwhile, so this is what it had in hand, ~2 × HERALD_WORKER_CONCURRENCY, and then some).
 * Past it, or past a lease, outcomes are dropped: those deliveries are sent again (at least once).
 */
const MAX_HELD_OUTCOMES = 10_000;
/** Svix sends `message.attempt.failing` once a message has failed this many times. */
const FAILING_AFTER_ATTEMPTS = 4;

/**
 * Disables an endpoint, recording why; answers the ids its `endpoint.disabled` event names, or
 * null when it was already disabled or is gone. The endpoint domain's `disableEndpoint`, passed
 * in by whoever starts the worker, since delivery/ sits below the domains.
 */
export type DisableEndpoint = (
  db: Kysely<Database>,
  endpointId: string,
  reason: string,
  now: number,
) => Promise<DisabledEndpoint | null>;

/** Whose endpoint was disabled: the ids its operational webhook carries. */
export interface DisabledEndpoint {
  appId: string;
  appUid: string | null;
  endpointUid: string | null;
}

interface Effects {
  exhausted: ClaimedDelivery[];
  /** FIFO heads that exhausted their retries: their keys blocked, or skipped them. */
  keyStopped: ClaimedDelivery[];
  failing: ClaimedDelivery[];
  recovered: ClaimedDelivery[];
  gone: ClaimedDelivery[];
  lastAttempt: Map<string, { id: string; timestamp: string; responseStatusCode: number }>;
}

/**
 * Writes delivery outcomes in batches: one transaction records the attempts, reschedules
 * the deliveries and updates endpoint health for hundreds of deliveries at once. Effects
 * that follow (disabling endpoints, operational events) run after the batch commits.
 */
export class OutcomeWriter {
  #outcomes: DeliveryOutcome[] = [];
  #health = new Map<string, EndpointHealth>();
  #effects: Effects = newEffects();
  #timer: NodeJS.Timeout | null = null;
  #flushing: Promise<void> | null = null;
  /** The delay the pending flush timer was set with. */
  #timerMs = FLUSH_DELAY_MS;
  #closed = false;
  #closing = false;
  /** The batch being written (held while the database is down; still leased to this worker). */
  #writing: DeliveryOutcome[] = [];
  #droppedOverBound = false;
  readonly #storeWait: StoreWait;

  constructor(
    private readonly ctx: HeraldContext,
    private readonly disableEndpoint: DisableEndpoint,
    /** Told the earliest due time a batch wrote, so the worker wakes for retries it scheduled. */
    private readonly onScheduled: (dueAt: number) => void = () => {},
  ) {
    this.#storeWait = new StoreWait(ctx.store.health);
  }

  /** Past the bound, an outcome is let go: its lease expires and the delivery is sent again. */
  #full(): boolean {
    if (this.#outcomes.length + this.#writing.length < MAX_HELD_OUTCOMES) return false;
    if (!this.#droppedOverBound) {
      this.#droppedOverBound = true;
      this.ctx.logger.warn(
        { held: MAX_HELD_OUTCOMES },
        'too many delivery outcomes held while the database is down; the ones past the bound will be delivered again',
      );
    }
    return true;
  }

  /** Deliveries whose outcome is queued or being written: still leased to this worker. */
  heldIds(): string[] {
    return [...this.#outcomes, ...this.#writing].map((o) => o.deliveryId);
  }

  /** Queues an outcome that involved no request (a release or a held delivery). */
  add(outcome: DeliveryOutcome): void {
    if (this.#closed || this.#full()) return;
    this.#outcomes.push(outcome);
    this.#schedule();
  }

  /** Queues the outcome of a request, with its effects on the endpoint. */
  addJudgement(
    delivery: ClaimedDelivery,
    judgement: Judgement,
    result: DeliveryResult,
    /** The endpoint's delivery state after this result (DELIVERY_STATE), shown by the API. */
    deliveryState?: number,
  ): void {
    if (this.#closed || this.#full()) return;
    const { outcome } = judgement;
    logAttempt(this.ctx.logger, delivery, judgement);
    this.#outcomes.push(outcome);
    const at = outcome.attempt?.created_at ?? this.ctx.now();
    const health = this.#health.get(delivery.endpointId) ?? {
      endpointId: delivery.endpointId,
      lastSuccessAt: null,
      lastFailureAt: null,
      trailingFailures: 0,
      firstTrailingFailureAt: null,
    };
    if (judgement.success) {
      health.lastSuccessAt = at;
      health.trailingFailures = 0;
      health.firstTrailingFailureAt = null;
    } else {
      health.lastFailureAt = at;
      health.trailingFailures++;
      health.firstTrailingFailureAt ??= at;
    }
    if (deliveryState !== undefined) health.deliveryState = deliveryState;
    this.#health.set(delivery.endpointId, health);

    const m = this.ctx.metrics;
    m.attempts.inc({
      outcome: judgement.success ? 'success' : 'failure',
      error_class: result.errorClass ?? 'none',
    });
    m.attemptDuration.observe(result.durationMs / 1000);
    if (judgement.success) m.deliveries.inc({ status: 'success' });
    if (judgement.exhausted) m.deliveries.inc({ status: 'exhausted' });

    if (outcome.attempt) {
      this.#effects.lastAttempt.set(delivery.id, {
        id: outcome.attempt.id,
        timestamp: new Date(outcome.attempt.created_at).toISOString(),
        responseStatusCode: outcome.attempt.response_status_code,
      });
      if (judgement.exhausted) {
        this.#effects.exhausted.push(delivery);
        if (delivery.orderingKey !== null) this.#effects.keyStopped.push(delivery);
      } else if (!judgement.success && outcome.attemptCount === FAILING_AFTER_ATTEMPTS)
        this.#effects.failing.push(delivery);
      else if (judgement.success && outcome.attemptCount > FAILING_AFTER_ATTEMPTS)
        this.#effects.recovered.push(delivery);
    }
    if (judgement.gone) this.#effects.gone.push(delivery);
    this.#schedule(outcome.leavesLine === true);
  }

  #schedule(soon = false): void {
    if (this.#outcomes.length >= FLUSH_SIZE) {
      void this.flush();
      return;
    }
    if (soon && this.#timerMs > LINE_FLUSH_DELAY_MS && this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    if (this.#timer) return;
    this.#timerMs = soon ? LINE_FLUSH_DELAY_MS : FLUSH_DELAY_MS;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.flush();
    }, this.#timerMs);
  }

  /** Writes everything queued so far; concurrent calls share one write at a time. */
  async flush(): Promise<void> {
    while (this.#flushing) await this.#flushing;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#outcomes.length === 0) return;
    const outcomes = this.#outcomes;
    const health = [...this.#health.values()];
    const effects = this.#effects;
    this.#outcomes = [];
    this.#health = new Map();
    this.#effects = newEffects();
    this.#writing = outcomes;
    this.#flushing = this.#write(outcomes, health, effects).finally(() => {
      this.#flushing = null;
      this.#writing = [];
    });
    await this.#flushing;
  }

  async #write(outcomes: DeliveryOutcome[], health: EndpointHealth[], effects: Effects): Promise<void> {
    const { store, logger, config } = this.ctx;
    let after: Awaited<ReturnType<typeof store.queue.complete>> | undefined;
    const heldSince = this.ctx.now();
    for (let attempt = 1, outage = 0; after === undefined; attempt++) {
      try {
        after = await store.queue.complete(outcomes, health, this.ctx.now());
        store.health.succeeded();
        this.#droppedOverBound = false;
      } catch (err) {
        if (isOutage(store.health, err)) {
          // The database is down: hold the batch and write it once it is back, unless the
          // process is stopping or the leases have run out (another worker may have these
          // deliveries by now): then let go, and they are sent again.
          if (this.#closing || this.ctx.now() - heldSince > config.leaseMs) {
            logger.warn(
              { count: outcomes.length, heldMs: this.ctx.now() - heldSince },
              'delivery outcomes not recorded while the database was down; those deliveries will be sent again',
            );
            return;
          }
          await this.#storeWait.wait(outage++);
          attempt = 0;
          continue;
        }
        // A passing database fault should not turn into duplicate deliveries: try again a few
        // times. After that the leases expire and the deliveries are made again: nothing is lost.
        if (attempt >= WRITE_TRIES) {
          logger.error(
            { err, count: outcomes.length },
            'recording delivery outcomes failed; the leases will expire',
          );
          return;
        }
        logger.warn({ err, count: outcomes.length, attempt }, 'recording delivery outcomes failed; retrying');
        await new Promise((r) => setTimeout(r, 200 * attempt));
      }
    }
    const now = this.ctx.now();
    let earliest = Number.POSITIVE_INFINITY;
    for (const o of outcomes) {
      if (o.dueAt !== null && o.dueAt < earliest) earliest = o.dueAt;
      // A FIFO key moved on: its next delivery is its head now, due already.
      if (o.leavesLine) earliest = Math.min(earliest, now);
    }
    if (earliest !== Number.POSITIVE_INFINITY) this.onScheduled(earliest);
    for (const delivery of effects.gone) {
      await this.#disable(delivery.endpointId, 'The endpoint answered 410 Gone.', 'gone');
    }
    if (config.endpointFailureDisableAfterMs > 0) {
      for (const h of after) {
        if (h.firstFailureAt !== null && now - h.firstFailureAt >= config.endpointFailureDisableAfterMs) {
          const since = new Date(h.firstFailureAt).toISOString();
          await this.#disable(
            h.endpointId,
            `Every attempt has failed since ${since}.`,
            'failing',
            h.firstFailureAt,
          );
        }
      }
    }
    const keyStopped = (d: ClaimedDelivery) =>
      d.fifoOnExhausted === 'skip'
        ? operationalEvent.orderingKeySkipped
        : operationalEvent.orderingKeyBlocked;
    for (const [build, list] of [
      [() => operationalEvent.messageAttemptExhausted, effects.exhausted],
      [() => operationalEvent.messageAttemptFailing, effects.failing],
      [() => operationalEvent.messageAttemptRecovered, effects.recovered],
      [keyStopped, effects.keyStopped],
    ] as const) {
      for (const d of list) {
        const lastAttempt = effects.lastAttempt.get(d.id);
        if (!lastAttempt) continue;
        this.ctx.events.emit(
          build(d)({
            appId: d.appId,
            appUid: d.appUid,
            msgId: d.msgId,
            msgEventId: d.eventId,
            endpointId: d.endpointId,
            lastAttempt,
            orderingKey: d.orderingKey ?? '',
          }),
        );
      }
    }
  }

  async #disable(endpointId: string, reason: string, label: string, failSince?: number): Promise<void> {
    try {
      const endpoint = await this.disableEndpoint(this.ctx.store.db, endpointId, reason, this.ctx.now());
      if (!endpoint) return;
      this.ctx.metrics.endpointsDisabled.inc({ reason: label });
      this.ctx.logger.warn({ endpointId, reason }, 'endpoint disabled');
      this.ctx.events.emit(
        operationalEvent.endpointDisabled({
          ...endpoint,
          endpointId,
          failSince: new Date(failSince ?? this.ctx.now()),
          trigger: 'automatic',
        }),
      );
    } catch (err) {
      this.ctx.logger.error({ err, endpointId }, 'disabling endpoint failed');
    }
  }

  /**
   * Flushes what is queued and refuses anything later. While the database is down, a held
   * batch gets one more try, then is let go (the process is stopping; its leases expire).
   */
  async close(): Promise<void> {
    this.#closing = true;
    this.#storeWait.cancel();
    await this.flush();
    this.#closed = true;
  }
}

function newEffects(): Effects {
  return { exhausted: [], keyStopped: [], failing: [], recovered: [], gone: [], lastAttempt: new Map() };
}
