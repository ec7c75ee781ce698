import type { Kysely, Selectable } from 'kysely';
import { ExpiringCache } from '../../core/expiring-cache.js';
import { newId } from '../../core/ids.js';
import type { Database, TokenTable } from '../../store/schema.js';

/** What authentication needs of a stored token (never its hash or plaintext). */
export type TokenRow = Pick<Selectable<TokenTable>, 'id' | 'kind' | 'app_id' | 'expires_at'>;

declare module '../../context.js' {
  interface HeraldContext {
    /** Tokens found by hash, so a request does not cost a query to authenticate (see `newTokenCache`). */
    readonly tokenCache: ExpiringCache<TokenRow | undefined>;
  }
}

/**
 * The per-process cache of tokens found (unknown ones are asked again each time, so a token
 * created by another process works at once). A logout in this process forgets at once; one in
 * another process is seen within the TTL. Expiry is checked on every request, cached or not.
 */
export function newTokenCache(): ExpiringCache<TokenRow | undefined> {
  return new ExpiringCache({ maxEntries: 10_000, cacheMisses: false });
}

/** A stored token found by the hash of its plaintext (the plaintext is never stored). */
export function findTokenByHash(db: Kysely<Database>, tokenHash: string): Promise<TokenRow | undefined> {
  return db
    .selectFrom('token')
    .select(['id', 'kind', 'app_id', 'expires_at'])
    .where('token_hash', '=', tokenHash)
    .executeTakeFirst();
}

/** Stores a portal token for one application, valid until `expiresAt`. */
export async function insertPortalToken(
  db: Kysely<Database>,
  fields: { tokenHash: string; appId: string; expiresAt: number },
  now: number,
): Promise<void> {
  await db
    .insertInto('token')
    .values({
      id: newId('tok', now),
      kind: 'portal',
      token_hash: fields.tokenHash,
      app_id: fields.appId,
      expires_at: fields.expiresAt,
      created_at: now,
    })
    .execute();
}

/** Revokes a token (a portal token's logout). */
export async function deleteToken(db: Kysely<Database>, tokenId: string): Promise<void> {
  await db.deleteFrom('token').where('id', '=', tokenId).execute();
}
