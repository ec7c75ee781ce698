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

/**
 * Starts the background-task runner of a worker process. It claims tasks in status
 * `running` whose lease is free or expired (a conditional update: on PostgreSQL exactly one
 * process wins), renews the lease while it works, and resumes tasks whose runner died:
 * they survive restarts because they live in the database with their cursor.
 */
export function startTaskRunner(ctx: HeraldContext, options: TaskRunnerOptions = {}): TaskRunner {
  const owner = options.owner ?? `${hostname()}:${process.pid}:tasks:${randomBytes(4).toString('hex')}`;
  const pollMs = options.pollMs ?? POLL_MS;
  const leaseMs = options.leaseMs ?? LEASE_MS;
  const maxTasks = options.maxTasks ?? MAX_TASKS;
  const { db } = ctx.store;
  const running = new Map<string, { abort: AbortController; done: Promise<void> }>();
  const stopping = new AbortController();

  const claim = async (): Promise<TaskRow | undefined> => {
    const now = ctx.now();
    const candidates = await claimableTasks(db, now, [...running.keys()], maxTasks);
    for (const candidate of candidates) {
      if (await leaseTask(db, candidate.id, owner, now, now + leaseMs)) {
        if (candidate.lease_owner) ctx.logger.info({ taskId: candidate.id }, 'resuming a background task');
        return { ...candidate, lease_owner: owner, lease_until: now + leaseMs };
      }
    }
    return undefined;
  };

  /** Renews the lease until the task ends; aborts the task if another runner took it. */
  const keepLease = (row: TaskRow, abort: AbortController): (() => void) => {
    const timer = setInterval(() => {
      renewTaskLease(db, row.id, owner, ctx.now() + leaseMs)
        .then((kept) => {
          if (!kept) abort.abort();
        })
        .catch((err: unknown) => {
          // A database outage is logged once, by the store's health.
          if (!ctx.store.health.report(err))
            ctx.logger.warn({ err, taskId: row.id }, 'renewing a task lease failed');
        });
    }, leaseMs / 3);
    timer.unref();
    return () => clearInterval(timer);
  };

  const launch = (row: TaskRow) => {
    const abort = new AbortController();
    const stopRenewing = keepLease(row, abort);
    const done = executeTask(ctx, row, { owner, leaseMs, signal: abort.signal })
      .catch((err: unknown) => ctx.logger.error({ err, taskId: row.id }, 'background task crashed'))
      .finally(() => {
        stopRenewing();
        running.delete(row.id);
        poll();
      });
    running.set(row.id, { abort, done });
  };

  /** The claiming pass in progress, if any; a wake-up during one asks for another. */
  let polling: Promise<void> | null = null;
  let pollAgain = false;
  const poll = () => {
    if (stopping.signal.aborted) return;
    if (polling) {
      pollAgain = true;
      return;
    }
    polling = (async () => {
      try {
        do {
          pollAgain = false;
          while (running.size < maxTasks && !stopping.signal.aborted) {
            const row = await claim();
            if (!row) break;
            launch(row);
          }
        } while (pollAgain && !stopping.signal.aborted);
      } catch (err) {
        if (!ctx.store.health.report(err)) ctx.logger.error({ err }, 'looking for background tasks failed');
      } finally {
        polling = null;
      }
    })();
  };

  const stopListening = ctx.taskWakeups.listen(() => poll());
  const loop = (async () => {
    while (!stopping.signal.aborted) {
      poll();
      await pause(pollMs, stopping.signal);
    }
  })();

  return {
    owner,
    async stop() {
      if (stopping.signal.aborted) return;
      stopping.abort();
      stopListening();
      await loop;
      await polling;
      for (const task of running.values()) task.abort.abort();
      await Promise.all([...running.values()].map((t) => t.done));
      // Given back at once, so another process resumes them without waiting out the lease.
      await releaseTaskLeases(db, owner).catch((err: unknown) =>
        ctx.logger.warn({ err }, 'giving back background tasks failed'),
      );
    },
  };
}
