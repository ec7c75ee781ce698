import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/index.js';
import { newId } from '../core/ids.js';
import { generateToken, hashToken } from '../domains/auth/tokens.js';
import { generateMainSecret, MainKeyring } from '../signing/main-key.js';
import type { Store } from '../store/store.js';

/** A generated file that would replace one already there: Herald never overwrites them. */
export class GeneratedFileExistsError extends Error {}

/**
 * Creates `path` readable only by its owner. Exclusive (`wx`): a file already there is never
 * replaced, even by a process racing this one; that is refused with one line saying what to do.
 */
function writePrivateFile(path: string, content: string, what: string): void {
  try {
    writeFileSync(path, content, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    throw new GeneratedFileExistsError(
      `${path} already exists and was not overwritten; move it away (or set HERALD_DATA_DIR) to let Herald write ${what}`,
    );
  }
}

/**
 * Names the database in a file name: `sqlite:./data/b.db` gives `data-b.db`,
 * `postgres://u:pw@db:5432/herald?schema=acme` gives `db-5432-herald-acme` (never the credentials).
 */
export function databaseLabel(databaseUrl: string): string {
  let parts: string[];
  if (databaseUrl.startsWith('sqlite:')) parts = [databaseUrl.slice('sqlite:'.length)];
  else {
    const url = new URL(databaseUrl);
    parts = [url.hostname, url.port || '5432', url.pathname.slice(1), url.searchParams.get('schema') ?? ''];
  }
  return parts
    .join('-')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[-.]+|-+$/g, '');
}

/**
 * Where a new admin token is written: `admin-token`, unless that file exists — then it belongs to
 * another database (this one has no admin token yet), e.g. a second installation sharing the data
 * directory, and is kept: the new token goes to `admin-token.<database>` beside it.
 */
function adminTokenFile(dataDir: string, databaseUrl: string): string {
  const plain = join(dataDir, 'admin-token');
  return existsSync(plain) ? `${plain}.${databaseLabel(databaseUrl)}` : plain;
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
  if (!existsSync(path)) writePrivateFile(path, `${generateMainSecret()}\n`, 'a new main key');
  return MainKeyring.fromSecrets(readFileSync(path, 'utf8').trim(), config.mainSecretPrevious);
}

/**
 * First start: with no `HERALD_ADMIN_TOKEN` and no admin token stored yet, creates one,
 * stores only its hash, and shows it once (returned for printing, and written to a file
 * in the data directory readable only by its owner). The file is written before the hash is
 * stored, so a refused file leaves the database without a token to lose.
 */
export async function ensureAdminToken(
  store: Store,
  config: Pick<Config, 'adminToken' | 'dataDir' | 'databaseUrl'>,
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
  mkdirSync(config.dataDir, { recursive: true });
  const file = adminTokenFile(config.dataDir, config.databaseUrl);
  writePrivateFile(file, `${token}\n`, `the admin token of ${databaseLabel(config.databaseUrl)}`);
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
  return { token, file };
}
