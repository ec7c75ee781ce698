import fc from 'fast-check';

/**
 * Input an attacker (or a buggy client) sends: injection strings, path traversal, control
 * characters, odd Unicode, very long values, wrong types, huge arrays, deep objects and
 * prototype-pollution keys. Used by the hostile-input properties.
 */

export const sqlInjection = fc.constantFrom(
  "' OR '1'='1",
  "'; DROP TABLE application; --",
  '"; DELETE FROM endpoint; --',
  "1' UNION SELECT token_hash FROM token --",
  "') OR 1=1; SELECT pg_sleep(5); --",
  '\\x27 OR 1=1 /*',
  '%27%20OR%201%3D1',
  '$1; TRUNCATE message',
);

export const pathTraversal = fc.constantFrom(
  '../../../../etc/passwd',
  '..%2f..%2f..%2fetc%2fpasswd',
  '%2e%2e%2f%2e%2e%2f',
  '..\\..\\windows\\win.ini',
  '/..;/admin',
  '....//....//',
  'file:///etc/passwd',
);

const controlChar = fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c));
export const controlCharacters = fc.string({ unit: controlChar, minLength: 1, maxLength: 20 });

export const unicode = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '\u202e\u0644\u0627',
    'Ａｄｍｉｎ',
    'e\u0301',
    '\ud800',
    '\udfff\ud800',
    '\u0000',
    '\ufeff',
    '💣'.repeat(50),
  ),
);

export const longString = fc.integer({ min: 300, max: 200_000 }).map((n) => 'A'.repeat(n));

const strings = (long: fc.Arbitrary<string>) =>
  fc.oneof(sqlInjection, pathTraversal, controlCharacters, unicode, long, fc.string({ maxLength: 30 }));

/** Any string worth throwing at a string field of a JSON body. */
export const hostileString = strings(longString);

/**
 * The same for a query parameter or a path segment, where "very long" stays under Node's
 * 16 KiB limit on the request line (beyond it Node answers 431 before Herald sees anything).
 */
export const hostileUrlString = strings(fc.integer({ min: 300, max: 4_000 }).map((n) => 'A'.repeat(n)));

/**
 * JSON text spliced in as it is: a value too deep for `JSON.stringify` on the client (a few
 * thousand levels) must still reach the server, where `JSON.parse` accepts it.
 */
export class RawJson {
  constructor(readonly text: string) {}
}

/** Objects and arrays alternating, `depth` levels deep. */
export function deepJson(depth: number): RawJson {
  const open = Array.from({ length: depth }, (_, i) => (i % 2 === 0 ? '{"a":' : '[')).join('');
  const close = Array.from({ length: depth }, (_, i) => (i % 2 === 0 ? '}' : ']'))
    .reverse()
    .join('');
  return new RawJson(`${open}"bottom"${close}`);
}

/** JSON text of `value`, with any {@link RawJson} inside it spliced in verbatim. */
export function toJsonText(value: unknown): string {
  if (value instanceof RawJson) return value.text;
  if (Array.isArray(value)) return `[${value.map(toJsonText).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const members = Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}:${toJsonText(v)}`);
    return `{${members.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export const deepObject = fc.integer({ min: 50, max: 50_000 }).map(deepJson);
export const hugeArray = fc
  .integer({ min: 1_000, max: 50_000 })
  .map((n) => Array.from({ length: n }, (_, i) => `v${i}`));

/** Keys that pollute prototypes when an object is merged naively. */
export const protoPollution = fc.constantFrom(
  JSON.parse('{"__proto__": {"isAdmin": true}}'),
  JSON.parse('{"constructor": {"prototype": {"isAdmin": true}}}'),
  JSON.parse('{"a": {"__proto__": {"polluted": 1}}}'),
);

export const wrongType = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 5 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 4 }),
);

/** Any value worth putting where a field is expected. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: hostileString },
  { weight: 2, arbitrary: wrongType },
  { weight: 1, arbitrary: hugeArray },
  { weight: 1, arbitrary: deepObject },
  { weight: 1, arbitrary: protoPollution },
  { weight: 1, arbitrary: fc.array(hostileString, { maxLength: 5 }) },
  { weight: 1, arbitrary: fc.dictionary(hostileString, hostileString, { maxKeys: 3 }) },
);
