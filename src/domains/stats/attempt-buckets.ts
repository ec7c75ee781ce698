import { Type } from '@sinclair/typebox';
import { type Kysely, sql } from 'kysely';
import { idAtTime } from '../../core/ids.js';
import { type Database, STATUS } from '../../store/schema.js';
import { iso } from '../common/json.js';
import { DateTime } from '../common/schemas.js';

/** Bucket size and count per window: 60 one-minute buckets, or 96 quarter-hours. */
export const WINDOWS = {
  hour: { bucketMs: 60_000, buckets: 60 },
  day: { bucketMs: 15 * 60_000, buckets: 96 },
} as const;
export type StatsWindow = keyof typeof WINDOWS;

export const WindowQuery = Type.Union([Type.Literal('hour'), Type.Literal('day')], { default: 'hour' });

export const AttemptBuckets = Type.Array(
  Type.Object({
    start: DateTime,
    succeeded: Type.Integer({ description: 'Attempts that got a 2xx.' }),
    failed: Type.Integer({ description: 'Attempts that did not.' }),
  }),
  { description: 'Attempts per bucket, oldest first; every bucket of the window is listed.' },
);

export interface AttemptBucket {
  start: string | null;
  succeeded: number;
  failed: number;
}

/**
 * Attempts per bucket over the window ending now, of every endpoint or of one. Attempt ids
 * are time-ordered, so the window is a range of the primary key, or of the
 * (endpoint_id, id) index for one endpoint: it costs the window's attempts only.
 */
export async function attemptBuckets(
  db: Kysely<Database>,
  window: StatsWindow,
  now: number,
  endpointId?: string,
): Promise<AttemptBucket[]> {
  const { bucketMs, buckets: count } = WINDOWS[window];
  const first = Math.floor(now / bucketMs) * bucketMs - (count - 1) * bucketMs;
  const bucketOf = sql<number>`created_at / ${sql.lit(bucketMs)}`;
  let query = db
    .selectFrom('attempt')
    .select([
      bucketOf.as('bucket'),
      sql<number>`sum(case when status = ${sql.lit(STATUS.success)} then 1 else 0 end)`.as('succeeded'),
      sql<number>`sum(case when status = ${sql.lit(STATUS.success)} then 0 else 1 end)`.as('failed'),
    ])
    .where('id', '>=', idAtTime('atmpt', first))
    .where('created_at', '>=', first);
  if (endpointId !== undefined) query = query.where('endpoint_id', '=', endpointId);
  const rows = await query.groupBy(bucketOf).execute();
  const byBucket = new Map(rows.map((r) => [Number(r.bucket), r]));
  return Array.from({ length: count }, (_, i) => {
    const start = first + i * bucketMs;
    const row = byBucket.get(start / bucketMs);
    return { start: iso(start), succeeded: Number(row?.succeeded ?? 0), failed: Number(row?.failed ?? 0) };
  });
}
