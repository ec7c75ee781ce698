import type { Kysely } from 'kysely';
import type { Database } from '../../store/schema.js';

/**
 * Disables an endpoint, recording why. Its owed deliveries are kept: the worker parks them
 * when it meets them, and enabling the endpoint again releases them. Returns false when
 * the endpoint was already disabled (or is gone), so the caller emits one event, not two.
 */
export async function disableEndpoint(
  db: Kysely<Database>,
  endpointId: string,
  reason: string,
  now: number,
): Promise<boolean> {
  const result = await db
    .updateTable('endpoint')
    .set({ disabled: 1, disabled_reason: reason, disabled_at: now, updated_at: now })
    .where('id', '=', endpointId)
    .where('disabled', '=', 0)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/**
 * Enables an endpoint and makes the deliveries held while it was disabled due again,
 * oldest first (their due times keep their original order).
 */
export async function enableEndpoint(db: Kysely<Database>, endpointId: string, now: number): Promise<number> {
  return db.transaction().execute(async (trx) => {
    await trx
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
      .execute();
    const result = await trx
      .updateTable('delivery')
      .set({ due_at: now, next_attempt_at: now, updated_at: now })
      .where('endpoint_id', '=', endpointId)
      .where('status', '=', 1)
      .where('due_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  });
}
