import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Config } from '../config/index.js';
import type { PeerMetrics } from '../observability/metrics.js';

/** `herald serve`'s worker thread (src/cli/worker-thread.ts), as the main thread sees it. */
export interface WorkerThread {
  /** The thread's metrics, for the API's /metrics. */
  metrics: PeerMetrics;
  /** Rejects if the thread ends without being asked to (never resolves). */
  failed: Promise<never>;
  /** Asks the thread to finish its deliveries in flight and stop; resolves once it has exited. */
  stop(): Promise<void>;
}

/** How long a thread that said it stopped gets to exit before it is terminated. */
const EXIT_GRACE_MS = 5_000;

type Reply = { ready?: true; stopped?: true; id?: number; metrics?: Awaited<ReturnType<PeerMetrics>> };

/** Starts the worker thread and resolves once its worker runs (rejects if it fails to start). */
export async function startWorkerThread(
  config: Readonly<Config>,
  sqliteWriteLock: SharedArrayBuffer,
): Promise<WorkerThread> {
  const workerData = { config, sqliteWriteLock };
  // The extension of this file: .js when built, .ts when run from the sources (tests, through
  // tsx, whose loader a thread does not inherit: it registers it first).
  const ext = extname(fileURLToPath(import.meta.url));
  const script = new URL(`./worker-thread${ext}`, import.meta.url);
  const thread =
    ext === '.ts'
      ? new Worker(
          `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})` +
            `.then((tsx) => { tsx.register(); return import(${JSON.stringify(script.href)}); })`,
          { eval: true, workerData },
        )
      : new Worker(script, { workerData });
  const waiting = new Map<number, (metrics: Reply['metrics']) => void>();
  let nextId = 1;
  let stopping = false;
  let failWith: (err: Error) => void = () => {};
  const failed = new Promise<never>((_, reject) => {
    failWith = reject;
  });
  failed.catch(() => {});
  const exited = new Promise<number>((resolve) => thread.once('exit', resolve));
  await new Promise<void>((resolve, reject) => {
    thread.on('message', (msg: Reply) => {
      if (msg.ready) resolve();
      else if (msg.id !== undefined) {
        waiting.get(msg.id)?.(msg.metrics);
        waiting.delete(msg.id);
      }
    });
    thread.once('error', reject);
    void exited.then((code) =>
      reject(new Error(`the worker thread exited with code ${code} while starting`)),
    );
  });
  thread.on('error', (err) => {
    if (!stopping) failWith(err);
  });
  void exited.then((code) => {
    for (const answer of waiting.values()) answer([]);
    waiting.clear();
    if (!stopping) failWith(new Error(`the worker thread exited with code ${code}`));
  });
  let stopped: Promise<void> | null = null;
  return {
    metrics: () =>
      new Promise((resolve) => {
        const id = nextId++;
        waiting.set(id, (metrics) => resolve(metrics ?? []));
        thread.postMessage({ cmd: 'metrics', id });
      }),
    failed,
    stop() {
      stopped ??= (async () => {
        stopping = true;
        thread.postMessage({ cmd: 'stop' });
        const timer = new Promise<void>((resolve) =>
          thread.on('message', (msg: Reply) => {
            if (msg.stopped) setTimeout(resolve, EXIT_GRACE_MS).unref();
          }),
        );
        await Promise.race([exited, timer]);
        await thread.terminate();
      })();
      return stopped;
    },
  };
}
