import type { HeraldContext } from '../context.js';

/**
 * A worker's heartbeat: from a timer every `HERALD_HEARTBEAT_MS`, it records that this worker
 * is alive, then releases the leases of workers silent for `HERALD_WORKER_DEAD_AFTER_MS` (their
 * deliveries become due at once and are reported `reclaimed`). A `kill -9` therefore costs a
 * few seconds, not a whole lease. The first beat runs at start, so a worker just started (a
 * `herald serve` restarted after a crash) sends its predecessor's deliveries as soon as that
 * predecessor's heartbeat goes stale. The threshold is several beats long, and beats come from
 * a timer, not from the work loop: a pause shorter than the threshold (a GC, a blocked event
 * loop) costs no leases, and leases are still renewed as before.
 */
export class Heartbeat {
  readonly #ctx: HeraldContext;
  readonly #owner: string;
  readonly #onReleased: () => void;
  readonly #startedAt: number;
  #timer: NodeJS.Timeout | null = null;
  #tick: Promise<void> | null = null;

  constructor(ctx: HeraldContext, owner: string, onReleased: () => void) {
    this.#ctx = ctx;
    this.#owner = owner;
    this.#onReleased = onReleased;
    this.#startedAt = ctx.now();
  }

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => this.#beat(), this.#ctx.config.heartbeatMs);
    this.#beat();
  }

  #beat(): void {
    // One at a time: a beat stuck on a dead connection must not pile up more behind it.
    if (this.#tick) return;
    this.#tick = this.#beatAndSweep().finally(() => {
      this.#tick = null;
    });
  }

  async #beatAndSweep(): Promise<void> {
    const { store, config, logger } = this.#ctx;
    try {
      const now = this.#ctx.now();
      await store.queue.beat(this.#owner, now, this.#startedAt);
      store.health.succeeded();
      // After an outage nobody could beat: give every worker a threshold to beat again
      // before judging any of them dead.
      const back = store.health.recoveredAt;
      if (back !== null && now - back < config.workerDeadAfterMs) return;
      const { owners, released } = await store.queue.releaseDead(now, now - config.workerDeadAfterMs);
      if (owners.length === 0) return;
      logger.warn(
        { owners, released, deadAfterMs: config.workerDeadAfterMs },
        `${owners.length} worker(s) stopped beating; ${released} of their deliveries are due again`,
      );
      if (released > 0) this.#onReleased();
    } catch (err) {
      // A database fault is logged once by the store's health; the next beat tries again.
      if (!store.health.report(err)) logger.error({ err }, 'worker heartbeat failed');
    }
  }

  /** Stops beating and removes this worker's row (a clean stop is not a death). */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#tick;
    try {
      await this.#ctx.store.queue.leave(this.#owner);
    } catch (err) {
      // Left behind, the row goes stale and another worker removes it.
      this.#ctx.store.health.report(err);
    }
  }
}
