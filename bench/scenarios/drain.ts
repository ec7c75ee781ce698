/**
 * Drain: N messages queued while no worker runs, then one `herald worker` started, timed
 * until the receiver has every one. B0 runs just before and just after, so the ratio compares
 * measurements taken under the same load on a shared machine.
 *
 * The messages are queued with bulk SQL that writes the API's exact rows (see
 * `BenchDatabase.insertQueued`): publishing 20,000 through the API on SQLite takes minutes
 * (one fsync per acknowledged message), and the API's rate is what Live measures.
 */
import { type BracketedB0, bracket, runB0 } from '../baselines/run.js';
import { cpuMsPerThousand, cpuSeconds } from '../children.js';
import { startHerald } from '../herald-process.js';
import { nowMs } from '../payload.js';
import type { Session } from '../session.js';
import { medianBy, ratio, receiptRate } from '../stats.js';

/** The application Drain, History and Memory queue for: one endpoint. */
export const DRAIN_APP = { uid: 'drain', endpoints: ['/ok/drain'] };

/** One drain, with the B0 runs that bracket it. */
export interface DrainResult {
  messages: number;
  delivered: number;
  /** Deliveries per second, first receipt to last. */
  rate: number | null;
  /** B0 measured just before and just after this drain (the mean of the two). */
  b0: BracketedB0;
  ratioToB0: number | null;
  /** CPU ms the worker used per 1,000 deliveries (first receipt to last). */
  cpuMsPer1k: number | null;
  /** The same over B0's: how much more CPU a delivery costs in Herald, whatever the machine's load. */
  cpuRatioToB0: number | null;
  /** Attempt rows the worker wrote (every delivery must have one). */
  attemptsRecorded: number;
  /** From spawning the worker process to the last receipt, ms (includes Node start-up). */
  wallMs: number | null;
  /** Peak RSS of the worker process during the drain, MiB. */
  peakRssMiB: number | null;
  error?: string;
}

/**
 * Drains what is queued with one worker process; `label` names its CPU profile. With `keys`, the
 * messages are spread round-robin over that many ordering keys (for a FIFO endpoint's drain).
 */
export async function measureDrain(
  session: Session,
  label: string,
  app: { uid: string } = DRAIN_APP,
  keys = 0,
): Promise<DrainResult> {
  const { db, receiver, options } = session;
  const messages = options.messages;
  const { appId, endpointIds } = session.app(app.uid);
  await db.insertQueued(appId, endpointIds[0]!, messages, undefined, keys);
  session.log(`${label}: ${messages} messages queued; B0, the worker, B0`);

  const b0Before = await runB0(receiver, options.concurrency);
  const attemptsBefore = await db.count('attempt');
  await receiver.reset();
  const spawnedAt = nowMs();
  const worker = await startHerald('worker', session.settings(label));
  const first = await receiver.waitFor(1, 60_000);
  const cpuBefore = cpuSeconds(worker.pid);
  const stats = await receiver.waitFor(messages, 180_000);
  const cpuAfter = cpuSeconds(worker.pid);
  const peakRssMiB = worker.peakRssMiB();
  await worker.stop();
  const b0 = bracket(b0Before, await runB0(receiver, options.concurrency));
  const attemptsRecorded = (await db.count('attempt')) - attemptsBefore;
  const rate = receiptRate(stats);
  const cpuMsPer1k = cpuMsPerThousand(cpuBefore, cpuAfter, stats.unique - first.unique);
  session.log(
    `${label}: ${stats.unique} delivered at ${rate}/s (B0 ${b0.before}/s before, ${b0.after}/s after), ` +
      `${attemptsRecorded} attempts, ${cpuMsPer1k} CPU ms per 1k (B0 ${b0.cpuMsPer1k})`,
  );
  const leftover = await db.cancelDue();
  return {
    messages,
    delivered: stats.unique,
    rate,
    b0,
    ratioToB0: ratio(rate, b0.rate),
    cpuMsPer1k,
    cpuRatioToB0: ratio(cpuMsPer1k, b0.cpuMsPer1k),
    attemptsRecorded,
    wallMs: stats.unique > 0 ? Math.round(stats.lastAt - spawnedAt) : null,
    peakRssMiB,
    ...(stats.complete && leftover === 0
      ? {}
      : { error: `${stats.unique} of ${messages} delivered in 180 s; ${leftover} left owed` }),
  };
}

/** `options.rounds` drains, one after another: the median one (by ratio to B0) and every round's ratio. */
export async function measureDrainRounds(
  session: Session,
  label: string,
): Promise<{ median: DrainResult; rounds: (number | null)[] }> {
  const results: DrainResult[] = [];
  for (let round = 1; round <= session.options.rounds; round++)
    results.push(await measureDrain(session, round === 1 ? label : `${label}-${round}`));
  return { median: medianBy(results, (d) => d.ratioToB0)!, rounds: results.map((d) => d.ratioToB0) };
}
