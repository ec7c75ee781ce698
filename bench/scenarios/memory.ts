/**
 * Memory: a worker started on a 100,000-message backlog, sampled for its peak RSS while it
 * works through as much as it can in a bounded window. The worker holds a bounded window of
 * claimed work, so the backlog's size must not show in its memory.
 */
import { startHerald } from '../herald-process.js';
import type { Session } from '../session.js';
import { receiptRate } from '../stats.js';
import { DRAIN_APP } from './drain.js';

const WINDOW_MS = 10_000;

/** Peak memory of a worker facing a large backlog. */
export interface MemoryResult {
  backlog: number;
  /** Peak RSS of the worker process (VmHWM), MiB. */
  peakRssMiB: number | null;
  /** Deliveries made within the window, and their rate. */
  delivered: number;
  rate: number | null;
  windowMs: number;
}

/** Queues the backlog, runs a worker on it for a bounded window, reads its peak RSS. */
export async function measureMemory(session: Session): Promise<MemoryResult> {
  const { db, receiver, options } = session;
  const { appId, endpointIds } = session.app(DRAIN_APP.uid);
  session.log(`memory: queueing ${options.backlog} messages`);
  await db.insertQueued(appId, endpointIds[0]!, options.backlog);
  await receiver.reset();
  const worker = await startHerald('worker', session.settings('memory'));
  const got = await receiver.waitFor(options.backlog, WINDOW_MS);
  const peakRssMiB = worker.peakRssMiB();
  await worker.stop();
  await db.cancelDue();
  session.log(`memory: peak RSS ${peakRssMiB} MiB with ${options.backlog} queued (${got.unique} delivered)`);
  return {
    backlog: options.backlog,
    peakRssMiB,
    delivered: got.unique,
    rate: receiptRate(got),
    windowMs: WINDOW_MS,
  };
}
