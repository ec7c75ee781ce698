import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Admin tokens look like Svix's (`sk_…`); portal tokens like its app-portal tokens (`appsk_…`). */
export function generateToken(kind: 'admin' | 'portal'): string {
  return `${kind === 'admin' ? 'sk_herald_' : 'appsk_'}${randomBytes(24).toString('base64url')}`;
}

/**
 * Tokens are stored as SHA-256 hashes: they are long random strings, so a fast hash is
 * enough (no dictionary to guard against), and lookups stay one indexed query.
 */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Constant-time comparison of two tokens (or their hashes). */
export function tokensEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}
