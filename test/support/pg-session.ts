import pg from 'pg';
import { parsePostgresUrl } from '../../src/store/postgres/postgres-store.js';

/**
 * A PostgreSQL session of its own on a test database (its schema on the search path), as another
 * process would hold one: for tests that keep a lock open while Herald works, and watch who waits.
 */
export interface PgSession {
  /** Runs SQL in this session (BEGIN … COMMIT to hold locks). */
  query(text: string, values?: unknown[]): Promise<pg.QueryResult>;
  /**
   * How many other sessions wait for a lock this one holds, or for one held by a session that waits
   * for it (read from a second connection).
   */
  waitingBehind(): Promise<number>;
  close(): Promise<void>;
}

export async function openPgSession(url: string): Promise<PgSession> {
  const { connectionString, schema } = parsePostgresUrl(url);
  const connect = async () => {
    const client = new pg.Client({
      connectionString,
      ...(schema ? { options: `-c search_path=${schema}` } : {}),
    });
    await client.connect();
    return client;
  };
  const session = await connect();
  // pg_stat_activity is read once per transaction: the session holding locks cannot watch itself.
  const watcher = await connect();
  const { rows } = await session.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  const pid = rows[0]!.pid;
  return {
    query: (text, values) => session.query(text, values),
    async waitingBehind() {
      const { rows: waiting } = await watcher.query<{ n: number }>(
        `WITH first AS (SELECT pid FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid)))
        SELECT count(*)::int AS n FROM pg_stat_activity a
        WHERE $1 = ANY(pg_blocking_pids(a.pid)) OR EXISTS (SELECT 1 FROM first WHERE first.pid = ANY(pg_blocking_pids(a.pid)))`,
        [pid],
      );
      return waiting[0]!.n;
    },
    async close() {
      await session.end();
      await watcher.end();
    },
  };
}
