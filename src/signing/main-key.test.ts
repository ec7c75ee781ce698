import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  generateMainSecret,
  MainKeyDecryptError,
  MainKeyring,
  MainSecretConfigError,
  UnknownMainKeyError,
} from './main-key.js';
import { generateEndpointSecret } from './secrets.js';

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a throw');
}

describe('MainKeyring', () => {
  it('decrypts what it encrypted, for any text', () => {
    const keyring = MainKeyring.fromSecrets(generateMainSecret());
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme' }),
        (plain) => keyring.decrypt(keyring.encrypt(plain)) === plain,
      ),
    );
  });

  it('stores hk1:<keyId>:<base64> and the ciphertext reveals no plaintext', () => {
    const keyring = MainKeyring.fromSecrets(generateMainSecret());
    const secret = generateEndpointSecret('hmac');
    const stored = keyring.encrypt(secret);
    expect(stored).toMatch(new RegExp(`^hk1:${keyring.currentKeyId}:[A-Za-z0-9+/]+=*$`));
    expect(keyring.currentKeyId).toMatch(/^[0-9a-f]{8}$/);
    const decoded = Buffer.from(stored.split(':')[2]!, 'base64');
    for (const needle of [
      secret,
      secret.slice(6),
      Buffer.from(secret.slice(6), 'base64').toString('latin1'),
    ]) {
      expect(stored).not.toContain(needle);
      expect(decoded.toString('latin1')).not.toContain(needle);
    }
  });

  it('encrypts the same text differently each time (random IV)', () => {
    const keyring = MainKeyring.fromSecrets(generateMainSecret());
    expect(keyring.encrypt('same')).not.toBe(keyring.encrypt('same'));
  });

  it('refuses a ciphertext with any byte changed', () => {
    const keyring = MainKeyring.fromSecrets(generateMainSecret());
    const stored = keyring.encrypt('whsec_secret-material');
    const [version, keyId, payload] = stored.split(':') as [string, string, string];
    const bytes = Buffer.from(payload, 'base64');
    for (let i = 0; i < bytes.length; i++) {
      const altered = Buffer.from(bytes);
      altered[i]! ^= 0x01;
      const attempt = `${version}:${keyId}:${altered.toString('base64')}`;
      expect(() => keyring.decrypt(attempt)).toThrow(MainKeyDecryptError);
    }
  });

  it('refuses a value moved under another key id, since the header is authenticated', () => {
    const first = generateMainSecret();
    const second = generateMainSecret();
    const keyring = MainKeyring.fromSecrets(second, [first]);
    const stored = MainKeyring.fromSecrets(first).encrypt('plain');
    const relabelled = stored.replace(/^hk1:[0-9a-f]{8}:/, `hk1:${keyring.currentKeyId}:`);
    expect(keyring.decrypt(stored)).toBe('plain');
    expect(() => keyring.decrypt(relabelled)).toThrow(MainKeyDecryptError);
  });

  it('refuses malformed and truncated values', () => {
    const keyring = MainKeyring.fromSecrets(generateMainSecret());
    expect(() => keyring.decrypt('not encrypted')).toThrow(MainKeyDecryptError);
    expect(() => keyring.decrypt(`hk1:${keyring.currentKeyId}:AAAA`)).toThrow(/truncated/);
  });

  it('after a rotation, decrypts old values with the previous key and encrypts with the new one', () => {
    const oldSecret = generateMainSecret();
    const before = MainKeyring.fromSecrets(oldSecret);
    const stored = before.encrypt('whsec_old');

    const after = MainKeyring.fromSecrets(generateMainSecret(), [oldSecret]);
    expect(after.currentKeyId).not.toBe(before.currentKeyId);
    expect(after.decrypt(stored)).toBe('whsec_old');
    expect(after.isCurrent(stored)).toBe(false);

    const rewritten = after.reencrypt(stored);
    expect(after.isCurrent(rewritten)).toBe(true);
    expect(after.decrypt(rewritten)).toBe('whsec_old');
    expect(after.reencrypt(rewritten)).toBe(rewritten);
  });

  it('reads HERALD_MAIN_SECRET_PREVIOUS as a comma-separated list', () => {
    const a = generateMainSecret();
    const b = generateMainSecret();
    const storedB = MainKeyring.fromSecrets(b).encrypt('from b');
    const keyring = MainKeyring.fromSecrets(generateMainSecret(), ` ${a} ,${b},`);
    expect(keyring.decrypt(storedB)).toBe('from b');
  });

  it('names the unknown key id, and no secret, when a value was encrypted with a key no longer configured', () => {
    const gone = generateMainSecret();
    const current = generateMainSecret();
    const stored = MainKeyring.fromSecrets(gone).encrypt('whsec_payload');
    const keyring = MainKeyring.fromSecrets(current);
    const error = thrown(() => keyring.decrypt(stored));
    expect(error).toBeInstanceOf(UnknownMainKeyError);
    const goneId = stored.split(':')[1]!;
    expect((error as UnknownMainKeyError).keyId).toBe(goneId);
    expect(error.message).toContain(goneId);
    expect(error.message).toContain('HERALD_MAIN_SECRET_PREVIOUS');
    for (const secretText of [gone, current, 'whsec_payload', stored.split(':')[2]!]) {
      expect(error.message).not.toContain(secretText);
    }
  });

  it('accepts the main secret as 64 hex characters, with the same key id as its base64 form', () => {
    const bytes = randomBytes(32);
    const fromHex = MainKeyring.fromSecrets(bytes.toString('hex'));
    const fromBase64 = MainKeyring.fromSecrets(bytes.toString('base64'));
    expect(fromHex.currentKeyId).toBe(fromBase64.currentKeyId);
    expect(fromBase64.decrypt(fromHex.encrypt('x'))).toBe('x');
  });

  it('refuses a main secret of the wrong size with a message naming the variable, not the value', () => {
    for (const bad of [
      randomBytes(16).toString('base64'),
      randomBytes(33).toString('base64'),
      'hunter2',
      '',
    ]) {
      const error = thrown(() => MainKeyring.fromSecrets(bad));
      expect(error).toBeInstanceOf(MainSecretConfigError);
      expect(error.message).toMatch(/^HERALD_MAIN_SECRET must be base64 of 32 bytes/);
      if (bad) expect(error.message).not.toContain(bad);
    }
  });

  it('names the faulty entry of HERALD_MAIN_SECRET_PREVIOUS', () => {
    const bad = randomBytes(20).toString('base64');
    const error = thrown(() => MainKeyring.fromSecrets(generateMainSecret(), [generateMainSecret(), bad]));
    expect(error.message).toMatch(/^HERALD_MAIN_SECRET_PREVIOUS \(entry 2\) must be base64/);
    expect(error.message).not.toContain(bad);
  });

  it('keeps key material out of console output and JSON', () => {
    const secret = generateMainSecret();
    const keyring = MainKeyring.fromSecrets(secret);
    const key = Buffer.from(secret, 'base64');
    for (const shown of [inspect(keyring, { depth: 5, showHidden: true }), JSON.stringify(keyring)]) {
      expect(shown).not.toContain(secret);
      expect(shown).not.toContain(key.toString('hex').slice(0, 16));
      expect(shown).not.toMatch(/<Buffer/);
    }
  });
});
