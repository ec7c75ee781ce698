import { EventEmitter } from 'node:events';
import { Kysely, Migrator, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { backoffMs } from '../../core/backoff.js';
import { StoreHealth } from '../health.js';
import { Lines } from '../lines.js';
import { appliedNames, MIGRATION_NAMES, migrationProvider, pendingNames } from '../migrations/index.js';
import { StoreUnavailableError } from '../open.js';
import type { Database } from '../schema.js';
import type { Store } from '../store.js';
import { OwnSchemaPostgresDialect } from './own-schema-dialect.js';
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
 * A pool whose clients can all lose their connection without ending the process. pg-pool
 * listens for errors on idle clients only; a client checked out when the server goes away
 * (a restart, `pg_terminate_backend`) emits 'error' with no listener, which Node turns into
 * an uncaught exception. The query in flight still rejects, and is handled where it was made.
 */
function resilientPool(config: pg.PoolConfig): pg.Pool {
  const pool = new pg.Pool(config);
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  return pool;
}

/**
 * PostgreSQL backend: a connection pool for queries, and one dedicated connection that
 * LISTENs so idle workers wake within milliseconds of new work in any process.
 */
export async function openPostgresStore(
  url: string,
  options: { applicationName?: string } = {},
): Promise<Store> {
  const { connectionString, schema } = parsePostgresUrl(url);
  const appName = options.applicationName ?? `herald:${process.pid}`;
  const clientConfig: pg.ClientConfig = {
    connectionString,
    types,
    connectionTimeoutMillis: 15_000,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  };
  // Each connection says whose it is and what for, e.g. `herald:worker:1234/queue` (63 bytes at most).
  const named = (purpose: string): pg.ClientConfig => ({
    ...clientConfig,
    application_name: `${appName}/${purpose}`.slice(0, 63),
  });
  const pool = resilientPool({ ...named('db'), max: 10 });
  try {
    const client = await pool.connect();
    client.release();
  } catch (err) {
    await pool.end().catch(() => {});
    throw new StoreUnavailableError(
      `cannot reach PostgreSQL at ${redact(connectionString)}: ${(err as Error).message}`,
    );
  }

  const db = new Kysely<Database>({ dialect: new OwnSchemaPostgresDialect({ pool }) });
  // The queue's own commits (claims, outcomes, lease renewals) do not wait for the WAL flush:
  // a database crash may forget the last fraction of a second of them, which only makes those
  // deliveries due again (at least once still holds). Published messages, written through
  // `db`, stay synchronous. The same choice as SQLite's queue commits (synchronous = NORMAL).
  const queuePool = resilientPool({
    ...named('queue'),
    options: [clientConfig.options, '-c synchronous_commit=off'].filter(Boolean).join(' '),
    max: 4,
  });
  const queueDb = new Kysely<Database>({ dialect: new PostgresDialect({ pool: queuePool }) });
  // The worker's heartbeat has a connection of its own: a pool busy with claims and outcomes
  // must not delay it past the death threshold and get a live worker's leases released.
  const heartbeatPool = resilientPool({ ...named('heartbeat'), max: 1 });
  const heartbeatDb = new Kysely<Database>({ dialect: new PostgresDialect({ pool: heartbeatPool }) });
  const due = new EventEmitter();
  due.setMaxListeners(0);
  const listener = new DueListener(named('listen'), (endpointIds) => due.emit('due', endpointIds));
  const hint = new DueHint();
  let notifying = false;
  let notifyAgain = false;
  const check = async () => {
    // A write, not only a read: a server in recovery or a standby after a failover answers reads.
    await sql`INSERT INTO setting (key, value) VALUES ('herald.health', ${String(Date.now())})
      ON CONFLICT (key) DO UPDATE SET value = excluded.value`.execute(db);
  };
  const where = new URL(connectionString);
  const health = new StoreHealth(
    `PostgreSQL ${where.host}${where.pathname}${schema ? ` (schema ${schema})` : ''}`,
    null,
    check,
  );
  // Kysely keeps its migration tables in the schema named here, beside Herald's own.
  const migrator = () =>
    new Migrator({
      db,
      provider: migrationProvider({ dialect: 'postgres' }),
      ...(schema ? { migrationTableSchema: schema } : {}),
    });

  return {
    dialect: 'postgres',
    db,
    queue: new PostgresQueue(queueDb, heartbeatDb),
    lines: new Lines('postgres'),
    writeDurably: (write) => db.transaction().execute(write),
    check,
    health,
    notifyDue(endpointIds) {
      due.emit('due', endpointIds ?? null);
      hint.add(endpointIds);
      // Coalesced: at most one NOTIFY in flight and one more after it. Not none after it: a
      // worker woken by the one in flight may have claimed before this commit, and would then
      // not look again until its next poll (up to 250 ms later; p99 of unloaded latency).
      if (notifying) {
        notifyAgain = true;
        return;
      }
      notifying = true;
      const send = (): void => {
        pool
          .query(`select pg_notify('${DUE_CHANNEL}', $1)`, [hint.take()])
          .catch(() => {})
          .finally(() => {
            if (!notifyAgain) {
              notifying = false;
              return;
            }
            notifyAgain = false;
            send();
          });
      };
      send();
    },
    onDue(fn) {
      due.on('due', fn);
      listener.start();
      return () => due.off('due', fn);
    },
    async migrate() {
      const client = new pg.Client(named('migrate'));
      client.on('error', () => {});
      await client.connect();
      try {
        // Several processes starting together: one migrates, the others wait and find nothing to do.
        await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK]);
        if (schema) await client.query(`create schema if not exists "${schema}"`);
        const { error, results } = await migrator().migrateToLatest();
        if (error) throw error;
        return appliedNames(results);
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
      health.close();
      await listener.stop();
      await heartbeatDb.destroy();
      await queueDb.destroy();
      await db.destroy();
    },
  };
}

/** Most endpoint ids one NOTIFY names (a payload is at most 8,000 bytes); past it, it names none. */
const HINT_LIMIT = 100;

/**
 * The endpoints the coalesced NOTIFYs since the last one sent became due at, as its payload:
 * ids joined by commas, or '' for "anywhere" (some notice named none, or too many).
 */
class DueHint {
  #ids: Set<string> | null = new Set();

  add(endpointIds: readonly string[] | undefined): void {
    if (this.#ids === null) return;
    if (endpointIds === undefined || this.#ids.size + endpointIds.length > HINT_LIMIT) this.#ids = null;
    else for (const id of endpointIds) this.#ids.add(id);
  }

  take(): string {
    const payload = this.#ids === null ? '' : [...this.#ids].join(',');
    this.#ids = new Set();
    return payload;
  }
}

/**
 * Keeps one LISTEN connection open, reconnecting after errors with capped exponential backoff
 * and jitter; right after each (re)connection it signals due work once, so a worker runs a
 * catch-up claim for whatever became due while nobody was listening.
 */
class DueListener {
  #client: pg.Client | null = null;
  #stopped = false;
  #started = false;
  #retry: NodeJS.Timeout | null = null;
  #failures = 0;

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly onNotify: (endpointIds: readonly string[] | null) => void,
  ) {}

  start(): void {
    if (this.#started) return;
    this.#started = true;
    void this.#connect();
  }

  async #connect(): Promise<void> {
    if (this.#stopped) return;
    const client = new pg.Client(this.config);
    client.on('notification', (msg) => this.onNotify(msg.payload ? msg.payload.split(',') : null));
    client.on('error', () => this.#reconnect(client));
    client.on('end', () => this.#reconnect(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${DUE_CHANNEL}`);
      this.#client = client;
      this.#failures = 0;
      // Work may have become due while we were not listening.
      this.onNotify(null);
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
    this.#retry = setTimeout(
      () => {
        this.#retry = null;
        void this.#connect();
      },
      backoffMs(this.#failures++, 250, 5_000),
    );
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
