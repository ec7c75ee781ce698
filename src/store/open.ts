import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Config } from '../config/index.js';
import type { Store } from './store.js';

/** A database that cannot be opened or reached; the CLI shows its message as one line. */
export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError';
}

export interface OpenStoreOptions {
  /**
   * PostgreSQL `application_name` prefix of every connection (`herald:worker:1234`), so an
   * operator (or a test) can tell Herald's backends, and which process, in `pg_stat_activity`.
   */
  applicationName?: string;
  /** SQLite: the write lock this connection shares with another thread's (src/store/sqlite/write-lock.ts). */
  sqliteWriteLock?: SharedArrayBuffer;
}

/** Opens the store named by `databaseUrl` (`sqlite:PATH` or `postgres://…`). */
export async function openStore(
  config: Pick<Config, 'databaseUrl'> & Partial<Pick<Config, 'sqliteMaxSizeMb'>>,
  options: OpenStoreOptions = {},
): Promise<Store> {
  const url = config.databaseUrl;
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length);
    if (path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true });
    const { openSqliteStore } = await import('./sqlite/sqlite-store.js');
    return openSqliteStore(path, {
      maxSizeMb: config.sqliteMaxSizeMb ?? 0,
      writeLock: options.sqliteWriteLock,
    });
  }
  const { openPostgresStore } = await import('./postgres/postgres-store.js');
  return openPostgresStore(url, { applicationName: options.applicationName ?? `herald:${process.pid}` });
}
