import type { Logger } from '../observability/logger.js';
import type { ClaimedDelivery } from '../store/queue.js';
import type { Judgement } from './attempt.js';

/** What an attempt's log line needs from the claimed delivery. */
export type AttemptLogDelivery = Pick<ClaimedDelivery, 'id' | 'msgId' | 'endpointId' | 'appId'> & {
  /** The id of the API request that published the message (`x-request-id`), when known. */
  requestId?: string | null;
};

/** The word an attempt's log line and operators use for where the delivery stands. */
function attemptState(judgement: Judgement): 'succeeded' | 'retrying' | 'exhausted' | 'gone' {
  if (judgement.success) return 'succeeded';
  if (judgement.gone) return 'gone';
  return judgement.exhausted ? 'exhausted' : 'retrying';
}

/**
 * Logs one delivery attempt with the ids that tie it to the API call that published the
 * message (`requestId`), so `grep req_…` finds the publish and every attempt it caused.
 * Debug level, because at full speed there is one per request sent; an exhausted delivery
 * is logged at info. Checks the level first: the worker's hot path pays nothing when off.
 */
export function logAttempt(logger: Logger, delivery: AttemptLogDelivery, judgement: Judgement): void {
  const state = attemptState(judgement);
  const level = state === 'exhausted' ? 'info' : 'debug';
  if (!logger.isLevelEnabled(level)) return;
  const attempt = judgement.outcome.attempt;
  logger[level](
    {
      requestId: delivery.requestId ?? undefined,
      msgId: delivery.msgId,
      appId: delivery.appId,
      endpointId: delivery.endpointId,
      deliveryId: delivery.id,
      attemptId: attempt?.id,
      attempt: judgement.outcome.attemptCount,
      state,
      statusCode: attempt?.response_status_code,
      errorClass: attempt?.error_class ?? undefined,
      durationMs: attempt?.duration_ms,
      nextAttemptAt:
        judgement.outcome.nextAttemptAt === null
          ? undefined
          : new Date(judgement.outcome.nextAttemptAt).toISOString(),
    },
    state === 'exhausted' ? 'delivery exhausted its retries' : 'delivery attempt',
  );
}
