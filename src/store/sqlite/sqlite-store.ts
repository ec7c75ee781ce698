import { statfsSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import {
  CompiledQuery,
  type DatabaseConnection,
  Kysely,
  Migrator,
  SqliteDialect,
  type SqliteDialectConfig,
  SqliteDriver,
} from 'kysely';
import { StoreHealth } from '../health.js';
import { Lines } from '../lines.js';
import { appliedNames, migrationProvider, pendingNames } from '../migrations/index.js';
import { StoreUnavailableError } from '../open.js';
import type { Database } from '../schema.js';
import type { Store } from '../store.js';
import { ThreadSignal } from '../thread-signal.js';
import { MAIN_CONNECTION_CHECKPOINT_PAGES, startCheckpointer } from './checkpointer.js';
import { commitsWithoutFsync } from './commits.js';
import { SqliteQueue } from './sqlite-queue.js';
import { WriteLock } from './write-lock.js';

/**
 * SQLite backend: one better-sqlite3 connection in WAL mode, shared by Kysely and the
 * queue's prepared statements. Every use goes through Kysely's connection mutex, so the
 * synchronous queue transactions never interleave with an async Kysely transaction.
 */
export function openSqliteStore(
  path: string,
  options: {
    maxSizeMb?: number;
    /** Shared with another thread on the same file (`herald serve`): see write-lock.ts. */
    writeLock?: SharedArrayBuffer;
  } = {},
): Store {
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
    if (options.maxSizeMb) {
      const pageSize = raw.pragma('page_size', { simple: true }) as number;
      raw.pragma(`max_page_count = ${Math.floor((options.maxSizeMb * 1_048_576) / pageSize)}`);
    }
  } catch (err) {
    throw new StoreUnavailableError(`cannot open SQLite database ${path}: ${(err as Error).message}`);
  }
  const lock = options.writeLock ? new WriteLock(options.writeLock) : null;
  const db = new Kysely<Database>({ dialect: new SqliteStoreDialect(raw, lock) });
  const onDisk = path !== ':memory:' && path !== '';
  const checkpointer = onDisk ? startCheckpointer(path) : null;
  // Heard by the other thread on the same file too, when there is one (it shares the write lock).
  const due = new ThreadSignal<readonly string[] | null>(
    options.writeLock ? `herald:due:${resolve(path)}` : null,
  );
  let probe: ReturnType<typeof prepareProbe> | undefined;
  // Through Kysely's connection mutex, like the queue: never inside another transaction.
  const check = () =>
    db.connection().execute(async () => {
      if (onDisk) checkFreeSpace(path);
      probe ??= prepareProbe(raw);
      probe.run(Date.now());
    });
  const health = new StoreHealth(`SQLite database ${path}`, onDisk ? resolve(path) : null, check);

  const migrator = () => new Migrator({ db, provider: migrationProvider({ dialect: 'sqlite' }) });
  const wal = onDisk ? new WalSync(`${path}-wal`) : null;
  const withoutFsync = commitsWithoutFsync(raw);
  return {
    dialect: 'sqlite',
    db,
    queue: new SqliteQueue(db, raw, withoutFsync, lock),
    lines: new Lines('sqlite'),
    async writeDurably(write) {
      // Holding the connection, so no other write commits without its fsync meanwhile.
      const result = await db
        .connection()
        .execute((connection) => withoutFsync(() => connection.transaction().execute(write)));
      // The commit's frames are in the log file: flushing the file makes them durable, and a
      // checkpoint that copied them into the database first has fsynced the database.
      await wal?.sync();
      return result;
    },
    notifyDue: (endpointIds) => due.emit(endpointIds ?? null),
    onDue: (listener) => due.on(listener),
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
    check,
    health,
    async close() {
      due.close();
      health.close();
      await checkpointer?.stop();
      await wal?.close();
      await db.destroy();
    },
  };
}

/**
 * fsync of one SQLite database's write-ahead log through a file handle of its own, on libuv's
 * threadpool. fsync flushes the file, whichever descriptor wrote it; the log keeps its inode
 * while the database is open (checkpoints rewind or truncate it, never delete it).
 */
class WalSync {
  #handle: Promise<FileHandle> | null = null;

  constructor(private readonly path: string) {}

  async sync(): Promise<void> {
    this.#handle ??= open(this.path, 'r');
    try {
      await (await this.#handle).sync();
    } catch (err) {
      this.#handle = null;
      throw err;
    }
  }

  async close(): Promise<void> {
    const handle = this.#handle;
    this.#handle = null;
    await (await handle?.catch(() => null))?.close();
  }
}

/**
 * The readiness write. A row update fits in place, so it would succeed on a database that has
 * no room left; the page-sized insert, rolled back, has to allocate a page as a new message
 * would, and fails with SQLITE_FULL when none is free. Together: about 0.1 ms and one fsync.
 */
function prepareProbe(raw: SqliteDatabase.Database) {
  const pageSize = raw.pragma('page_size', { simple: true }) as number;
  const room = raw.prepare("INSERT INTO setting (key, value) VALUES ('herald.health.room', zeroblob(?))");
  const beat = raw.prepare(
    "INSERT INTO setting (key, value) VALUES ('herald.health', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
  );
  return {
    run(now: number) {
      raw.exec('BEGIN');
      try {
        room.run(pageSize);
      } finally {
        if (raw.inTransaction) raw.exec('ROLLBACK');
      }
      beat.run(String(now));
    },
  };
}

/** Less than this free on the database's file system counts as full: SQLite needs room for its log. */
const MIN_FREE_BYTES = 1_048_576;

function checkFreeSpace(path: string): void {
  const dir = dirname(resolve(path));
  const stats = statfsSync(dir);
  if (stats.bavail * stats.bsize < MIN_FREE_BYTES) {
    throw Object.assign(new Error(`no space left on the device of ${dir}`), { code: 'ENOSPC' });
  }
}

/**
 * Kysely's SQLite dialect, except that a rollback after SQLite has already rolled back (it
 * does so itself on SQLITE_FULL and I/O errors) is skipped: otherwise the rollback's own
 * error ("cannot rollback - no transaction is active") replaces the one that says the disk is full.
 */
class SqliteStoreDialect extends SqliteDialect {
  readonly #raw: SqliteDatabase.Database;
  readonly #lock: WriteLock | null;

  constructor(raw: SqliteDatabase.Database, lock: WriteLock | null) {
    super({ database: raw });
    this.#raw = raw;
    this.#lock = lock;
  }

  override createDriver(): SqliteDriver {
    const raw = this.#raw;
    const lock = this.#lock;
    return new (class extends SqliteDriver {
      // Immediate, as the queue's (src/store/sqlite/sqlite-queue.ts, writeTransaction): a
      // transaction that reads and then writes (the outbox reads the endpoints first) is refused
      // with SQLITE_BUSY, unretried, when the worker thread's connection wrote in between.
      override async beginTransaction(connection: DatabaseConnection): Promise<void> {
        await lock?.acquire();
        try {
          await connection.executeQuery(CompiledQuery.raw('begin immediate'));
        } catch (err) {
          lock?.release();
          throw err;
        }
      }

      override async commitTransaction(connection: DatabaseConnection): Promise<void> {
        try {
          await super.commitTransaction(connection);
        } finally {
          lock?.release();
        }
      }

      override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
        try {
          if (raw.inTransaction) await super.rollbackTransaction(connection);
        } finally {
          lock?.release();
        }
      }
    })({ database: preparingOnce(raw) });
  }
}

/** Statements kept prepared; queries whose text varies (IN lists, multi-row inserts) cycle through. */
const PREPARED_STATEMENTS = 500;

/**
 * The connection as Kysely's driver sees it, with each statement prepared once: Kysely prepares
 * the SQL of every query it runs, which was a twentieth of `herald serve`'s CPU while
 * publishing. A statement is reusable once it has run (Herald never streams a query's rows,
 * which would hold one open); SQLite re-prepares it itself after a schema change.
 */
function preparingOnce(raw: SqliteDatabase.Database): SqliteDialectConfig['database'] {
  const prepared = new Map<string, SqliteDatabase.Statement>();
  return {
    close: () => raw.close(),
    prepare(sql: string) {
      let statement = prepared.get(sql);
      if (statement) {
        // Most recently used last, so the oldest is the first evicted.
        prepared.delete(sql);
      } else {
        statement = raw.prepare(sql);
        if (prepared.size >= PREPARED_STATEMENTS) prepared.delete(prepared.keys().next().value as string);
      }
      prepared.set(sql, statement);
      return statement;
    },
  };
}
