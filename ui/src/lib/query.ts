/** A query-string value as the API takes it: arrays repeat the key (`event_types=a&event_types=b`). */
export type QueryValue = string | number | boolean | readonly string[] | null | undefined;

/**
 * Builds `?key=value…` for an API call, leaving out empty values so that "no filter" never
 * reaches the server as an empty string it would have to reject.
 */
export function buildQuery(params: Record<string, QueryValue>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === null || value === undefined || value === '') continue;
    if (Array.isArray(value)) {
      for (const item of value) if (item !== '') search.append(key, item);
    } else {
      search.append(key, String(value));
    }
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

/** `encodeURIComponent` for one path segment (ids and uids are safe already; this guards the rest). */
export function seg(value: string): string {
  return encodeURIComponent(value);
}
