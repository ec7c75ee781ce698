/**
 * One fresh database per backend and run (an SQLite file in a temporary directory, or a
 * fresh PostgreSQL database, dropped afterwards), plus the bulk SQL the scenarios use to
 * set the scene fast: a million old attempts, a 100,000-message backlog. Bulk writes run
 * only while no Herald process is running.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import { newId } from '../src/core/ids.js';
import { STATUS } from '../src/store/schema.js';
import { benchPayload, EVENT_TYPE, nowMs } from './payload.js';

/** The two stores Herald runs on. */
export type Backend = 'sqlite' | 'postgres';

const DAY_MS = 86_400_000;
const PENDING = STATUS.pending;
const CANCELED = STATUS.canceled;

/** Where the bench finds PostgreSQL (`BENCH_POSTGRES_URL`, default the local test database). */
export const POSTGRES_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** True when PostgreSQL answers at {@link POSTGRES_URL}. */
export async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/** Runs `fn` on a short-lived PostgreSQL client of `connectionString` whose search path is `schema`. */
export async function withPostgres<T>(
  connectionString: string,
  schema: string | null,
  fn: (c: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({
    connectionString,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Turns `@name` parameters into PostgreSQL's `$n`, numbering only the names the text uses. */
function named(sql: string, params: Record<string, unknown>): { text: string; values: unknown[] } {
  const order: string[] = [];
  const text = sql.replace(/@(\w+)/g, (_, name: string) => {
    if (!order.includes(name)) order.push(name);
    return `$${order.indexOf(name) + 1}`;
  });
  return { text, values: order.map((n) => params[n]) };
}

/**
 * The owner of one Herald database for the run. On PostgreSQL that is a fresh database (with
 * Herald in schema `herald`), not a schema in the shared test database: Kysely's migrator,
 * as Herald calls it, takes another schema's `kysely_migration_lock` for its own and fails,
 * and other engineers' test schemas come and go in that database.
 */
export class BenchDatabase {
  readonly dataDir: string;
  readonly url: string;
  readonly #schema: string | null;
  readonly #file: string | null;
  /** PostgreSQL: this run's database, and a connection string for it. */
  readonly #pgDatabase: string | null;
  readonly #pgUrl: string;

  private constructor(readonly backend: Backend) {
    this.dataDir = mkdtempSync(join(tmpdir(), `herald-bench-${backend}-`));
    if (backend === 'sqlite') {
      this.#file = join(this.dataDir, 'herald.db');
      this.#schema = null;
      this.#pgDatabase = null;
      this.#pgUrl = '';
      this.url = `sqlite:${this.#file}`;
    } else {
      this.#file = null;
      this.#schema = 'herald';
      this.#pgDatabase = `herald_bench_${randomBytes(5).toString('hex')}`;
      const url = new URL(POSTGRES_URL);
      url.pathname = `/${this.#pgDatabase}`;
      this.#pgUrl = url.toString();
      url.searchParams.set('schema', this.#schema);
      this.url = url.toString();
    }
  }

  /** A fresh SQLite file, or a fresh PostgreSQL database. */
  static async create(backend: Backend): Promise<BenchDatabase> {
    const db = new BenchDatabase(backend);
    const name = db.#pgDatabase;
    if (name) await withPostgres(POSTGRES_URL, null, (c) => c.query(`CREATE DATABASE "${name}"`));
    return db;
  }

  /** Runs one statement and returns the first column of its first row as a number (0 if none). */
  async scalar(sql: string, params: Record<string, unknown> = {}): Promise<number> {
    if (this.#file) {
      const db = new SqliteDatabase(this.#file);
      try {
        const row = db.prepare(sql).get(params) as Record<string, unknown> | undefined;
        return Number(row ? Object.values(row)[0] : 0);
      } finally {
        db.close();
      }
    }
    const { text, values } = named(sql, params);
    return withPostgres(this.#pgUrl, this.#schema, async (c) => {
      const { rows } = await c.query(text, values);
      return Number(rows[0] ? Object.values(rows[0])[0] : 0);
    });
  }

  async count(table: 'attempt' | 'message' | 'delivery'): Promise<number> {
    return this.scalar(`SELECT count(*) AS n FROM ${table}`);
  }

  /** Makes an endpoint FIFO (issue 22), batching `batchSize` messages of a key per request. */
  async makeFifo(endpointId: string, batchSize: number): Promise<void> {
    const sql = `UPDATE endpoint SET ordering = 'fifo', fifo_batch_size = ${batchSize} WHERE id = '${endpointId}'`;
    if (this.#file) await this.#run([sql]);
    else await withPostgres(this.#pgUrl, this.#schema, (c) => c.query(sql));
  }

  /** Gives up every delivery still owed, so the next scenario starts with an empty queue. */
  async cancelDue(): Promise<number> {
    const owed = await this.scalar('SELECT count(*) AS n FROM delivery WHERE due_at IS NOT NULL');
    const sql = `UPDATE delivery SET due_at = NULL, lease_owner = NULL, status = ${CANCELED} WHERE due_at IS NOT NULL`;
    if (owed === 0) return 0;
    if (this.#file) await this.#run([sql]);
    else await withPostgres(this.#pgUrl, this.#schema, (c) => c.query(sql));
    return owed;
  }

  /**
   * Writes `messages` old messages (30 days back), each delivered after `attemptsEach`
   * attempts (the last one successful), copying the shape of a real attempt row so old
   * rows are as large as the ones Herald writes. Returns the attempts written.
   */
  async insertHistory(
    appId: string,
    endpointId: string,
    messages: number,
    attemptsEach: number,
  ): Promise<number> {
    if ((await this.count('attempt')) === 0) {
      throw new Error('the old attempts copy a real attempt row: run a drain before writing history');
    }
    const t0 = Date.now() - 30 * DAY_MS;
    const payload = JSON.stringify(benchPayload(0, t0));
    const p = {
      app: appId,
      ep: endpointId,
      n: messages,
      k: attemptsEach,
      t0,
      exp: t0 + 90 * DAY_MS,
      payload,
    };
    const attemptCols = `id, msg_id, endpoint_id, app_id, url, status, response_status_code, response,
      response_headers, request_headers, duration_ms, error_class, error_message, trigger_type, created_at`;
    if (this.#file) {
      const series = (n: string) =>
        `WITH RECURSIVE s(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM s WHERE x + 1 < ${n})`;
      await this.#run(
        [
          `${series('@n')} INSERT INTO message (id, app_id, event_type, payload, created_at, payload_expires_at)
           SELECT printf('msg_%027d', x), @app, '${EVENT_TYPE}', @payload, @t0 + x * 10, @exp + x * 10 FROM s`,
          `${series('@n')} INSERT INTO delivery (id, msg_id, endpoint_id, app_id, status, attempt_count, trigger_type, created_at, updated_at)
           SELECT printf('dlv_%027d', x), printf('msg_%027d', x), @ep, @app, 0, @k, 0, @t0 + x * 10, @t0 + x * 10 FROM s`,
          `${series('@n * @k')} INSERT INTO attempt (${attemptCols})
           SELECT printf('atmpt_%027d', x), printf('msg_%027d', x / @k), @ep, @app, t.url,
             CASE WHEN x % @k = @k - 1 THEN 0 ELSE 2 END, CASE WHEN x % @k = @k - 1 THEN 200 ELSE 503 END,
             t.response, t.response_headers, t.request_headers, t.duration_ms,
             CASE WHEN x % @k = @k - 1 THEN NULL ELSE 'http_5xx' END,
             CASE WHEN x % @k = @k - 1 THEN NULL ELSE 'HTTP 503 Service Unavailable' END, 0, @t0 + x
           FROM s, (SELECT * FROM attempt ORDER BY id DESC LIMIT 1) t`,
        ],
        p,
        true,
      );
    } else {
      await withPostgres(this.#pgUrl, this.#schema, async (c) => {
        const q = (sql: string) => {
          const { text, values } = named(sql, p);
          return c.query(text, values);
        };
        await c.query('BEGIN');
        // As pg_restore --disable-triggers does: the rows are consistent by construction, and
        // per-row foreign key triggers would triple the load time.
        await c.query('SET LOCAL session_replication_role = replica');
        await c.query('SET LOCAL synchronous_commit = off');
        await q(`INSERT INTO message (id, app_id, event_type, payload, created_at, payload_expires_at)
          SELECT 'msg_' || lpad(x::text, 27, '0'), @app, '${EVENT_TYPE}', @payload::text, @t0::bigint + x * 10, @exp::bigint + x * 10
          FROM generate_series(0, @n::int - 1) x`);
        await q(`INSERT INTO delivery (id, msg_id, endpoint_id, app_id, status, attempt_count, trigger_type, created_at, updated_at)
          SELECT 'dlv_' || lpad(x::text, 27, '0'), 'msg_' || lpad(x::text, 27, '0'), @ep, @app, 0, @k::int, 0,
            @t0::bigint + x * 10, @t0::bigint + x * 10
          FROM generate_series(0, @n::int - 1) x`);
        await q(`INSERT INTO attempt (${attemptCols})
          SELECT 'atmpt_' || lpad(x::text, 27, '0'), 'msg_' || lpad((x / @k::int)::text, 27, '0'), @ep, @app, t.url,
            CASE WHEN x % @k::int = @k::int - 1 THEN 0 ELSE 2 END, CASE WHEN x % @k::int = @k::int - 1 THEN 200 ELSE 503 END,
            t.response, t.response_headers, t.request_headers, t.duration_ms,
            CASE WHEN x % @k::int = @k::int - 1 THEN NULL ELSE 'http_5xx' END,
            CASE WHEN x % @k::int = @k::int - 1 THEN NULL ELSE 'HTTP 503 Service Unavailable' END, 0, @t0::bigint + x
          FROM generate_series(0, @n::int * @k::int - 1) x, (SELECT * FROM attempt ORDER BY id DESC LIMIT 1) t`);
        await c.query('COMMIT');
        await c.query('ANALYZE');
      });
    }
    return messages * attemptsEach;
  }

  /**
   * Queues `n` messages for one endpoint, due now, writing exactly the rows the API's
   * publish writes (a message and one pending delivery each, with Herald's own ids): the
   * API on SQLite acknowledges one message per fsync, too slow to queue 100,000 in the
   * time the bench has. Live measures the API's publish rate.
   */
  async insertQueued(appId: string, endpointId: string, n: number, chunk = 5_000, keys = 0): Promise<void> {
    for (let from = 0; from < n; from += chunk) {
      const now = Date.now();
      const rows = Array.from({ length: Math.min(chunk, n - from) }, (_, i) => ({
        msg: newId('msg', now),
        dlv: newId('dlv', now),
        payload: JSON.stringify(benchPayload(from + i, nowMs())),
        // With keys, the rows a FIFO endpoint's publish writes: the key in its line, publish order.
        key: keys > 0 ? `k${(from + i) % keys}` : null,
        seq: from + i + 1,
      }));
      const exp = now + 90 * DAY_MS;
      if (this.#file) {
        const db = new SqliteDatabase(this.#file);
        try {
          db.pragma('busy_timeout = 10000');
          const message =
            db.prepare(`INSERT INTO message (id, app_id, event_type, event_id, payload, channels, tags,
            created_at, payload_expires_at, trace_parent, ordering_key, seq)
            VALUES (?, ?, '${EVENT_TYPE}', NULL, ?, NULL, NULL, ?, ?, NULL, ?, ?)`);
          const delivery =
            db.prepare(`INSERT INTO delivery (id, msg_id, endpoint_id, app_id, status, attempt_count,
            due_at, lease_owner, trigger_type, next_attempt_at, created_at, updated_at, ordering_key, seq)
            VALUES (?, ?, ?, ?, ${PENDING}, 0, ?, NULL, 0, ?, ?, ?, ?, ?)`);
          db.transaction(() => {
            for (const r of rows) {
              message.run(r.msg, appId, r.payload, now, exp, r.key, r.seq);
              delivery.run(r.dlv, r.msg, endpointId, appId, now, now, now, now, r.key, r.seq);
            }
          })();
        } finally {
          db.close();
        }
        continue;
      }
      await withPostgres(this.#pgUrl, this.#schema, async (c) => {
        await c.query('BEGIN');
        const keys = rows.map((r) => r.key);
        const seqs = rows.map((r) => r.seq);
        await c.query(
          `INSERT INTO message (id, app_id, event_type, payload, created_at, payload_expires_at, ordering_key, seq)
           SELECT id, $2, '${EVENT_TYPE}', payload, $3, $4, k, s
           FROM unnest($1::text[], $5::text[], $6::text[], $7::bigint[]) AS u(id, payload, k, s)`,
          [rows.map((r) => r.msg), appId, now, exp, rows.map((r) => r.payload), keys, seqs],
        );
        await c.query(
          `INSERT INTO delivery (id, msg_id, endpoint_id, app_id, status, attempt_count, due_at, trigger_type,
             next_attempt_at, created_at, updated_at, ordering_key, seq)
           SELECT id, msg_id, $3, $4, ${PENDING}, 0, $5, 0, $5, $5, $5, k, s
           FROM unnest($1::text[], $2::text[], $6::text[], $7::bigint[]) AS u(id, msg_id, k, s)`,
          [rows.map((r) => r.dlv), rows.map((r) => r.msg), endpointId, appId, now, keys, seqs],
        );
        await c.query('COMMIT');
      });
    }
    if (!this.#file)
      await withPostgres(this.#pgUrl, this.#schema, (c) => c.query('ANALYZE delivery, message'));
  }

  /**
   * Runs statements in one transaction on a connection of its own. `bulk` loads (no Herald
   * process is running then) write pages once, without the WAL or fsyncs, with a large cache:
   * the rows are the same, only the load is faster.
   */
  async #run(statements: string[], params: Record<string, unknown> = {}, bulk = false): Promise<void> {
    const db = new SqliteDatabase(this.#file!);
    try {
      db.pragma('busy_timeout = 10000');
      // Bulk rows are consistent by construction; per-row foreign key checks would only slow the load.
      db.pragma('foreign_keys = OFF');
      if (bulk) {
        db.pragma('journal_mode = OFF');
        db.pragma('synchronous = OFF');
        db.pragma('cache_size = -524288');
      }
      db.transaction(() => {
        for (const sql of statements) {
          const used = Object.fromEntries(Object.entries(params).filter(([k]) => sql.includes(`@${k}`)));
          db.prepare(sql).run(used);
        }
      })();
      if (bulk) db.pragma('journal_mode = WAL');
    } finally {
      db.close();
    }
  }

  /** Removes the database (file or PostgreSQL database) and the data directory. */
  async drop(): Promise<void> {
    const name = this.#pgDatabase;
    if (name) {
      await withPostgres(POSTGRES_URL, null, (c) =>
        c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
      ).catch((err: Error) =>
        process.stderr.write(`bench: could not drop database ${name}: ${err.message}\n`),
      );
    }
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
