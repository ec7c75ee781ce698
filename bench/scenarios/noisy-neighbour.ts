/**
 * Noisy neighbour (issue 16): application A has 1,000 endpoints that accept the connection
 * and never answer, 10 messages each (10,000 deliveries that each hold a slot for the 5 s
 * request timeout); application B has healthy endpoints published to at a fixed rate. B is
 * measured alone, then beside A's backlog, in the same run on the same processes' settings.
 * Before the fair shares, B got 0 of 60 messages in 60 s.
 */
import { HeraldApi } from '../api-client.js';
import { type HeraldProcess, startHerald } from '../herald-process.js';
import type { AppSpec, Session } from '../session.js';
import { latencySummary, ratio } from '../stats.js';

const HANGING = 1_000;
const MESSAGES_PER_HANGING = 10;
const B_ENDPOINTS = 4;
const B_RATE = 20;
const RUN_MS = 10_000;

export const NOISY_APPS: AppSpec[] = [
  { uid: 'noisy-a', endpoints: Array.from({ length: HANGING }, (_, i) => `/hang/noisy-${i}`) },
  { uid: 'noisy-b', endpoints: Array.from({ length: B_ENDPOINTS }, (_, i) => `/ok/noisy-b-${i}`) },
];

export interface NoisyRun {
  published: number;
  delivered: number;
  /** Delivered / expected deliveries to B's endpoints. */
  deliveredShare: number;
  latency: ReturnType<typeof latencySummary>;
}

export interface NoisyNeighbourResult {
  alone: NoisyRun;
  withNeighbour: NoisyRun;
  /** B's p99 beside A over B's p99 alone (target ≤ 2). */
  p99Ratio: number | null;
  peakRssMiB: number | null;
  error?: string;
}

/** Starts Herald as deployed on the backend, with the 5 s request timeout. */
async function startStack(
  session: Session,
): Promise<{ api: HeraldApi; processes: HeraldProcess[]; deliverer: HeraldProcess }> {
  const settings = {
    ...session.settings('noisy'),
    env: { HERALD_REQUEST_TIMEOUT_MS: '5000', HERALD_RETRY_SCHEDULE: '600' },
  };
  if (session.backend === 'sqlite') {
    const serve = await startHerald('serve', settings);
    return { api: new HeraldApi(serve.url!), processes: [serve], deliverer: serve };
  }
  const api = await startHerald('api', settings);
  const worker = await startHerald('worker', settings);
  return { api: new HeraldApi(api.url!), processes: [api, worker], deliverer: worker };
}

/** Runs B alone, then B beside A's hanging backlog. Call with the session offline. */
export async function measureNoisyNeighbour(session: Session): Promise<NoisyNeighbourResult> {
  const { receiver } = session;
  const errors: string[] = [];
  const stack = await startStack(session);
  try {
    const runB = async (): Promise<NoisyRun> => {
      await receiver.reset();
      const sent = await stack.api.publishOnSchedule(['noisy-b'], B_RATE, RUN_MS);
      if (sent.firstError) errors.push(sent.firstError);
      const expected = sent.published * B_ENDPOINTS;
      // Only `/ok` receipts carry a latency: A's hanging requests are receipts too, so count these.
      let latencies = await receiver.latencies();
      for (let waited = 0; latencies.length < expected && waited < 20_000; waited += 250) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        latencies = await receiver.latencies();
      }
      return {
        published: sent.published,
        delivered: latencies.length,
        deliveredShare: expected === 0 ? 0 : Math.round((latencies.length / expected) * 1000) / 1000,
        latency: latencySummary(latencies),
      };
    };
    // Warm-up (not measured): connections, caches and the first claims of a fresh stack.
    await stack.api.publishOnSchedule(['noisy-b'], B_RATE, 1_000);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    session.log(`noisy neighbour: B alone, ${B_RATE} messages/s × ${B_ENDPOINTS} endpoints`);
    const alone = await runB();
    session.log(
      `noisy neighbour: A publishes ${MESSAGES_PER_HANGING} messages × ${HANGING} hanging endpoints`,
    );
    for (let i = 0; i < MESSAGES_PER_HANGING; i++) await stack.api.publish('noisy-a', i);
    session.log('noisy neighbour: B beside A');
    const withNeighbour = await runB();
    const peakRssMiB = stack.deliverer.peakRssMiB();
    session.log(
      `noisy neighbour: B p99 ${alone.latency.p99} ms alone, ${withNeighbour.latency.p99} ms beside A; delivered ${withNeighbour.deliveredShare}`,
    );
    return {
      alone,
      withNeighbour,
      p99Ratio: ratio(withNeighbour.latency.p99, alone.latency.p99),
      peakRssMiB,
      ...(errors.length ? { error: errors.join('; ') } : {}),
    };
  } finally {
    await stack.api.close();
    for (const p of stack.processes) await p.stop();
  }
}
