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

/**
 * Whether a token's hash (from {@link hashToken}) is the configured admin token's, in constant
 * time. The admin token's own hash is computed once, not on every request.
 */
export function isAdminTokenHash(hash: string, adminToken: string): boolean {
  if (adminDigest?.token !== adminToken)
    adminDigest = { token: adminToken, hash: Buffer.from(hashToken(adminToken)) };
  return timingSafeEqual(Buffer.from(hash), adminDigest.hash);
}

let adminDigest: { token: string; hash: Buffer } | null = null;
