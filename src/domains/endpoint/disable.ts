import { type Kysely, sql } from 'kysely';
import type { DisabledEndpoint } from '../../delivery/outcome-writer.js';
import { type Database, STATUS } from '../../store/schema.js';
import { dueOffsetSql, replayRate } from '../background-task/pacing.js';

/**
 * Disables an endpoint, recording why. Its owed deliveries are kept: the worker parks them
 * when it meets them, and enabling the endpoint again releases them. Answers the ids the
 * `endpoint.disabled` event names, or null when the endpoint was already disabled (or is
 * gone), so the caller emits one event, not two.
 */
export async function disableEndpoint(
  db: Kysely<Database>,
  endpointId: string,
  reason: string,
  now: number,
): Promise<DisabledEndpoint | null> {
  const endpoint = await db
    .updateTable('endpoint')
    .set({ disabled: 1, disabled_reason: reason, disabled_at: now, updated_at: now })
    .where('id', '=', endpointId)
    .where('disabled', '=', 0)
    .returning(['app_id as appId', 'uid as endpointUid'])
    .executeTakeFirst();
  if (!endpoint) return null;
  const app = await db
    .selectFrom('application')
    .select('uid')
    .where('id', '=', endpoint.appId)
    .executeTakeFirst();
  return { ...endpoint, appUid: app?.uid ?? null };
}

/**
 * Enables an endpoint and makes the deliveries held while it was disabled due again, oldest
 * message first and paced at the endpoint's replay rate (its `throttleRate`, or a default
 * cap), so a backlog of days neither floods the receiver nor queues ahead of its live
 * traffic. Returns how many deliveries were released.
 */
export async function enableEndpoint(db: Kysely<Database>, endpointId: string, now: number): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const endpoint = await trx
      .updateTable('endpoint')
      .set({
        disabled: 0,
        disabled_reason: null,
        disabled_at: null,
        first_failure_at: null,
        consecutive_failures: 0,
        updated_at: now,
      })
      .where('id', '=', endpointId)
      .returning('throttle_rate')
      .executeTakeFirst();
    const rate = replayRate(endpoint?.throttle_rate ?? null);
    const due = sql<number>`${now} + ${dueOffsetSql(sql<number>`held.rn`, rate)}`;
    // One statement for the whole backlog: the rank of each held row sets its due time.
    const result = await sql`
      UPDATE delivery SET due_at = ${due}, next_attempt_at = ${due}, updated_at = ${now}
      FROM (
        SELECT id, row_number() OVER (ORDER BY msg_id) - 1 AS rn FROM delivery
        WHERE endpoint_id = ${endpointId} AND status = ${STATUS.pending} AND due_at IS NULL
      ) held
      WHERE delivery.id = held.id`.execute(trx);
    return Number(result.numAffectedRows ?? 0n);
  });
}
