import type SqliteDatabase from 'better-sqlite3';

/** Runs `fn` with the connection's commits not waiting for fsync, then restores FULL. */
export type WithoutFsync = <T>(fn: () => T | Promise<T>) => Promise<T>;

/**
 * The connection opens with `synchronous = FULL`. Two kinds of commit skip that fsync: the
 * queue's own (claims, outcomes; a power cut only makes a delivery due again) and the outbox's,
 * whose write-ahead log `writeDurably` fsyncs off the event loop before answering. The caller
 * holds Kysely's connection, so no other commit runs meanwhile.
 */
export function commitsWithoutFsync(raw: SqliteDatabase.Database): WithoutFsync {
  const normal = raw.prepare('PRAGMA synchronous = NORMAL');
  const full = raw.prepare('PRAGMA synchronous = FULL');
  return async (fn) => {
    normal.run();
    try {
      return await fn();
    } finally {
      full.run();
    }
  };
}
