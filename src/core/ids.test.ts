import { describe, expect, it } from 'vitest';
import { idAtTime, isId, newId } from './ids.js';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** The id's 27 characters read back as the number they encode (an independent decoder). */
function decode(id: string): bigint {
  let value = 0n;
  for (const char of id.slice(id.indexOf('_') + 1)) value = value * 62n + BigInt(ALPHABET.indexOf(char));
  return value;
}

const RANDOM_BITS = 112n;

describe('ids', () => {
  it('encode the creation millisecond in the top 48 bits', () => {
    const ms = Date.now() + 1_000;
    expect(decode(newId('msg', ms)) >> RANDOM_BITS).toBe(BigInt(ms));
    expect(decode(idAtTime('msg', 1_700_000_000_123))).toBe(1_700_000_000_123n << RANDOM_BITS);
    expect(decode(idAtTime('msg', 2 ** 48 - 1))).toBe((2n ** 48n - 1n) << RANDOM_BITS);
    expect(idAtTime('msg', 0)).toBe(`msg_${'0'.repeat(27)}`);
  });

  it('are strictly increasing, as text, within one millisecond and across them', () => {
    const ids: string[] = [];
    const start = Date.now() + 3_600_000;
    for (let i = 0; i < 5_000; i++) ids.push(newId('atmpt', start + Math.floor(i / 1_000)));
    for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!).toBe(true);
    // Within a millisecond the random part counts up by one.
    expect(decode(ids[1]!) - decode(ids[0]!)).toBe(1n);
  });

  it('draw fresh random bits each millisecond', () => {
    const base = Date.now() + 7_200_000;
    const randoms = new Set<bigint>();
    for (let i = 0; i < 2_000; i++) randoms.add(decode(newId('dlv', base + i)) & ((1n << RANDOM_BITS) - 1n));
    expect(randoms.size).toBe(2_000);
  });

  it('never go backwards when the clock does', () => {
    const later = newId('msg', Date.now() + 10_800_000);
    const earlier = newId('msg', 1_000);
    expect(earlier > later).toBe(true);
  });

  it('sort after the time-floor id of their millisecond and before the next one', () => {
    const ms = Date.now() + 14_400_000;
    const id = newId('ep', ms);
    expect(id >= idAtTime('ep', ms)).toBe(true);
    expect(id < idAtTime('ep', ms + 1)).toBe(true);
  });

  it('recognise only their own prefix and alphabet', () => {
    const id = newId('app');
    expect(isId('app', id)).toBe(true);
    expect(isId('msg', id)).toBe(false);
    expect(isId('app', `${id.slice(0, -1)}-`)).toBe(false);
    expect(isId('app', id.slice(0, -1))).toBe(false);
  });
});
