import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { HeraldContext } from '../../context.js';
import { executeTask, pause } from './execute.js';
import { claimableTasks, leaseTask, releaseTaskLeases, renewTaskLease, type TaskRow } from './repo.js';

/** How often an idle runner looks for tasks another process created. */
const POLL_MS = 1_000;
/** A task whose runner stopped renewing for this long is resumed by another. */
const LEASE_MS = 30_000;
/** Tasks one process runs at once; they mostly wait on their pacing. */
const MAX_TASKS = 8;

export interface TaskRunnerOptions {
  /** Lease owner name; unique per process by default. */
  owner?: string;
  pollMs?: number;
  leaseMs?: number;
  maxTasks?: number;
}

export interface TaskRunner {
  readonly owner: string;
  /** Stops taking tasks, lets running ones finish their current batch, and gives them back. */
  stop(): Promise<void>;
}

/** A task this process runs: how to stop it, and when it has. */
interface RunningTask {
  abort: AbortController;
  done: Promise<void>;
}

/**
 * The runner behind `startTaskRunner`: claims free tasks while it has room, runs each under a
 * lease it renews, and on stop gives back what it holds.
 */
class BackgroundTaskRunner implements TaskRunner {
  readonly owner: string;
  readonly #ctx: HeraldContext;
  readonly #pollMs: number;
  readonly #leaseMs: number;
  readonly #maxTasks: number;
  readonly #running = new Map<string, RunningTask>();
  readonly #stopping = new AbortController();
  /** The claiming pass in progress, if any; a wake-up during one asks for another. */
  #polling: Promise<void> | null = null;
  #pollAgain = false;
  #stopListening: () => void = () => {};
  #loop: Promise<void> = Promise.resolve();

  constructor(ctx: HeraldContext, options: TaskRunnerOptions) {
    this.#ctx = ctx;
    this.owner = options.owner ?? `${hostname()}:${process.pid}:tasks:${randomBytes(4).toString('hex')}`;
    this.#pollMs = options.pollMs ?? POLL_MS;
    this.#leaseMs = options.leaseMs ?? LEASE_MS;
    this.#maxTasks = options.maxTasks ?? MAX_TASKS;
  }

  /** Polls every `pollMs`, and at once when a task is created in this process. */
  start(): void {
    this.#stopListening = this.#ctx.taskWakeups.listen(() => this.#poll());
    this.#loop = (async () => {
      while (!this.#stopping.signal.aborted) {
        this.#poll();
        await pause(this.#pollMs, this.#stopping.signal);
      }
    })();
  }

  async stop(): Promise<void> {
    if (this.#stopping.signal.aborted) return;
    this.#stopping.abort();
    this.#stopListening();
    await this.#loop;
    await this.#polling;
    for (const task of this.#running.values()) task.abort.abort();
    await Promise.all([...this.#running.values()].map((t) => t.done));
    // Given back at once, so another process resumes them without waiting out the lease.
    await releaseTaskLeases(this.#ctx.store.db, this.owner).catch((err: unknown) =>
      this.#ctx.logger.warn({ err }, 'giving back background tasks failed'),
    );
  }

  /** Starts a claiming pass, or asks the one in progress for another round. */
  #poll(): void {
    if (this.#stopping.signal.aborted) return;
    if (this.#polling) {
      this.#pollAgain = true;
      return;
    }
    this.#polling = this.#claimWhileRoom().finally(() => {
      this.#polling = null;
    });
  }

  async #claimWhileRoom(): Promise<void> {
    try {
      do {
        this.#pollAgain = false;
        while (this.#running.size < this.#maxTasks && !this.#stopping.signal.aborted) {
          const row = await this.#claim();
          if (!row) break;
          this.#launch(row);
        }
      } while (this.#pollAgain && !this.#stopping.signal.aborted);
    } catch (err) {
      if (!this.#ctx.store.health.report(err))
        this.#ctx.logger.error({ err }, 'looking for background tasks failed');
    }
  }

  /** Leases the first claimable task another runner does not take first. */
  async #claim(): Promise<TaskRow | undefined> {
    const { db } = this.#ctx.store;
    const now = this.#ctx.now();
    const leaseUntil = now + this.#leaseMs;
    const candidates = await claimableTasks(db, now, [...this.#running.keys()], this.#maxTasks);
    for (const candidate of candidates) {
      if (await leaseTask(db, candidate.id, this.owner, now, leaseUntil)) {
        if (candidate.lease_owner)
          this.#ctx.logger.info({ taskId: candidate.id }, 'resuming a background task');
        return { ...candidate, lease_owner: this.owner, lease_until: leaseUntil };
      }
    }
    return undefined;
  }

  #launch(row: TaskRow): void {
    const abort = new AbortController();
    const stopRenewing = this.#keepLease(row, abort);
    const options = { owner: this.owner, leaseMs: this.#leaseMs, signal: abort.signal };
    const done = executeTask(this.#ctx, row, options)
      .catch((err: unknown) => this.#ctx.logger.error({ err, taskId: row.id }, 'background task crashed'))
      .finally(() => {
        stopRenewing();
        this.#running.delete(row.id);
        this.#poll();
      });
    this.#running.set(row.id, { abort, done });
  }

  /** Renews the lease until the task ends; aborts the task if another runner took it. */
  #keepLease(row: TaskRow, abort: AbortController): () => void {
    const ctx = this.#ctx;
    const timer = setInterval(() => {
      renewTaskLease(ctx.store.db, row.id, this.owner, ctx.now() + this.#leaseMs)
        .then((kept) => {
          if (!kept) abort.abort();
        })
        .catch((err: unknown) => {
          // A database outage is logged once, by the store's health.
          if (!ctx.store.health.report(err))
            ctx.logger.warn({ err, taskId: row.id }, 'renewing a task lease failed');
        });
    }, this.#leaseMs / 3);
    timer.unref();
    return () => clearInterval(timer);
  }
}

/**
 * Starts the background-task runner of a worker process. It claims tasks in status
 * `running` whose lease is free or expired (a conditional update: on PostgreSQL exactly one
 * process wins), renews the lease while it works, and resumes tasks whose runner died:
 * they survive restarts because they live in the database with their cursor.
 */
export function startTaskRunner(ctx: HeraldContext, options: TaskRunnerOptions = {}): TaskRunner {
  const runner = new BackgroundTaskRunner(ctx, options);
  runner.start();
  return runner;
}
