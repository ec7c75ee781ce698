/**
 * Capped exponential backoff with jitter: the wait before try number `attempt` (0-based) of
 * something that keeps failing, e.g. reconnecting to a database. Half the delay is fixed and
 * half random ("equal jitter"), so many processes cut off at the same moment do not all
 * come back at the same instant, and none waits longer than `capMs`.
 */
export function backoffMs(attempt: number, baseMs = 200, capMs = 5_000): number {
  const exp = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(exp / 2 + (Math.random() * exp) / 2);
}
