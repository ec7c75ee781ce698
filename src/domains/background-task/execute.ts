import type { HeraldContext } from '../../context.js';
import { REPLAY_JOBS, type ReplayParams } from './jobs.js';
import { MAX_BATCH_ROWS, replayBudget, replayRate, runEnd } from './pacing.js';
import type { TaskData, TaskRow } from './repo.js';
import type { TaskStatus } from './schemas.js';

/** After this many errors in a row a task is marked failed instead of retried. */
const MAX_CONSECUTIVE_ERRORS = 5;

/** Raised when another runner holds the task now: this one must write nothing more. */
class LeaseLostError extends Error {
  override name = 'LeaseLostError';
}

/** How a runner lets a task know it holds the lease, and asks it to stop. */
export interface TaskControl {
  owner: string;
  leaseMs: number;
  signal: AbortSignal;
}

/** Waits `ms`, or less when `signal` aborts. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * Runs one replay task to its end (or until `control.signal` stops it). Each batch is
 * found, queued and recorded (cursor, progress, lease) in one transaction whose task
 * update is conditional on still holding the lease: a runner that lost its task writes
 * nothing, and a resumed task continues exactly after the last batch recorded. Between
 * batches it waits for its pacing (see `pacing.ts`).
 */
export async function executeTask(ctx: HeraldContext, row: TaskRow, control: TaskControl): Promise<void> {
  const { db } = ctx.store;
  const job = REPLAY_JOBS[row.task as keyof typeof REPLAY_JOBS];
  const data = JSON.parse(row.data) as TaskData;
  const settle = async (status: TaskStatus, extra: Partial<TaskData> = {}) => {
    const now = ctx.now();
    await db
      .updateTable('background_task')
      .set({
        status,
        data: JSON.stringify({ ...data, ...extra }),
        lease_owner: null,
        lease_until: null,
        updated_at: now,
      })
      .where('id', '=', row.id)
      .where('lease_owner', '=', control.owner)
      .execute();
    ctx.logger.info({ taskId: row.id, task: row.task, status, ...data, ...extra }, 'background task ended');
  };
  if (!job || !row.endpoint_id) return settle('failed', { error: 'Herald does not run this kind of task.' });
  const params = JSON.parse(row.params) as ReplayParams;
  let cursor = row.cursor;
  /** Where this task's paced schedule has reached; the next batch starts there. */
  let frontier = 0;
  let errors = 0;

  while (!control.signal.aborted) {
    try {
      const endpoint = await db
        .selectFrom('endpoint')
        .selectAll()
        .where('id', '=', row.endpoint_id)
        .executeTakeFirst();
      if (!endpoint) return await settle('failed', { error: 'The endpoint was deleted.' });
      data.total ??= await job.count(db, params, endpoint);
      // Re-read each batch: a throttleRate changed mid-replay applies to the rest of it.
      const rate = replayRate(endpoint.throttle_rate);
      const now = ctx.now();
      // A disabled endpoint's replayed deliveries are written held; enabling it paces them.
      const held = endpoint.disabled === 1;
      let limit = MAX_BATCH_ROWS;
      if (!held) {
        const budget = await replayBudget(db, endpoint.id, rate, frontier, now);
        if (budget.waitMs > 0) {
          await pause(Math.min(budget.waitMs, 1_000), control.signal);
          continue;
        }
        limit = budget.rows;
      }
      const found = await job.find(db, params, endpoint, cursor, limit);
      if (found.scanned === 0) return await settle('finished');
      const schedule = held ? null : { start: Math.max(now, frontier), rate };
      const next: TaskData = { ...data, processed: data.processed + found.scanned };
      await db.transaction().execute(async (trx) => {
        if (found.ids.length > 0)
          next.count += await job.apply(trx, ctx.store.lines, endpoint, found.ids, schedule, now);
        const result = await trx
          .updateTable('background_task')
          .set({
            cursor: found.last,
            data: JSON.stringify(next),
            lease_until: now + control.leaseMs,
            updated_at: now,
          })
          .where('id', '=', row.id)
          .where('lease_owner', '=', control.owner)
          .executeTakeFirst();
        if (Number(result.numUpdatedRows) !== 1) throw new LeaseLostError();
      });
      Object.assign(data, next);
      cursor = found.last;
      if (schedule && found.ids.length > 0) {
        frontier = runEnd(schedule.start, found.ids.length, rate);
        ctx.store.notifyDue();
      }
      errors = 0;
    } catch (err) {
      if (err instanceof LeaseLostError) {
        ctx.logger.warn({ taskId: row.id }, 'background task taken over by another runner');
        return;
      }
      errors++;
      ctx.logger.error({ err, taskId: row.id, errors }, 'background task batch failed');
      if (errors >= MAX_CONSECUTIVE_ERRORS) {
        return await settle('failed', { error: 'The task stopped after repeated errors; see the logs.' });
      }
      await pause(1_000 * errors, control.signal);
    }
  }
}
