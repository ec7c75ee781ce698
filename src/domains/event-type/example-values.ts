/**
 * Realistic leaf values for generated examples: strings for the common `format`s, strings that
 * match a `pattern`, and plausible values guessed from a property's name (`email`, `currency`,
 * `amount`…). A reader of the docs should see `jane.doe@example.com`, not `string`.
 */

/** Deterministic pseudo-random numbers (mulberry32), so the same schema always gives the same example. */
function seededRandom(seedText: string): () => number {
  let seed = 2166136261;
  for (let i = 0; i < seedText.length; i++) seed = Math.imul(seed ^ seedText.charCodeAt(i), 16777619);
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const BASE_TIME = Date.UTC(2024, 4, 1, 12, 0, 0);
const DAY_MS = 86_400_000;

/** A value for a string `format`, varied by `variant` so array items can stay unique; undefined for unknown formats. */
export function formatValue(format: string, variant: number): string | undefined {
  const at = new Date(BASE_TIME + variant * DAY_MS).toISOString();
  switch (format) {
    case 'date-time':
      return at.replace('.000Z', 'Z');
    case 'date':
      return at.slice(0, 10);
    case 'time':
      return '12:00:00Z';
    case 'duration':
      return `P${variant + 1}D`;
    case 'email':
    case 'idn-email':
      return variant === 0 ? 'jane.doe@example.com' : `jane.doe+${variant}@example.com`;
    case 'hostname':
    case 'idn-hostname':
      return variant === 0 ? 'api.example.com' : `api${variant}.example.com`;
    case 'ipv4':
      return `192.0.2.${10 + (variant % 240)}`;
    case 'ipv6':
      return `2001:db8::${(16 + variant).toString(16)}`;
    case 'uri':
    case 'iri':
    case 'url':
      return `https://example.com/resources/${variant + 1}`;
    case 'uri-reference':
    case 'iri-reference':
      return `/resources/${variant + 1}`;
    case 'uri-template':
      return 'https://example.com/resources/{id}';
    case 'uuid':
      return `f47ac10b-58cc-4372-a567-${(0x0e02b2c3d479 + variant).toString(16).padStart(12, '0')}`;
    case 'json-pointer':
      return '/data/object';
    case 'relative-json-pointer':
      return '0/id';
    case 'regex':
      return '^[a-z]+$';
    case 'byte':
      return 'aGVsbG8gd29ybGQ=';
    case 'password':
      return 'correct-horse-battery-staple';
    default:
      return undefined;
  }
}

/** Plausible strings keyed by property name (lower-cased, `-`/camelCase folded to `_`). */
const STRING_HINTS: Record<string, string[]> = {
  email: ['jane.doe@example.com'],
  name: ['Jane Doe'],
  full_name: ['Jane Doe'],
  display_name: ['Jane Doe'],
  first_name: ['Jane'],
  last_name: ['Doe'],
  company: ['Acme Corp'],
  phone: ['+14155550123'],
  currency: ['usd', 'USD'],
  country: ['US', 'us'],
  city: ['San Francisco'],
  state: ['CA'],
  postal_code: ['94107'],
  zip: ['94107'],
  line1: ['510 Townsend St'],
  line2: ['Suite 400'],
  locale: ['en-US'],
  timezone: ['America/Los_Angeles'],
  description: ['Example description'],
  title: ['Example title'],
  reason: ['requested_by_customer'],
  ip: ['192.0.2.10'],
  user_agent: ['Mozilla/5.0'],
};

function normalizeName(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/-/g, '_')
    .toLowerCase();
}

/** Candidate strings for a property name, best first; the caller keeps the first one its constraints accept. */
export function stringHints(name: string | undefined): string[] {
  if (!name) return [];
  const key = normalizeName(name);
  const hints = [...(STRING_HINTS[key] ?? [])];
  if (key.endsWith('_at') || key === 'timestamp' || key.endsWith('_time'))
    hints.push(formatValue('date-time', 0)!);
  if (key.endsWith('_date')) hints.push(formatValue('date', 0)!);
  if (key.endsWith('_url') || key === 'url' || key === 'website') hints.push('https://example.com');
  if (key.endsWith('email')) hints.push('jane.doe@example.com');
  return hints;
}

/** A plausible number for a property name, or undefined when the name says nothing. */
export function numberHint(name: string | undefined, integer: boolean): number | undefined {
  if (!name) return undefined;
  const key = normalizeName(name);
  if (/(^|_)(amount|total|subtotal|price|balance|fee|cost)s?($|_)/.test(key)) return integer ? 2500 : 25.5;
  if (/(^|_)(quantity|count|attempts?|seats|retries)($|_)/.test(key)) return 1;
  if (/(status_code|http_status)$/.test(key)) return 200;
  if (/(^|_)(percent|percentage|rate)($|_)/.test(key)) return 20;
  if (/(^|_)year$/.test(key)) return 2024;
  if (/(^|_)month$/.test(key)) return 5;
  if (/(^|_)(day|interval_count)$/.test(key)) return 1;
  if (/(^|_)lat(itude)?$/.test(key)) return 37.77;
  if (/(^|_)(lng|lon|longitude)$/.test(key)) return -122.42;
  return undefined;
}

const DIGITS = '0123456789';
const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const UPPER = LOWER.toUpperCase();
const WORD = `${LOWER}${UPPER}${DIGITS}_`;

/**
 * A string that matches `pattern`, built from the pattern itself (literals, classes, `\d`,
 * `\w`, groups, alternation and quantifiers; the first alternative is taken). Covers the
 * patterns event schemas actually use (`^cus_[A-Za-z0-9]{14}$`, `^[a-z]{3}$`); returns
 * undefined when the result does not match, so the caller can fall back.
 */
export function stringMatching(pattern: string, variant: number): string | undefined {
  let regex: RegExp;
  try {
    regex = new RegExp(pattern, 'u');
  } catch {
    return undefined;
  }
  const random = seededRandom(`${pattern}#${variant}`);
  let pos = 0;
  const pick = (chars: string) => chars[Math.floor(random() * chars.length)] ?? '';

  const parseAlternation = (): string | undefined => {
    const first = parseSequence();
    while (pattern[pos] === '|') {
      pos++;
      parseSequence(); // consumed, not used: the first alternative wins
    }
    return first;
  };
  const parseSequence = (): string | undefined => {
    let out = '';
    while (pos < pattern.length && pattern[pos] !== '|' && pattern[pos] !== ')') {
      const atom = parseAtom();
      if (atom === undefined) return undefined;
      const [min, max] = parseQuantifier();
      const count = Math.min(Math.max(min, max === Infinity ? Math.max(min, 8) : Math.min(max, 8)), max);
      for (let i = 0; i < count; i++) out += atom();
    }
    return out;
  };
  const parseQuantifier = (): [number, number] => {
    const c = pattern[pos];
    let range: [number, number] = [1, 1];
    if (c === '*') range = [0, Infinity];
    else if (c === '+') range = [1, Infinity];
    else if (c === '?') range = [1, 1];
    else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(pos));
      if (!m) return range;
      const min = Number(m[1]);
      const max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
      pos += m[0].length;
      if (pattern[pos] === '?') pos++;
      return [min, max];
    } else return range;
    pos++;
    if (pattern[pos] === '?') pos++;
    return range;
  };
  const parseAtom = (): (() => string) | undefined => {
    const c = pattern[pos++] ?? '';
    if (c === '^' || c === '$') return () => '';
    if (c === '.') return () => pick(LOWER);
    if (c === '\\') return parseEscape();
    if (c === '[') return parseClass();
    if (c === '(') {
      if (pattern.startsWith('?=', pos) || pattern.startsWith('?!', pos)) return undefined;
      if (pattern.startsWith('?:', pos)) pos += 2;
      else if (pattern.startsWith('?<', pos)) pos = pattern.indexOf('>', pos) + 1;
      const inner = parseAlternation();
      if (inner === undefined || pattern[pos] !== ')') return undefined;
      pos++;
      return () => inner;
    }
    return () => c;
  };
  const parseEscape = (): (() => string) | undefined => {
    const e = pattern[pos++] ?? '';
    if (e === 'd') return () => pick(DIGITS);
    if (e === 'w') return () => pick(WORD);
    if (e === 's') return () => ' ';
    if (e === 'b' || e === 'B') return () => '';
    if (/[1-9]/.test(e)) return undefined; // back-references
    if (e === 'u') {
      const hex = /^\{?([0-9a-fA-F]{4,6})\}?/.exec(pattern.slice(pos));
      if (!hex) return undefined;
      pos += hex[0].length;
      return () => String.fromCodePoint(Number.parseInt(hex[1]!, 16));
    }
    return () => e;
  };
  const parseClass = (): (() => string) | undefined => {
    const negated = pattern[pos] === '^';
    if (negated) pos++;
    let members = '';
    while (pos < pattern.length && pattern[pos] !== ']') {
      let c = pattern[pos++]!;
      if (c === '\\') {
        const e = pattern[pos++] ?? '';
        if (e === 'd') members += DIGITS;
        else if (e === 'w') members += WORD;
        else if (e === 's') members += ' ';
        else members += e;
        continue;
      }
      if (pattern[pos] === '-' && pattern[pos + 1] !== ']' && pos + 1 < pattern.length) {
        const end = pattern[pos + 1]!;
        pos += 2;
        for (let code = c.codePointAt(0)!; code <= end.codePointAt(0)!; code++)
          members += String.fromCodePoint(code);
        continue;
      }
      members += c;
      c = '';
    }
    pos++; // ]
    if (negated) {
      const allowed = [...`${LOWER}${UPPER}${DIGITS}-_`].filter((ch) => !members.includes(ch)).join('');
      return allowed ? () => pick(allowed) : undefined;
    }
    return members ? () => pick(members) : undefined;
  };

  const result = parseAlternation();
  return result !== undefined && regex.test(result) ? result : undefined;
}
