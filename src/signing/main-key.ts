/**
 * Encryption at rest of endpoint secrets with the operator's main key (`HERALD_MAIN_SECRET`).
 *
 * Stored form: `hk1:<keyId>:<base64(iv ‖ tag ‖ ciphertext)>`, AES-256-GCM with a random 96-bit IV.
 * The key id (first 8 hex characters of SHA-256 of the key) says which main key encrypted a value,
 * so the main key can rotate: the new key encrypts, the previous ones
 * (`HERALD_MAIN_SECRET_PREVIOUS`) still decrypt, and values are re-encrypted at leisure.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const FORMAT_VERSION = 'hk1';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const CURRENT_VARIABLE = 'HERALD_MAIN_SECRET';
const PREVIOUS_VARIABLE = 'HERALD_MAIN_SECRET_PREVIOUS';

/** An invalid main secret in the configuration; the message names the variable, never the value. */
export class MainSecretConfigError extends Error {
  override readonly name = 'MainSecretConfigError';
}

/** A stored value was encrypted with a main key that is not configured (any more). */
export class UnknownMainKeyError extends Error {
  override readonly name = 'UnknownMainKeyError';
  constructor(readonly keyId: string) {
    super(
      `this value was encrypted with main key ${keyId}, which is neither ${CURRENT_VARIABLE} nor in ` +
        `${PREVIOUS_VARIABLE}: add the old main secret to ${PREVIOUS_VARIABLE}`,
    );
  }
}

/** A stored value is malformed, was altered, or does not belong to the key its id names. */
export class MainKeyDecryptError extends Error {
  override readonly name = 'MainKeyDecryptError';
}

/** Generates a new main secret (base64 of 32 random bytes), e.g. for `herald` to print at set-up. */
export function generateMainSecret(): string {
  return randomBytes(KEY_BYTES).toString('base64');
}

/**
 * The main keys: the current one encrypts, every one decrypts. Key material is held in private
 * fields, so it does not show in `console.log`, `JSON.stringify` or error reports.
 */
export class MainKeyring {
  /** Id of the key that {@link encrypt} uses. */
  readonly currentKeyId: string;
  readonly #current: Buffer;
  readonly #byId: Map<string, Buffer>;

  private constructor(current: Buffer, previous: Buffer[]) {
    this.#current = current;
    this.currentKeyId = keyIdOf(current);
    this.#byId = new Map([[this.currentKeyId, current]]);
    for (const key of previous) {
      const id = keyIdOf(key);
      const known = this.#byId.get(id);
      if (known && !known.equals(key)) {
        throw new MainSecretConfigError(
          `two different main secrets share the key id ${id}; generate a new one`,
        );
      }
      this.#byId.set(id, key);
    }
  }

  /**
   * Builds the keyring from `HERALD_MAIN_SECRET` and `HERALD_MAIN_SECRET_PREVIOUS` values: each is
   * base64 of 32 bytes or 64 hex characters. `previous` may be a list or the comma-separated
   * variable as is. Throws {@link MainSecretConfigError} naming the faulty variable.
   */
  static fromSecrets(current: string, previous: readonly string[] | string = []): MainKeyring {
    const previousList = typeof previous === 'string' ? previous.split(',') : previous;
    const previousKeys = previousList
      .map((value) => value.trim())
      .filter((value) => value !== '')
      .map((value, index) => decodeMainSecret(value, `${PREVIOUS_VARIABLE} (entry ${index + 1})`));
    return new MainKeyring(decodeMainSecret(current, CURRENT_VARIABLE), previousKeys);
  }

  /** Encrypts with the current key. */
  encrypt(plain: string): string {
    const iv = randomBytes(IV_BYTES);
    const header = `${FORMAT_VERSION}:${this.currentKeyId}`;
    const cipher = createCipheriv('aes-256-gcm', this.#current, iv);
    // The header is authenticated too, so the key id cannot be swapped without detection.
    cipher.setAAD(Buffer.from(header));
    const ciphertext = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return `${header}:${Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64')}`;
  }

  /**
   * Decrypts a value from {@link encrypt}, with whichever configured key its id names. Throws
   * {@link UnknownMainKeyError} for a key that is not configured, {@link MainKeyDecryptError} for a
   * malformed or altered value.
   */
  decrypt(stored: string): string {
    const { keyId, header, payload } = splitStored(stored);
    const key = this.#byId.get(keyId);
    if (!key) throw new UnknownMainKeyError(keyId);
    if (payload.length < IV_BYTES + TAG_BYTES) {
      throw new MainKeyDecryptError(`the value encrypted with main key ${keyId} is truncated`);
    }
    const decipher = createDecipheriv('aes-256-gcm', key, payload.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(header));
    decipher.setAuthTag(payload.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    try {
      return Buffer.concat([
        decipher.update(payload.subarray(IV_BYTES + TAG_BYTES)),
        decipher.final(),
      ]).toString('utf8');
    } catch {
      throw new MainKeyDecryptError(`the value encrypted with main key ${keyId} was altered or is corrupt`);
    }
  }

  /** Whether `stored` is encrypted with the current key, i.e. needs no re-encryption. */
  isCurrent(stored: string): boolean {
    return keyIdOrUndefined(stored) === this.currentKeyId;
  }

  /** `stored` encrypted with the current key: unchanged if it already is, re-encrypted otherwise. */
  reencrypt(stored: string): string {
    return this.isCurrent(stored) ? stored : this.encrypt(this.decrypt(stored));
  }
}

function decodeMainSecret(value: string, variable: string): Buffer {
  const text = typeof value === 'string' ? value.trim() : '';
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  if (/^[A-Za-z0-9+/]{43}=?$/.test(text)) {
    const key = Buffer.from(text, 'base64');
    if (key.length === KEY_BYTES && key.toString('base64') === text.replace(/=?$/, '=')) return key;
  }
  throw new MainSecretConfigError(
    `${variable} must be base64 of 32 bytes (44 characters) or 64 hex characters; generate one with ` +
      '`openssl rand -base64 32`',
  );
}

function keyIdOf(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

const STORED_PATTERN = /^hk1:([0-9a-f]{8}):([A-Za-z0-9+/]+={0,2})$/;

function splitStored(stored: string): { keyId: string; header: string; payload: Buffer } {
  const match = typeof stored === 'string' ? STORED_PATTERN.exec(stored) : null;
  if (!match)
    throw new MainKeyDecryptError(`the value is not in the ${FORMAT_VERSION}:<keyId>:<base64> format`);
  const keyId = match[1]!;
  return { keyId, header: `${FORMAT_VERSION}:${keyId}`, payload: Buffer.from(match[2]!, 'base64') };
}

function keyIdOrUndefined(stored: string): string | undefined {
  return typeof stored === 'string' ? STORED_PATTERN.exec(stored)?.[1] : undefined;
}
