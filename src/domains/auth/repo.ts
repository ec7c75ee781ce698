import type { Kysely } from 'kysely';
import { newId } from '../../core/ids.js';
import type { Database } from '../../store/schema.js';

/** A stored token found by the hash of its plaintext (the plaintext is never stored). */
export function findTokenByHash(db: Kysely<Database>, tokenHash: string) {
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
