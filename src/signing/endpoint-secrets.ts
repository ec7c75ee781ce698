import type { MainKeyring } from './main-key.js';

/**
 * How an endpoint's secrets are stored: a JSON list, current secret first, each encrypted
 * with the main key. A rotated-out secret keeps an `expiresAt`: until then it signs too,
 * so receivers can switch secrets without dropping a delivery.
 */
export interface StoredSecret {
  key: string;
  expiresAt: number | null;
}

/** Encrypts a new current secret and keeps the previous ones that still count. */
export function storeSecrets(
  keyring: MainKeyring,
  current: string,
  previous: StoredSecret[] = [],
  now = Date.now(),
): string {
  const kept = previous.filter((s) => s.expiresAt !== null && s.expiresAt > now);
  return JSON.stringify([{ key: keyring.encrypt(current), expiresAt: null }, ...kept]);
}

export function readStoredSecrets(stored: string): StoredSecret[] {
  return JSON.parse(stored) as StoredSecret[];
}

/** The plaintext secret that signs now (the first). */
export function currentSecret(keyring: MainKeyring, stored: string): string {
  const first = readStoredSecrets(stored)[0];
  if (!first) throw new Error('endpoint has no secret');
  return keyring.decrypt(first.key);
}

/** Every plaintext secret that signs at `now`: the current one and unexpired previous ones. */
export function signingSecrets(keyring: MainKeyring, stored: string, now: number): string[] {
  return readStoredSecrets(stored)
    .filter((s) => s.expiresAt === null || s.expiresAt > now)
    .map((s) => keyring.decrypt(s.key));
}

/** Rotation: `next` becomes current; the old current signs on until `now + graceMs`. */
export function rotateSecrets(
  keyring: MainKeyring,
  stored: string,
  next: string,
  graceMs: number,
  now: number,
): string {
  const [current, ...rest] = readStoredSecrets(stored);
  const previous = current ? [{ key: current.key, expiresAt: now + graceMs }, ...rest] : rest;
  return storeSecrets(keyring, next, previous, now);
}
