import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * How often the background thread copies the write-ahead log into the database. Often
 * enough that the log stays a few megabytes under any load.
 */
const CHECKPOINT_EVERY_MS = 200;

/**
 * The main connection checkpoints only if the log grows past this many pages (16 MiB),
 * i.e. if the background thread has stopped or cannot keep up.
 */
export const MAIN_CONNECTION_CHECKPOINT_PAGES = 4_000;

// Plain CommonJS: the thread runs the same way under tsc's output and under the test runner.
const THREAD = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma('busy_timeout = 1000');
const tick = () => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // Busy or closing: the next tick tries again, and the main connection is the safety net.
  }
};
const timer = setInterval(tick, workerData.everyMs);
parentPort.on('message', () => {
  clearInterval(timer);
  tick();
  db.close();
  parentPort.close();
});
`;

/** The background checkpoint thread of one SQLite database; `stop()` ends it. */
export interface Checkpointer {
  stop(): Promise<void>;
}

/**
 * Moves SQLite's checkpoints (copying the write-ahead log into the database file, then
 * fsync'ing it) off the event loop: a thread with its own connection runs a PASSIVE
 * checkpoint every 200 ms, which never blocks the main connection's writes. Left to the
 * main connection, a checkpoint runs inside whichever commit crosses the threshold and
 * stalls every request and delivery meanwhile (the bench's isolation p99 went from
 * ~15 ms to ~550 ms under a mixed load).
 */
export function startCheckpointer(path: string): Checkpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(THREAD, {
    eval: true,
    workerData: { path, driver, everyMs: CHECKPOINT_EVERY_MS },
  });
  // The thread must not keep a process alive that is otherwise done.
  worker.unref();
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  // A thread that fails leaves checkpoints to the main connection, as without it.
  worker.on('error', () => {});
  let stopping = false;
  return {
    stop() {
      if (!stopping) {
        stopping = true;
        // Held until the thread has closed its connection: a process awaiting this has nothing else alive.
        worker.ref();
        worker.postMessage('stop');
      }
      return exited;
    },
  };
}
