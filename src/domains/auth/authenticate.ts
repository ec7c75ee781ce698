import type { FastifyRequest } from 'fastify';
import type { HeraldContext } from '../../context.js';
import { bearerToken } from '../../core/bearer-token.js';
import type { AuthContext } from '../../core/caller.js';
import { HttpError } from '../../errors.js';
import { findTokenByHash } from './repo.js';
import { hashToken, isAdminTokenHash } from './tokens.js';

/** Svix's wording for a token it does not know (`INVALID_TOKEN_ERR`); clients match on it. */
const INVALID_TOKEN = 'Invalid token';
const unauthorized = () => new HttpError('unauthorized', INVALID_TOKEN);

/**
 * Resolves the caller from `Authorization: Bearer …`. Tokens are looked up by hash, so the
 * plaintext never touches the database; the configured admin token is compared in constant time.
 */
export async function authenticate(ctx: HeraldContext, request: FastifyRequest): Promise<AuthContext> {
  const hash = hashToken(bearerToken(request));
  if (ctx.config.adminToken && isAdminTokenHash(hash, ctx.config.adminToken)) return { kind: 'admin' };
  const row = await ctx.tokenCache.get(hash, () => findTokenByHash(ctx.store.db, hash));
  if (!row) throw unauthorized();
  if (row.expires_at !== null && row.expires_at <= ctx.now())
    throw new HttpError('unauthorized', 'The token has expired.');
  if (row.kind === 'admin') return { kind: 'admin' };
  if (row.kind === 'portal' && row.app_id) return { kind: 'portal', appId: row.app_id, tokenId: row.id };
  throw unauthorized();
}

/** Refuses portal tokens on operator-only routes (the event catalog's writes, say). */
export function requireAdmin(request: FastifyRequest): void {
  if (request.auth.kind !== 'admin') throw new HttpError('forbidden', 'This operation needs an admin token.');
}
