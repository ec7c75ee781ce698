import { type Kysely, sql } from 'kysely';
import type { Database } from '../store/schema.js';
import { pause } from './pause.js';

/**
 * Pages freed per transaction: about 4 MiB with 4 KiB pages, a few milliseconds of work
 * during which the connection is busy, then a pause lets claims and API calls through.
 */
const PAGES_PER_STEP = 1_000;
/** `PRAGMA auto_vacuum` value for INCREMENTAL. */
const INCREMENTAL = 2;

async function pragmaNumber(db: Kysely<Database>, name: string): Promise<number> {
  const { rows } = await sql<Record<string, number>>`${sql.raw(`PRAGMA ${name}`)}`.execute(db);
  return Number(Object.values(rows[0] ?? {})[0] ?? 0);
}

/**
 * Gives the pages a purge freed back to the file system, in steps with pauses between
 * them, then checkpoints the WAL so the main file is truncated to its new size (or the background
 * checkpointer does, within 200 ms, when this checkpoint finds it copying the log). Without
 * this a SQLite file only ever grows: deleted rows leave free pages that new rows reuse
 * but the file keeps. Needs `auto_vacuum = INCREMENTAL`, which the SQLite store sets when
 * it creates a database (a file made without it would need one full `VACUUM`).
 * Returns the number of pages freed.
 */
export async function reclaimFreePages(
  db: Kysely<Database>,
  options: { pauseMs: number; signal?: AbortSignal },
): Promise<number> {
  if ((await pragmaNumber(db, 'auto_vacuum')) !== INCREMENTAL) return 0;
  let freed = 0;
  let before = Number.POSITIVE_INFINITY;
  while (!options.signal?.aborted) {
    const free = await pragmaNumber(db, 'freelist_count');
    // Nothing left, or no progress (never loop on a file that will not shrink).
    if (free === 0 || free >= before) break;
    before = free;
    const step = Math.min(free, PAGES_PER_STEP);
    // Through Kysely a pragma statement is stepped once, and `incremental_vacuum` frees one
    // page per step, so each statement asks for exactly one; one transaction commits them all.
    await db.transaction().execute(async (trx) => {
      for (let i = 0; i < step; i++) await sql`PRAGMA incremental_vacuum(1)`.execute(trx);
    });
    freed += step;
    await pause(options.pauseMs, options.signal);
  }
  if (freed > 0) await sql`PRAGMA wal_checkpoint(PASSIVE)`.execute(db);
  return freed;
}
