import type { HeraldContext } from '../../context.js';
import { newId } from '../../core/ids.js';
import { HttpError, invalidField } from '../../errors.js';
import { STATUS, TRIGGER } from '../../store/schema.js';
import type { EndpointRow } from '../endpoint/repo.js';
import type { MessageRow } from '../message/repo.js';

/**
 * Queues one message to one endpoint again, now, with trigger `manual` and a fresh retry
 * schedule. The delivery row is upserted, so an endpoint the message was never owed to (one
 * created later, or filtering it out) gets it too. A delivery in flight loses its lease:
 * the running try is still recorded, and the resend goes out as its own attempt.
 *
 * Refused: a message whose payload was expunged or expired (400, as Svix), and a disabled
 * endpoint (422 on `endpoint_id`): the worker would only park the delivery until the
 * endpoint is enabled, and a 202 that sends nothing would mislead.
 */
export async function resendMessage(
  ctx: HeraldContext,
  message: MessageRow,
  endpoint: EndpointRow,
): Promise<void> {
  if (message.payload === null)
    throw new HttpError('bad_request', 'Unable to resend message. Payload is missing (probably expired).');
  if (endpoint.disabled)
    throw invalidField(
      ['path', 'endpoint_id'],
      'endpoint_id: the endpoint is disabled; enable it before resending',
    );
  const now = ctx.now();
  const owed = {
    status: STATUS.pending,
    attempt_count: 0,
    due_at: now,
    lease_owner: null,
    trigger_type: TRIGGER.manual,
    next_attempt_at: now,
    updated_at: now,
    ordering_key: null,
  };
  const { lines } = ctx.store;
  await ctx.store.db.transaction().execute(async (trx) => {
    const ordering = await lines.lock(trx, endpoint.id);
    await trx
      .insertInto('delivery')
      .values({
        id: newId('dlv', now),
        msg_id: message.id,
        endpoint_id: endpoint.id,
        app_id: message.app_id,
        created_at: now,
        ...owed,
      })
      .onConflict((oc) => oc.columns(['msg_id', 'endpoint_id']).doUpdateSet(owed))
      .execute();
    // On a FIFO endpoint it goes back into its key's line, where its publish order puts it (behind
    // the deliveries of its key being sent, if any: src/store/lines.ts).
    if (ordering === 'fifo') await lines.join(trx, endpoint.id, { msgIds: [message.id] });
  });
  ctx.store.notifyDue();
}
