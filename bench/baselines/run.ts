/**
 * The baselines, measured in the same run as Herald: B0 (the machine's limit) and the peer
 * queues, each draining the same number of signed POSTs to the same receiver.
 */
import { BenchChild, cpuMsPerThousand, cpuSeconds, type Receiver } from '../children.js';
import { receiptRate } from '../stats.js';

/** One contender's drain. */
export interface BaselineResult {
  name: string;
  delivered: number;
  expected: number;
  /** Deliveries per second, first receipt to last. */
  rate: number | null;
  /** CPU ms the sending process used per 1,000 deliveries, from the first receipt to the last. */
  cpuMsPer1k: number | null;
  /** The receiver's CPU ms per 1,000 requests over the same window: near 1,000 / rate, the receiver is the limit. */
  receiverCpuMsPer1k?: number | null;
  /** Time to enqueue the jobs beforehand (peers only; not part of the rate), ms. */
  enqueueMs?: number;
  note?: string;
  error?: string;
}

/**
 * Requests per B0 run. B0 runs before every drain it is compared with; a steady loop with
 * no start-up phase needs no more than this for a stable rate, and the run's time is short.
 */
export const B0_REQUESTS = 10_000;

/** B0: a bare undici loop with the same payload, signature, receiver and concurrency. */
export async function runB0(
  receiver: Receiver,
  concurrency: number,
  count = B0_REQUESTS,
): Promise<BaselineResult> {
  await receiver.reset();
  const child = new BenchChild('./baselines/b0.ts', [
    receiver.url('/ok/b0'),
    String(count),
    String(concurrency),
  ]);
  const first = await receiver.waitFor(1, 60_000);
  const cpuBefore = cpuSeconds(child.pid);
  const receiverBefore = cpuSeconds(receiver.pid);
  const stats = await receiver.waitFor(count, 120_000);
  const cpuAfter = cpuSeconds(child.pid);
  const receiverAfter = cpuSeconds(receiver.pid);
  child.send({ cmd: 'exit' });
  await child.exit(10_000);
  return {
    name: 'B0 undici loop',
    delivered: stats.unique,
    expected: count,
    rate: receiptRate(stats),
    cpuMsPer1k: cpuMsPerThousand(cpuBefore, cpuAfter, stats.unique - first.unique),
    receiverCpuMsPer1k: cpuMsPerThousand(receiverBefore, receiverAfter, stats.unique - first.unique),
    ...(stats.complete ? {} : { error: `only ${stats.unique} of ${count} arrived within 120 s` }),
  };
}

/** B0 measured just before and just after a contender, so that load drifting during the run cancels out. */
export interface BracketedB0 extends BaselineResult {
  /** B0's rate before and after the contender; `rate` is their mean. */
  before: number | null;
  after: number | null;
}

/** The mean of the B0 runs before and after a contender (or the one that worked). */
export function bracket(before: BaselineResult, after: BaselineResult): BracketedB0 {
  const mean = (a: number | null | undefined, b: number | null | undefined) =>
    a != null && b != null ? Math.round((a + b) / 2) : (a ?? b ?? null);
  return {
    name: before.name,
    delivered: before.delivered + after.delivered,
    expected: before.expected + after.expected,
    rate: mean(before.rate, after.rate),
    cpuMsPer1k: mean(before.cpuMsPer1k, after.cpuMsPer1k),
    receiverCpuMsPer1k: mean(before.receiverCpuMsPer1k, after.receiverCpuMsPer1k),
    before: before.rate,
    after: after.rate,
    ...(before.error || after.error ? { error: before.error ?? after.error } : {}),
  };
}

/** The peer queues, in the order they run. */
export const PEERS = ['graphile-worker', 'pg-boss', 'bullmq'] as const;
/** One peer's name. */
export type PeerName = (typeof PEERS)[number];

const PEER_LABELS: Record<PeerName, string> = {
  'graphile-worker': 'graphile-worker 0.17 (PG)',
  'pg-boss': 'pg-boss 10 (PG)',
  bullmq: 'BullMQ 5 (Redis AOF)',
};

/** A peer queue: jobs enqueued first (untimed), then its worker drains them. */
export async function runPeer(
  peer: PeerName,
  receiver: Receiver,
  count: number,
  concurrency: number,
  postgresUrl: string,
): Promise<BaselineResult> {
  const base = { name: PEER_LABELS[peer], expected: count };
  const child = new BenchChild('./baselines/peer.ts', [
    peer,
    receiver.url(`/ok/${peer}`),
    String(count),
    String(concurrency),
    postgresUrl,
  ]);
  let note: string | undefined;
  const noted = child
    .next((m) => typeof m.note === 'string', 60_000)
    .then(
      (m) => {
        note = m.note as string;
      },
      () => {},
    );
  try {
    const ready = await child.next((m) => m.ready === true, 120_000);
    await receiver.reset();
    await child.request('go', {}, 30_000);
    const first = await receiver.waitFor(1, 60_000);
    const cpuBefore = cpuSeconds(child.pid);
    const stats = await receiver.waitFor(count, 120_000);
    const cpuAfter = cpuSeconds(child.pid);
    await child.request('stop', {}, 30_000);
    await child.exit(10_000);
    void noted;
    return {
      ...base,
      delivered: stats.unique,
      rate: receiptRate(stats),
      cpuMsPer1k: cpuMsPerThousand(cpuBefore, cpuAfter, stats.unique - first.unique),
      enqueueMs: ready.enqueueMs as number,
      ...(note ? { note } : {}),
      ...(stats.complete ? {} : { error: `only ${stats.unique} of ${count} arrived within 120 s` }),
    };
  } catch (err) {
    child.kill();
    return {
      ...base,
      delivered: 0,
      rate: null,
      cpuMsPer1k: null,
      error: (err as Error).message.split('\n')[0],
    };
  }
}
