/**
 * The path of the first number in `value` that JSON cannot carry back as sent (`1e999999`
 * parses to Infinity, which is stored as `null`), or null when every number is finite.
 */
export function firstInexactNumber(
  value: unknown,
  path: (string | number)[] = [],
): (string | number)[] | null {
  if (typeof value === 'number') return Number.isFinite(value) ? null : path;
  if (value === null || typeof value !== 'object') return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = firstInexactNumber(value[i], [...path, i]);
      if (found) return found;
    }
    return null;
  }
  for (const key of Object.keys(value)) {
    const found = firstInexactNumber((value as Record<string, unknown>)[key], [...path, key]);
    if (found) return found;
  }
  return null;
}
