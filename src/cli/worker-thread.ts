/**
 * The delivery worker of `herald serve` on SQLite, on a thread of its own (src/cli/serve.ts
 * starts it): the API and the worker each get an event loop, so on two cores neither waits for
 * the other's turn. It opens its own connection to the same file; new messages reach it over
 * the store's due channel (src/store/sqlite/sqlite-store.ts), task wake-ups over theirs.
 *
 * Messages from the main thread: `{cmd: 'metrics', id}` (answered with this thread's metrics as
 * prom-client JSON, which the API's /metrics adds to its own) and `{cmd: 'stop'}` (answered
 * `{stopped: true}` once deliveries in flight finished or were given back).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Config } from '../config/index.js';
import { startHerald } from './serve.js';

if (!parentPort) throw new Error('worker-thread.ts runs as a worker thread of `herald serve`');
const port = parentPort;
const { config, sqliteWriteLock } = workerData as { config: Config; sqliteWriteLock: SharedArrayBuffer };
const running = await startHerald('worker', config, () => {}, { thread: { sqliteWriteLock } });
port.on('message', (msg: { cmd: string; id?: number }) => {
  if (msg.cmd === 'metrics')
    void running.metrics.registry
      .getMetricsAsJSON()
      .then((metrics) => port.postMessage({ id: msg.id, metrics }));
  else if (msg.cmd === 'stop')
    void running.stop().then(() => {
      port.postMessage({ stopped: true });
      port.close();
    });
});
port.postMessage({ ready: true });
