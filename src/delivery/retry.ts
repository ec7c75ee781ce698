/** Largest `Retry-After` honoured: a receiver cannot park a delivery for longer than this. */
export const MAX_RETRY_AFTER_MS = 6 * 3_600_000;

/**
 * When the next try is due after `attemptCount` failed tries, or null when the schedule is
 * exhausted. The schedule's delay gets ±20% jitter so a receiver's outage does not bring
 * every retry back at the same instant; a `Retry-After` can push it later, never earlier.
 */
export function nextAttemptDelay(
  schedule: readonly number[],
  attemptCount: number,
  retryAfterMs: number | null,
  random: () => number = Math.random,
): number | null {
  const seconds = schedule[attemptCount - 1];
  if (seconds === undefined) return null;
  const delay = Math.round(seconds * 1000 * (0.8 + random() * 0.4));
  if (retryAfterMs === null) return delay;
  return Math.max(delay, Math.min(retryAfterMs, MAX_RETRY_AFTER_MS));
}
