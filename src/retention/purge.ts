import { type Kysely, sql } from 'kysely';
import type { HeraldContext } from '../context.js';
import { idAtTime } from '../core/ids.js';
import { type Database, STATUS } from '../store/schema.js';
import { pause } from './pause.js';
import { reclaimFreePages } from './sqlite-vacuum.js';

const DAY_MS = 86_400_000;
/** Statuses of a delivery still owed: its message and payload are never purged. */
const OWED = [STATUS.pending, STATUS.sending];

export interface PurgeOptions {
  /** Rows per statement (default 500): each statement holds its locks for milliseconds only. */
  batchSize?: number;
  /** Pause between statements (default 50 ms), so deliveries and API calls go first. */
  pauseMs?: number;
  /** Stops between batches (shutdown). */
  signal?: AbortSignal;
}

/** What one purge removed. */
export interface PurgeReport {
  /** Messages whose expired payload was cleared (metadata kept). */
  payloads: number;
  attempts: number;
  /** Messages deleted with their finished deliveries. */
  messages: number;
  idempotencyKeys: number;
  tokens: number;
  /** Statements run: the work was done in this many small pieces. */
  batches: number;
  /** SQLite pages given back to the file system (0 on PostgreSQL, whose autovacuum does this). */
  pagesFreed: number;
}

type Step = (db: Kysely<Database>, limit: number, now: number) => Promise<number>;

// A blocked FIFO head (failed, still in its key's line) is owed too: recovering it resumes its key.
const noOwedDelivery = sql<boolean>`not exists (select 1 from delivery d where d.msg_id = m.id and (d.status in (${sql.join(OWED)}) or d.ordering_key is not null))`;

/** Clears payloads past their message's `payload_expires_at` (partial index on unexpired payloads). */
const expirePayloads: Step = async (db, limit, now) => {
  const result = await db
    .updateTable('message')
    .set({ payload: null })
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('message as m')
        .select('m.id')
        .where('m.payload', 'is not', null)
        .where('m.payload_expires_at', '<=', now)
        .where(noOwedDelivery)
        .limit(limit),
    )
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
};

/** Deletes attempts older than the attempt retention, oldest first, by primary key range. */
const deleteAttempts =
  (cutoff: number): Step =>
  async (db, limit) => {
    const result = await db
      .deleteFrom('attempt')
      .where('id', 'in', (eb) =>
        eb
          .selectFrom('attempt')
          .select('id')
          .where('id', '<', idAtTime('atmpt', cutoff))
          .orderBy('id')
          .limit(limit),
      )
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  };

/**
 * Deletes messages older than the attempt retention whose payload is gone and that owe
 * nothing; their finished deliveries go with them (cascade). Without this the message
 * and delivery tables would only ever grow.
 */
const deleteMessages =
  (cutoff: number): Step =>
  async (db, limit) => {
    const result = await db
      .deleteFrom('message')
      .where('id', 'in', (eb) =>
        eb
          .selectFrom('message as m')
          .select('m.id')
          .where('m.id', '<', idAtTime('msg', cutoff))
          .where('m.payload', 'is', null)
          .where(noOwedDelivery)
          .orderBy('m.id')
          .limit(limit),
      )
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  };

const deleteIdempotencyKeys: Step = async (db, limit, now) => {
  const result = await db
    .deleteFrom('idempotency')
    .where('key', 'in', (eb) =>
      eb.selectFrom('idempotency').select('key').where('expires_at', '<=', now).limit(limit),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
};

/** Expired tokens (consumer-portal tokens, mostly) can never authenticate again. */
const deleteExpiredTokens: Step = async (db, limit, now) => {
  const result = await db
    .deleteFrom('token')
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('token')
        .select('id')
        .where('expires_at', 'is not', null)
        .where('expires_at', '<=', now)
        .limit(limit),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
};

/**
 * Removes what retention says is no longer kept: expired payloads (set to NULL, message
 * metadata kept), attempts older than `HERALD_ATTEMPT_RETENTION_DAYS`, then messages older
 * than that whose payload is gone, expired idempotency keys and tokens. Deliveries still
 * owed (pending or sending) are never touched, nor their messages and payloads. Works in
 * small statements with pauses between them, so it never holds up deliveries or API calls;
 * on SQLite it then gives the freed pages back to the file system.
 */
export async function purgeExpired(ctx: HeraldContext, options: PurgeOptions = {}): Promise<PurgeReport> {
  const batchSize = options.batchSize ?? 500;
  const pauseMs = options.pauseMs ?? 50;
  const { signal } = options;
  const { db } = ctx.store;
  const now = ctx.now();
  const attemptCutoff = now - ctx.config.attemptRetentionDays * DAY_MS;
  const report: PurgeReport = {
    payloads: 0,
    attempts: 0,
    messages: 0,
    idempotencyKeys: 0,
    tokens: 0,
    batches: 0,
    pagesFreed: 0,
  };

  const run = async (kind: string, step: Step): Promise<number> => {
    let total = 0;
    while (!signal?.aborted) {
      const count = await step(db, batchSize, now);
      report.batches++;
      total += count;
      if (count > 0) ctx.metrics.retentionPurged.inc({ kind }, count);
      if (count < batchSize) break;
      await pause(pauseMs, signal);
    }
    return total;
  };

  report.payloads = await run('payload', expirePayloads);
  report.attempts = await run('attempt', deleteAttempts(attemptCutoff));
  report.messages = await run('message', deleteMessages(attemptCutoff));
  report.idempotencyKeys = await run('idempotency_key', deleteIdempotencyKeys);
  report.tokens = await run('token', deleteExpiredTokens);
  if (ctx.store.dialect === 'sqlite' && !signal?.aborted) {
    report.pagesFreed = await reclaimFreePages(db, { pauseMs, signal });
  }
  return report;
}

export interface RetentionOptions extends Omit<PurgeOptions, 'signal'> {
  /** Time between purges (default 5 minutes). */
  intervalMs?: number;
  /** Time before the first purge after start-up (default: a tenth of the interval). */
  firstRunAfterMs?: number;
}

/** The running retention job. */
export interface RetentionJob {
  /** Runs a purge now (or waits for the one running) and returns what it removed. */
  runNow(): Promise<PurgeReport | null>;
  /** Stops the schedule and ends a running purge at its next batch boundary. */
  stop(): Promise<void>;
}

/**
 * Runs `purgeExpired` every few minutes until stopped. One purge at a time per process;
 * on PostgreSQL several processes may purge at once, which is harmless (each statement
 * deletes rows the others have not).
 */
export function startRetention(ctx: HeraldContext, options: RetentionOptions = {}): RetentionJob {
  const intervalMs = options.intervalMs ?? 5 * 60_000;
  const controller = new AbortController();
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<PurgeReport | null> | null = null;

  const schedule = (ms: number) => {
    if (controller.signal.aborted) return;
    timer = setTimeout(() => {
      timer = null;
      void runNow().finally(() => schedule(intervalMs));
    }, ms);
    timer.unref();
  };

  const runNow = (): Promise<PurgeReport | null> => {
    running ??= purgeExpired(ctx, { ...options, signal: controller.signal })
      .then((report) => {
        if (!controller.signal.aborted) ctx.metrics.retentionLastRun.set(ctx.now() / 1000);
        const { batches: _b, ...removed } = report;
        if (Object.values(removed).some((n) => n > 0)) ctx.logger.info(removed, 'retention purge finished');
        return report;
      })
      .catch((err: unknown) => {
        if (!ctx.store.health.report(err))
          ctx.logger.error({ err }, 'retention purge failed; it runs again at the next interval');
        return null;
      })
      .finally(() => {
        running = null;
      });
    return running;
  };

  schedule(options.firstRunAfterMs ?? Math.round(intervalMs / 10));
  return {
    runNow,
    async stop() {
      controller.abort();
      if (timer) clearTimeout(timer);
      timer = null;
      await running;
    },
  };
}
