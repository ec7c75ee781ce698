import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/index.js';
import { newId } from '../core/ids.js';
import { generateToken, hashToken } from '../domains/auth/tokens.js';
import { generateMainSecret, MainKeyring } from '../signing/main-key.js';
import type { Store } from '../store/store.js';

function writePrivateFile(path: string, content: string): void {
  writeFileSync(path, content, { mode: 0o600 });
  // mode only applies when the file is created; make sure an existing one is private too.
  chmodSync(path, 0o600);
}

/**
 * The main key that encrypts endpoint secrets. On SQLite, with no `HERALD_MAIN_SECRET`,
 * it is generated once into the data directory (readable only by its owner), so the quick
 * start needs no configuration. PostgreSQL deployments must share one key: config requires it.
 */
export function loadKeyring(
  config: Pick<Config, 'mainSecret' | 'mainSecretPrevious' | 'dataDir'>,
): MainKeyring {
  if (config.mainSecret) return MainKeyring.fromSecrets(config.mainSecret, config.mainSecretPrevious);
  mkdirSync(config.dataDir, { recursive: true });
  const path = join(config.dataDir, 'main.key');
  if (!existsSync(path)) writePrivateFile(path, `${generateMainSecret()}\n`);
  return MainKeyring.fromSecrets(readFileSync(path, 'utf8').trim(), config.mainSecretPrevious);
}

/**
 * First start: with no `HERALD_ADMIN_TOKEN` and no admin token stored yet, creates one,
 * stores only its hash, and shows it once (returned for printing, and written to a file
 * in the data directory readable only by its owner).
 */
export async function ensureAdminToken(
  store: Store,
  config: Pick<Config, 'adminToken' | 'dataDir'>,
  now: number,
): Promise<{ token: string; file: string } | null> {
  if (config.adminToken) return null;
  const existing = await store.db
    .selectFrom('token')
    .select('id')
    .where('kind', '=', 'admin')
    .executeTakeFirst();
  if (existing) return null;
  const token = generateToken('admin');
  await store.db
    .insertInto('token')
    .values({
      id: newId('tok', now),
      kind: 'admin',
      token_hash: hashToken(token),
      app_id: null,
      expires_at: null,
      created_at: now,
    })
    .execute();
  mkdirSync(config.dataDir, { recursive: true });
  const file = join(config.dataDir, 'admin-token');
  writePrivateFile(file, `${token}\n`);
  return { token, file };
}
