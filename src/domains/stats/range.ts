import { HttpError } from '../../errors.js';

const DAY_MS = 86_400_000;
/** Svix answers at most 28 days of counts; five minutes of slack let clients send `now - 28d`. */
const MAX_RANGE_MS = 28 * DAY_MS + 5 * 60_000;

/** A 400 with Svix's `invalid_range` code, as its server answers a bad since/until. */
class InvalidRange extends HttpError {
  override readonly code = 'invalid_range';
  constructor(detail: string) {
    super('bad_request', detail);
  }
}

/**
 * The `since`/`until` range as Svix checks it: `until` defaults to now and may not be in
 * the future, `since` defaults to 28 days before `until` and may not be further back.
 */
export function statsRange(query: { since?: string | null; until?: string | null }, now: number) {
  const until = query.until ? Date.parse(query.until) : now;
  if (until > now) throw new InvalidRange("'until' cannot be in the future");
  const since = query.since ? Date.parse(query.since) : until - 28 * DAY_MS;
  if (since > until) throw new InvalidRange("'since' must be before 'until'");
  if (until - since > MAX_RANGE_MS)
    throw new InvalidRange(`'since' cannot be more than 28 days prior to ${new Date(until).toISOString()}`);
  return { since, until };
}
