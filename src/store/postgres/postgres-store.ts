import { EventEmitter } from 'node:events';
import { Kysely, Migrator, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { appliedNames, MIGRATION_NAMES, migrationProvider, pendingNames } from '../migrations/index.js';
import { StoreUnavailableError } from '../open.js';
import type { Database } from '../schema.js';
import type { Store } from '../store.js';
import { PostgresQueue } from './postgres-queue.js';

const DUE_CHANNEL = 'herald_due';
/** Arbitrary constant naming Herald's migration advisory lock. */
const MIGRATION_LOCK = 0x4e52_4c44;

/** int8 columns hold epoch milliseconds, which fit a JS number; parse them as numbers. */
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20) return (value: string) => Number.parseInt(value, 10);
    return pg.types.getTypeParser(oid, format);
  },
};

/**
 * Splits Herald's `?schema=NAME` option off a PostgreSQL URL. A schema per deployment (or
 * per test run) keeps several Herald installations apart in one database.
 */
export function parsePostgresUrl(url: string): { connectionString: string; schema: string | null } {
  const parsed = new URL(url);
  const schema = parsed.searchParams.get('schema');
  parsed.searchParams.delete('schema');
  if (schema !== null && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new StoreUnavailableError(`schema "${schema}" in the database URL must be a lowercase identifier`);
  }
  return { connectionString: parsed.toString(), schema };
}

/**
 * PostgreSQL backend: a connection pool for queries, and one dedicated connection that
 * LISTENs so idle workers wake within milliseconds of new work in any process.
 */
export async function openPostgresStore(url: string): Promise<Store> {
  const { connectionString, schema } = parsePostgresUrl(url);
  const clientConfig: pg.ClientConfig = {
    connectionString,
    types,
    connectionTimeoutMillis: 15_000,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  };
  const pool = new pg.Pool({ ...clientConfig, max: 10 });
  // An idle client that errors (server restart) must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  try {
    const client = await pool.connect();
    client.release();
  } catch (err) {
    await pool.end().catch(() => {});
    throw new StoreUnavailableError(
      `cannot reach PostgreSQL at ${redact(connectionString)}: ${(err as Error).message}`,
    );
  }

  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  // The queue's own commits (claims, outcomes, lease renewals) do not wait for the WAL flush:
  // a database crash may forget the last fraction of a second of them, which only makes those
  // deliveries due again (at least once still holds). Published messages, written through
  // `db`, stay synchronous. The same choice as SQLite's queue commits (synchronous = NORMAL).
  const queuePool = new pg.Pool({
    ...clientConfig,
    options: [clientConfig.options, '-c synchronous_commit=off'].filter(Boolean).join(' '),
    max: 4,
  });
  queuePool.on('error', () => {});
  const queueDb = new Kysely<Database>({ dialect: new PostgresDialect({ pool: queuePool }) });
  const due = new EventEmitter();
  due.setMaxListeners(0);
  const listener = new DueListener(clientConfig, () => due.emit('due'));
  let notifying = false;
  // Name the schema: Kysely otherwise finds another schema's migration tables and skips creating its own.
  const migrator = () =>
    new Migrator({
      db,
      provider: migrationProvider({ dialect: 'postgres' }),
      ...(schema ? { migrationTableSchema: schema } : {}),
    });

  return {
    dialect: 'postgres',
    db,
    queue: new PostgresQueue(queueDb),
    notifyDue() {
      due.emit('due');
      // Coalesced: one NOTIFY in flight is enough to wake every other process.
      if (notifying) return;
      notifying = true;
      pool
        .query(`select pg_notify('${DUE_CHANNEL}', '')`)
        .catch(() => {})
        .finally(() => {
          notifying = false;
        });
    },
    onDue(fn) {
      due.on('due', fn);
      listener.start();
      return () => due.off('due', fn);
    },
    async migrate() {
      const client = new pg.Client(clientConfig);
      await client.connect();
      try {
        // Several processes starting together: one migrates, the others wait and find nothing to do.
        await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK]);
        if (schema) await client.query(`create schema if not exists "${schema}"`);
        for (let attempt = 1; ; attempt++) {
          const { error, results } = await migrator().migrateToLatest();
          if (!error) return appliedNames(results);
          // Kysely's introspection reads the whole catalog: a schema that another deployment
          // drops meanwhile fails it with 3F000. Nothing was applied; look again.
          if ((error as { code?: string }).code !== '3F000' || attempt >= 5) throw error;
          await new Promise((r) => setTimeout(r, 100 * attempt));
        }
      } finally {
        await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => {});
        await client.end();
      }
    },
    async pendingMigrations() {
      // A schema that does not exist yet has every migration pending (introspection would fail on it).
      if (schema) {
        const found = await sql`select 1 from pg_namespace where nspname = ${schema}`.execute(db);
        if (found.rows.length === 0) return [...MIGRATION_NAMES];
      }
      return pendingNames(await migrator().getMigrations());
    },
    async ping() {
      await sql`select 1`.execute(db);
    },
    async close() {
      await listener.stop();
      await queueDb.destroy();
      await db.destroy();
    },
  };
}

/** Keeps one LISTEN connection open, reconnecting after errors. */
class DueListener {
  #client: pg.Client | null = null;
  #stopped = false;
  #started = false;
  #retry: NodeJS.Timeout | null = null;

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly onNotify: () => void,
  ) {}

  start(): void {
    if (this.#started) return;
    this.#started = true;
    void this.#connect();
  }

  async #connect(): Promise<void> {
    if (this.#stopped) return;
    const client = new pg.Client(this.config);
    client.on('notification', () => this.onNotify());
    client.on('error', () => this.#reconnect(client));
    client.on('end', () => this.#reconnect(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${DUE_CHANNEL}`);
      this.#client = client;
      // Work may have become due while we were not listening.
      this.onNotify();
    } catch {
      this.#reconnect(client);
    }
  }

  #reconnect(client: pg.Client): void {
    if (this.#client === client) this.#client = null;
    client.removeAllListeners();
    client.on('error', () => {});
    client.end().catch(() => {});
    if (this.#stopped || this.#retry) return;
    this.#retry = setTimeout(() => {
      this.#retry = null;
      void this.#connect();
    }, 1_000);
    this.#retry.unref();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#retry) clearTimeout(this.#retry);
    const client = this.#client;
    this.#client = null;
    if (client) {
      client.removeAllListeners();
      client.on('error', () => {});
      await client.end().catch(() => {});
    }
  }
}

function redact(connectionString: string): string {
  const url = new URL(connectionString);
  if (url.password) url.password = '***';
  return url.toString();
}
