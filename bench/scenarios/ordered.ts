/**
 * Ordered drain (issue 22): the Drain's messages spread over 100 ordering keys and queued for one
 * FIFO endpoint, drained by one worker; then again with `fifoBatchSize` 50. Compared with B0 and
 * with Herald's unordered Drain of the same run. Targets: ≥ 0.5 × the unordered drain with 100
 * keys (16 in flight), and with batching messages/s ≥ the unordered drain.
 */
import type { Session } from '../session.js';
import { ratio } from '../stats.js';
import { type DrainResult, measureDrain } from './drain.js';

export const ORDERED_KEYS = 100;
export const ORDERED_BATCH_SIZE = 50;
export const ORDERED_APP = { uid: 'ordered', endpoints: ['/ok/ordered'] };
export const ORDERED_BATCH_APP = { uid: 'ordered-batch', endpoints: ['/ok/ordered-batch'] };

export interface OrderedResult {
  keys: number;
  ordered: DrainResult;
  batched: DrainResult;
  /** Herald's unordered drain of the same run, deliveries/s. */
  unorderedRate: number | null;
  ratioToUnordered: number | null;
  batchedRatioToUnordered: number | null;
}

export async function measureOrdered(session: Session, unordered: DrainResult): Promise<OrderedResult> {
  await session.db.makeFifo(session.app(ORDERED_APP.uid).endpointIds[0]!, 1);
  await session.db.makeFifo(session.app(ORDERED_BATCH_APP.uid).endpointIds[0]!, ORDERED_BATCH_SIZE);
  const ordered = await measureDrain(session, 'ordered', ORDERED_APP, ORDERED_KEYS);
  const batched = await measureDrain(session, 'ordered-batch', ORDERED_BATCH_APP, ORDERED_KEYS);
  session.log(
    `ordered: ${ordered.rate}/s over ${ORDERED_KEYS} keys (${ratio(ordered.rate, unordered.rate)} × unordered ${unordered.rate}/s); ` +
      `batched by ${ORDERED_BATCH_SIZE}: ${batched.rate} messages/s (${ratio(batched.rate, unordered.rate)} × unordered)`,
  );
  return {
    keys: ORDERED_KEYS,
    ordered,
    batched,
    unorderedRate: unordered.rate,
    ratioToUnordered: ratio(ordered.rate, unordered.rate),
    batchedRatioToUnordered: ratio(batched.rate, unordered.rate),
  };
}
