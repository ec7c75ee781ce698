import { describe, expect, it } from 'vitest';
import { encryptPlaintextHeaders, readHeaders, reencryptHeaders, storeHeaders } from './endpoint-headers.js';
import { generateMainSecret, MainKeyDecryptError, MainKeyring, UnknownMainKeyError } from './main-key.js';

const HEADERS = { Authorization: 'Bearer sk_live_UNIT', 'X-Team': 'billing' };

describe('endpoint headers at rest', () => {
  const oldSecret = generateMainSecret();
  const old = MainKeyring.fromSecrets(oldSecret);
  const rotating = MainKeyring.fromSecrets(generateMainSecret(), [oldSecret]);

  it('stores the map as one value that holds none of it in plaintext', () => {
    const stored = storeHeaders(old, HEADERS);
    expect(stored).not.toContain('sk_live_UNIT');
    expect(stored).not.toContain('billing');
    expect(readHeaders(old, stored)).toEqual(HEADERS);
  });

  it('reads plaintext JSON from earlier versions without any key, and encrypts it on request', () => {
    const plain = JSON.stringify(HEADERS);
    expect(readHeaders(old, plain)).toEqual(HEADERS);
    expect(reencryptHeaders(old, plain)).not.toBe(plain);
    const encrypted = encryptPlaintextHeaders(old, plain);
    expect(encrypted).not.toContain('sk_live_UNIT');
    expect(readHeaders(old, encrypted)).toEqual(HEADERS);
    // Already encrypted values are left alone, even under a previous key: rotation re-encrypts those.
    expect(encryptPlaintextHeaders(rotating, encrypted)).toBe(encrypted);
  });

  it('re-encrypts under the current key so the previous one can go', () => {
    const stored = storeHeaders(old, HEADERS);
    expect(rotating.isCurrent(stored)).toBe(false);
    const rotated = reencryptHeaders(rotating, stored);
    expect(rotating.isCurrent(rotated)).toBe(true);
    expect(reencryptHeaders(rotating, rotated)).toBe(rotated);
    expect(() => readHeaders(old, rotated)).toThrow(UnknownMainKeyError);
    expect(readHeaders(rotating, rotated)).toEqual(HEADERS);
  });

  it('refuses an altered value', () => {
    const stored = storeHeaders(old, HEADERS);
    const altered = `${stored.slice(0, -4)}${stored.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
    expect(() => readHeaders(old, altered)).toThrow(MainKeyDecryptError);
  });
});
