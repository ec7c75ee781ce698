import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { ed25519RawPublicKey, ed25519Seed } from '@herald/verify/scheme';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateEndpointSecret, parseEndpointSecret, parseOrThrow, publicSecretForm } from './secrets.js';

function refusal(secret: string): string {
  const result = parseEndpointSecret(secret);
  if (result.ok) throw new Error('expected the secret to be refused');
  return result.reason;
}

describe('generateEndpointSecret', () => {
  it('generates whsec_ secrets of 24 random bytes (32 base64 characters), like Svix', () => {
    const secret = generateEndpointSecret('hmac');
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(24);
    expect(generateEndpointSecret('hmac')).not.toBe(secret);
  });

  it('generates whsk_ keys of 64 bytes: the seed followed by its public key, as Svix stores them', () => {
    const secret = generateEndpointSecret('ed25519');
    expect(secret).toMatch(/^whsk_[A-Za-z0-9+/]{86}==$/);
    const parsed = parseOrThrow(secret);
    if (parsed.type !== 'ed25519') throw new Error('expected an ed25519 secret');
    const bytes = Buffer.from(secret.slice(5), 'base64');
    expect(Buffer.from(parsed.publicKey.slice(5), 'base64')).toEqual(bytes.subarray(32));
  });

  it('round-trips: a generated secret of either type parses back to the same normalised string', () => {
    for (const type of ['hmac', 'ed25519'] as const) {
      const secret = generateEndpointSecret(type);
      const result = parseEndpointSecret(secret);
      expect(result).toMatchObject({ ok: true, secret: { type, normalized: secret } });
    }
  });
});

describe('parseEndpointSecret', () => {
  it('accepts any whsec_ key of 24 to 64 bytes and keeps its bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 24, maxLength: 64 }), (bytes) => {
        const secret = `whsec_${Buffer.from(bytes).toString('base64')}`;
        const result = parseEndpointSecret(secret);
        return result.ok && result.secret.type === 'hmac' && result.secret.key.equals(Buffer.from(bytes));
      }),
    );
  });

  it('accepts bare base64 as an HMAC key and normalises it to whsec_, as Svix does', () => {
    const bare = randomBytes(32).toString('base64');
    expect(parseEndpointSecret(bare)).toMatchObject({
      ok: true,
      secret: { type: 'hmac', normalized: `whsec_${bare}` },
    });
  });

  it('accepts unpadded base64 and normalises it to the padded form', () => {
    const padded = randomBytes(25).toString('base64');
    expect(padded.endsWith('=')).toBe(true);
    const result = parseEndpointSecret(`whsec_${padded.replace(/=+$/, '')}`);
    expect(result).toMatchObject({ ok: true, secret: { normalized: `whsec_${padded}` } });
  });

  it('refuses a key shorter than 24 bytes, saying how long it is', () => {
    expect(refusal(`whsec_${randomBytes(23).toString('base64')}`)).toMatch(/24 to 64 bytes; it encodes 23/);
  });

  it('refuses a key longer than 64 bytes', () => {
    expect(refusal(`whsec_${randomBytes(65).toString('base64')}`)).toMatch(/24 to 64 bytes; it encodes 65/);
  });

  it('refuses text that is not standard base64', () => {
    for (const bad of [
      'whsec_not base64 at all!!',
      'whsec_abc-def_ghi-jkl_mno-pqr_stu-vwx',
      'whsec_AAAA====',
      'whsec_',
    ]) {
      expect(refusal(bad)).toMatch(/standard base64|empty/);
    }
  });

  it('refuses base64 with non-canonical trailing bits, which would silently change the key', () => {
    const canonical = randomBytes(25).toString('base64'); // ends in "==", 4 unused bits before
    const last = canonical.at(-3)!;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    const tweaked = `${canonical.slice(0, -3)}${alphabet[alphabet.indexOf(last) ^ 1]}==`;
    expect(Buffer.from(tweaked, 'base64')).toEqual(Buffer.from(canonical, 'base64'));
    expect(parseEndpointSecret(`whsec_${tweaked}`).ok).toBe(false);
  });

  it('refuses an empty secret', () => {
    expect(refusal('')).toMatch(/empty/);
  });

  it('refuses a whpk_ public key as a signing secret and says why', () => {
    const signing = parseOrThrow(generateEndpointSecret('ed25519'));
    if (signing.type !== 'ed25519') throw new Error('expected ed25519');
    expect(refusal(signing.publicKey)).toMatch(/public key.*cannot sign/);
  });

  it('accepts a whsk_ holding a bare 32-byte seed (Standard Webhooks Go library form)', () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const seed = ed25519Seed(privateKey);
    const result = parseEndpointSecret(`whsk_${seed.toString('base64')}`);
    if (!result.ok || result.secret.type !== 'ed25519') throw new Error('expected an ed25519 secret');
    expect(result.secret.publicKey).toBe(`whpk_${ed25519RawPublicKey(privateKey).toString('base64')}`);
    expect(result.secret.normalized).toBe(
      `whsk_${Buffer.concat([seed, ed25519RawPublicKey(privateKey)]).toString('base64')}`,
    );
  });

  it('refuses a 64-byte whsk_ whose public half does not belong to its seed', () => {
    const seed = randomBytes(32);
    const otherPublic = ed25519RawPublicKey(generateKeyPairSync('ed25519').privateKey);
    expect(refusal(`whsk_${Buffer.concat([seed, otherPublic]).toString('base64')}`)).toMatch(/inconsistent/);
  });

  it('refuses a whsk_ of the wrong length', () => {
    expect(refusal(`whsk_${randomBytes(48).toString('base64')}`)).toMatch(/32-byte seed.*48 bytes/);
  });

  it('never quotes the secret in a refusal reason', () => {
    const samples = [
      `whsec_${randomBytes(10).toString('base64')}`,
      `whsec_${randomBytes(80).toString('base64')}`,
      `whsec_${randomBytes(30).toString('base64')}!`,
      `whsk_${randomBytes(40).toString('base64')}`,
      `whpk_${randomBytes(32).toString('base64')}`,
      randomBytes(10).toString('hex'),
    ];
    for (const secret of samples) {
      const reason = refusal(secret);
      const material = secret.replace(/^wh(sec|sk|pk)_/, '');
      expect(reason).not.toContain(material);
      expect(reason).not.toContain(material.slice(0, 12));
    }
  });
});

describe('publicSecretForm', () => {
  it('shows an HMAC secret itself, normalised, since receivers need the same key', () => {
    const bare = randomBytes(24).toString('base64');
    expect(publicSecretForm(bare)).toBe(`whsec_${bare}`);
  });

  it('shows only the whpk_ public key of an ed25519 secret, never the private key', () => {
    const secret = generateEndpointSecret('ed25519');
    const shown = publicSecretForm(secret);
    expect(shown).toMatch(/^whpk_[A-Za-z0-9+/]{43}=$/);
    expect(shown).not.toContain(secret.slice(5, 30));
  });

  it('throws for an invalid secret without quoting it', () => {
    const secret = `whsec_${randomBytes(8).toString('base64')}`;
    let error: unknown;
    try {
      publicSecretForm(secret);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toMatch(/24 to 64 bytes/);
    expect((error as Error).message).not.toContain(secret.slice(6));
  });
});
