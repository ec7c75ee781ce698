import { EventEmitter } from 'node:events';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import { appliedNames, migrationProvider, pendingNames } from '../migrations/index.js';
import { StoreUnavailableError } from '../open.js';
import type { Database } from '../schema.js';
import type { Store } from '../store.js';
import { MAIN_CONNECTION_CHECKPOINT_PAGES, startCheckpointer } from './checkpointer.js';
import { SqliteQueue } from './sqlite-queue.js';

/**
 * SQLite backend: one better-sqlite3 connection in WAL mode, shared by Kysely and the
 * queue's prepared statements. Every use goes through Kysely's connection mutex, so the
 * synchronous queue transactions never interleave with an async Kysely transaction.
 */
export function openSqliteStore(path: string): Store {
  let raw: SqliteDatabase.Database;
  try {
    raw = new SqliteDatabase(path);
    raw.pragma('auto_vacuum = INCREMENTAL');
    raw.pragma('journal_mode = WAL');
    // FULL: a message the API acknowledged survives a power cut, not only a crash.
    raw.pragma('synchronous = FULL');
    raw.pragma('foreign_keys = ON');
    raw.pragma('busy_timeout = 5000');
    raw.pragma(`wal_autocheckpoint = ${MAIN_CONNECTION_CHECKPOINT_PAGES}`);
  } catch (err) {
    throw new StoreUnavailableError(`cannot open SQLite database ${path}: ${(err as Error).message}`);
  }
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: raw }) });
  const checkpointer = path === ':memory:' || path === '' ? null : startCheckpointer(path);
  const due = new EventEmitter();
  due.setMaxListeners(0);

  const migrator = () => new Migrator({ db, provider: migrationProvider({ dialect: 'sqlite' }) });
  return {
    dialect: 'sqlite',
    db,
    queue: new SqliteQueue(db, raw),
    notifyDue: () => due.emit('due'),
    onDue(listener) {
      due.on('due', listener);
      return () => due.off('due', listener);
    },
    async migrate() {
      const { error, results } = await migrator().migrateToLatest();
      if (error) throw error;
      return appliedNames(results);
    },
    async pendingMigrations() {
      return pendingNames(await migrator().getMigrations());
    },
    async ping() {
      raw.prepare('select 1').get();
    },
    async close() {
      await checkpointer?.stop();
      await db.destroy();
    },
  };
}
