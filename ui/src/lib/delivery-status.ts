/** How Herald's delivery summary of a message (across its endpoints) reads on screen. */
import type { DeliveryState, MessageOut } from '../api/types.js';

export const DELIVERY_LABELS: Record<DeliveryState, string> = {
  exhausted: 'Exhausted',
  failing: 'Failing',
  pending: 'Pending',
  succeeded: 'Succeeded',
};

/** What each state means, for the filter's options and the badge's title. */
export const DELIVERY_MEANINGS: Record<DeliveryState, string> = {
  exhausted: 'gave up after the last retry',
  failing: 'failed, being retried',
  pending: 'not tried yet',
  succeeded: 'delivered',
};

export function deliveryTone(state: DeliveryState | null | undefined): 'good' | 'bad' | 'warn' | 'muted' {
  if (state === 'succeeded') return 'good';
  if (state === 'exhausted') return 'bad';
  if (state === 'failing') return 'warn';
  return 'muted';
}

/** "2 endpoints: 1 succeeded, 1 failing"; "No endpoint subscribed"; null when the server has no summary. */
export function deliveryBreakdown(message: Pick<MessageOut, 'deliveries'>): string | null {
  const counts = message.deliveries;
  if (!counts) return null;
  const order: DeliveryState[] = ['exhausted', 'failing', 'pending', 'succeeded'];
  const total = order.reduce((n, state) => n + counts[state], 0);
  if (total === 0) return 'No endpoint subscribed';
  const parts = order.filter((state) => counts[state] > 0).map((state) => `${counts[state]} ${state}`);
  return `${total} endpoint${total === 1 ? '' : 's'}: ${parts.join(', ')}`;
}
