/**
 * What a database error means for Herald, decided in one place: the HTTP error handler, the
 * worker and the health probe all ask here, so "is the database down?" has one answer.
 *
 * - `unavailable`: the database cannot be reached or refuses work for now (connection lost,
 *   server restarting, failover, I/O error). The API answers 503 `store_unavailable`.
 * - `storage_full`: the database cannot grow (PostgreSQL 53100 / "could not extend file",
 *   SQLite SQLITE_FULL, ENOSPC). The API answers 507 `storage_full`.
 * - `busy`: SQLite's lock was held past `busy_timeout`, or PostgreSQL aborted a transaction
 *   in a deadlock with another. A 503 too, but contention, not an outage: the worker keeps going.
 */
export type StoreFaultKind = 'unavailable' | 'storage_full' | 'busy';

export interface StoreFault {
  kind: StoreFaultKind;
  /** For the log: what went wrong, without the store's name ("connection lost: …"). */
  reason: string;
}

/** SQLSTATEs of a server that is going away, starting, or cannot take connections now. */
const PG_UNAVAILABLE = new Set([
  '57P01', // admin_shutdown: pg_terminate_backend, a restart
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: starting up or shutting down
  '53300', // too_many_connections
  '53200', // out_of_memory
  '25006', // read_only_sql_transaction: connected to a standby after a failover
  '58000', // system_error
  '58030', // io_error
]);

/**
 * SQLSTATEs of two transactions in each other's way: PostgreSQL aborted one so the other could
 * go on, and the same request sent again succeeds (deletes are tried again at once:
 * {@link retryOnContention}). Seen: deleting an endpoint while its bulk replay rewrote the same
 * delivery rows deadlocked, and answered 500.
 */
const PG_CONTENTION = new Set([
  '40P01', // deadlock_detected
  '40001', // serialization_failure
  '55P03', // lock_not_available
]);

/** Of those, the ones PostgreSQL raises at once, undoing the loser's work: safe to try again. */
const PG_RETRYABLE = new Set(['40P01', '40001']);

const NODE_UNAVAILABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
]);

/** pg raises these without a code when the socket dies or a client is no longer usable. */
const PG_CONNECTION_MESSAGE =
  /connection terminated|not queryable|connection timeout|timeout exceeded when trying to connect|server closed the connection|the database system is (starting up|shutting down|in recovery mode)|cannot use a pool after calling end/i;

/** Returns the fault `err` is, or null when it is not a database fault (a bug, a constraint). */
export function classifyStoreError(err: unknown): StoreFault | null {
  if (err === null || typeof err !== 'object') return null;
  const e = err as { code?: unknown; message?: unknown; errno?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  const message = typeof e.message === 'string' ? e.message : '';
  if (
    code === 'SQLITE_FULL' ||
    code === 'ENOSPC' ||
    code === '53100' ||
    /could not extend file/i.test(message)
  )
    return { kind: 'storage_full', reason: message || code };
  if (
    code === 'SQLITE_BUSY' ||
    code.startsWith('SQLITE_BUSY_') ||
    code === 'SQLITE_LOCKED' ||
    PG_CONTENTION.has(code)
  )
    return { kind: 'busy', reason: message || code };
  if (code.startsWith('SQLITE_IOERR') && /space|full/i.test(message))
    return { kind: 'storage_full', reason: message };
  if (
    code.startsWith('SQLITE_IOERR') ||
    code.startsWith('SQLITE_CANTOPEN') ||
    code.startsWith('SQLITE_READONLY') ||
    code === 'SQLITE_NOMEM' ||
    code === 'SQLITE_CORRUPT'
  )
    return { kind: 'unavailable', reason: `${code}: ${message}` };
  // better-sqlite3 on a closed handle (the process is stopping).
  if (/The database connection is not open/.test(message)) return { kind: 'unavailable', reason: message };
  if (PG_UNAVAILABLE.has(code) || code.startsWith('08'))
    return { kind: 'unavailable', reason: `connection lost: ${message} (${code})` };
  if (NODE_UNAVAILABLE.has(code))
    return { kind: 'unavailable', reason: `connection lost: ${message || code}` };
  if (PG_CONNECTION_MESSAGE.test(message))
    return { kind: 'unavailable', reason: `connection lost: ${message}` };
  // AggregateError (every address of a host refused) and errors wrapping another one.
  const inner =
    (err as { errors?: unknown[]; cause?: unknown }).errors?.[0] ?? (err as { cause?: unknown }).cause;
  return inner && inner !== err ? classifyStoreError(inner) : null;
}

/** Tries of {@link retryOnContention}: a deadlock is rare, two in a row rarer still. */
const CONTENTION_TRIES = 3;

/**
 * Runs `write` again when PostgreSQL aborted it as the loser of a deadlock or a serialization
 * conflict: the abort undid all of it, and the other transaction has gone on, so a new try
 * succeeds. For whole statements or transactions with nothing outside the database. Why:
 * deleting an endpoint (which cascades to its deliveries) while a worker's outcome write held
 * some of them and waited for the endpoint's row deadlocked, and the API answered 503. Herald's
 * own writes take an endpoint's row before its deliveries, as the delete does (ARCHITECTURE.md,
 * "Lock order"); this covers what keeps no such order.
 */
export async function retryOnContention<T>(write: () => Promise<T>): Promise<T> {
  for (let tried = 1; ; tried++) {
    try {
      return await write();
    } catch (err) {
      const code = (err as { code?: unknown } | null)?.code;
      if (tried >= CONTENTION_TRIES || typeof code !== 'string' || !PG_RETRYABLE.has(code)) throw err;
    }
  }
}
