import type { MainKeyring } from './main-key.js';

/**
 * How an endpoint's custom headers are stored: the whole name → value map as JSON, encrypted
 * with the main key as one value, since headers such as `Authorization` carry credentials.
 *
 * Versions before this stored the JSON map as plaintext. Such a value (it starts with `{`,
 * which an encrypted value never does) is still read as is, so upgrading needs no key-aware
 * migration; the endpoint's next headers write, or `herald secrets rotate-main-key`, encrypts it.
 */
export type EndpointHeaders = Record<string, string>;

function isPlaintext(stored: string): boolean {
  return stored.trimStart().startsWith('{');
}

/** The stored form of `headers`, encrypted with the current main key. */
export function storeHeaders(keyring: MainKeyring, headers: EndpointHeaders): string {
  return keyring.encrypt(JSON.stringify(headers));
}

/** The header map of a stored value, encrypted or (written by an earlier version) plaintext. */
export function readHeaders(keyring: MainKeyring, stored: string): EndpointHeaders {
  return JSON.parse(isPlaintext(stored) ? stored : keyring.decrypt(stored)) as EndpointHeaders;
}

/** `stored` encrypted: plaintext from an earlier version is encrypted, encrypted values stay as they are. */
export function encryptPlaintextHeaders(keyring: MainKeyring, stored: string): string {
  return isPlaintext(stored) ? storeHeaders(keyring, readHeaders(keyring, stored)) : stored;
}

/** `stored` encrypted with the current key: unchanged if it already is, (re-)encrypted otherwise. */
export function reencryptHeaders(keyring: MainKeyring, stored: string): string {
  return keyring.reencrypt(encryptPlaintextHeaders(keyring, stored));
}
