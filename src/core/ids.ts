import { randomBytes } from 'node:crypto';

/**
 * Sortable, prefixed ids in Svix's format: `prefix_` + 27 base62 characters.
 * The 27 characters encode 160 bits: a 48-bit millisecond timestamp followed by 112
 * random bits, so ids sort by creation time (cheap cursors, readable logs). Within one
 * millisecond the random part is incremented instead of redrawn, so ids made by one
 * process are strictly increasing (ULID's monotonic rule) and a cursor never skips a row
 * inserted by the same process in the same millisecond.
 */

export type IdPrefix = 'app' | 'ep' | 'msg' | 'atmpt' | 'evt' | 'qtask' | 'tok' | 'dlv';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const LENGTH = 27;
const RANDOM_BITS = 112n;
const RANDOM_MASK = (1n << RANDOM_BITS) - 1n;

let lastMs = -1;
let lastRandom = 0n;

function encode(value: bigint): string {
  const chars = new Array<string>(LENGTH);
  let v = value;
  for (let i = LENGTH - 1; i >= 0; i--) {
    chars[i] = ALPHABET[Number(v % 62n)]!;
    v /= 62n;
  }
  return chars.join('');
}

/** Makes a new id such as `msg_2Jd1p4...`. */
export function newId(prefix: IdPrefix, now: number = Date.now()): string {
  let random: bigint;
  if (now <= lastMs) {
    random = (lastRandom + 1n) & RANDOM_MASK;
    now = lastMs;
  } else {
    random = BigInt(`0x${randomBytes(14).toString('hex')}`);
  }
  lastMs = now;
  lastRandom = random;
  return `${prefix}_${encode((BigInt(now) << RANDOM_BITS) | random)}`;
}

/**
 * The smallest id of `prefix` created at `ms`: lets `before`/`after` time filters
 * become id range conditions on the primary key.
 */
export function idAtTime(prefix: IdPrefix, ms: number): string {
  return `${prefix}_${encode(BigInt(Math.max(0, ms)) << RANDOM_BITS)}`;
}

/** True when `value` has the shape of an id with `prefix`. */
export function isId(prefix: IdPrefix, value: string): boolean {
  return (
    value.length === prefix.length + 1 + LENGTH &&
    value.startsWith(`${prefix}_`) &&
    /^[0-9A-Za-z]+$/.test(value.slice(prefix.length + 1))
  );
}
