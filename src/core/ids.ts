import { randomFillSync } from 'node:crypto';

/**
 * Sortable, prefixed ids in Svix's format: `prefix_` + 27 base62 characters.
 * The 27 characters encode 160 bits: a 48-bit millisecond timestamp followed by 112
 * random bits, so ids sort by creation time (cheap cursors, readable logs). Within one
 * millisecond the random part is incremented instead of redrawn, so ids made by one
 * process are strictly increasing (ULID's monotonic rule) and a cursor never skips a row
 * inserted by the same process in the same millisecond.
 *
 * Every attempt and delivery gets an id, so this is on the delivery hot path: the 160 bits
 * are held as five 32-bit limbs and divided with plain numbers (BigInt was 3% of a
 * worker's time), and random bytes are drawn from a pool rather than one call per id.
 */

export type IdPrefix = 'app' | 'ep' | 'msg' | 'atmpt' | 'evt' | 'qtask' | 'tok' | 'dlv';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const LENGTH = 27;
const RANDOM_BYTES = 14;
const TWO_32 = 0x1_0000_0000;
const TWO_16 = 0x1_0000;

const pool = Buffer.alloc(RANDOM_BYTES * 256);
let poolOffset = pool.length;

let lastMs = -1;
/** The random part of the last id, big-endian. */
const lastRandom = Buffer.alloc(RANDOM_BYTES);
const limbs = new Array<number>(5);

function drawRandom(): void {
  if (poolOffset + RANDOM_BYTES > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  pool.copy(lastRandom, 0, poolOffset, poolOffset + RANDOM_BYTES);
  poolOffset += RANDOM_BYTES;
}

/** Adds one to the random part, wrapping within its 112 bits. */
function incrementRandom(): void {
  for (let i = RANDOM_BYTES - 1; i >= 0; i--) {
    const byte = (lastRandom[i]! + 1) & 0xff;
    lastRandom[i] = byte;
    if (byte !== 0) return;
  }
}

/** Base62 of the 160-bit number `ms << 112 | random`. */
function encode(ms: number, random: Buffer): string {
  limbs[0] = Math.floor(ms / TWO_16);
  limbs[1] = (ms % TWO_16) * TWO_16 + random.readUInt16BE(0);
  limbs[2] = random.readUInt32BE(2);
  limbs[3] = random.readUInt32BE(6);
  limbs[4] = random.readUInt32BE(10);
  const chars = new Array<string>(LENGTH);
  for (let c = LENGTH - 1; c >= 0; c--) {
    let remainder = 0;
    for (let i = 0; i < 5; i++) {
      // remainder < 62, so this stays below 2^38: exact in a double.
      const current = remainder * TWO_32 + limbs[i]!;
      limbs[i] = Math.floor(current / 62);
      remainder = current - limbs[i]! * 62;
    }
    chars[c] = ALPHABET[remainder]!;
  }
  return chars.join('');
}

const ZERO_RANDOM = Buffer.alloc(RANDOM_BYTES);

/** Makes a new id such as `msg_2Jd1p4...`. */
export function newId(prefix: IdPrefix, now: number = Date.now()): string {
  if (now <= lastMs) {
    incrementRandom();
    now = lastMs;
  } else {
    drawRandom();
  }
  lastMs = now;
  return `${prefix}_${encode(now, lastRandom)}`;
}

/**
 * The smallest id of `prefix` created at `ms`: lets `before`/`after` time filters
 * become id range conditions on the primary key.
 */
export function idAtTime(prefix: IdPrefix, ms: number): string {
  return `${prefix}_${encode(Math.max(0, Math.floor(ms)), ZERO_RANDOM)}`;
}

/** True when `value` has the shape of an id with `prefix`. */
export function isId(prefix: IdPrefix, value: string): boolean {
  return (
    value.length === prefix.length + 1 + LENGTH &&
    value.startsWith(`${prefix}_`) &&
    /^[0-9A-Za-z]+$/.test(value.slice(prefix.length + 1))
  );
}
