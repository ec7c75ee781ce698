/**
 * The front door: A0 (the API's limit, a bare Fastify server taking the same publish request),
 * batch publishing (`msg/batch`, batches of 100 and 1,000: messages/s published, and end to end,
 * first publish to last receipt, × B0), and scale-out (Live with two `herald api` processes on
 * PostgreSQL against one).
 */
import { HeraldApi } from '../api-client.js';
import { bracket, runB0 } from '../baselines/run.js';
import { BenchChild } from '../children.js';
import { type HeraldProcess, startHerald } from '../herald-process.js';
import type { BenchOptions } from '../options.js';
import { benchPayload, EVENT_TYPE, nowMs } from '../payload.js';
import type { Session } from '../session.js';
import { ratio } from '../stats.js';
import { LIVE_APP, LIVE_WINDOW_MS } from './live.js';

/** The application Batch publishes to: one endpoint. */
export const BATCH_APP = { uid: 'batch', endpoints: ['/ok/batch'] };
/** Messages each batch run publishes (the issue's end-to-end measure: 20,000 in batches of 1,000). */
const BATCH_MESSAGES = 20_000;
const BATCH_SIZES = [1_000, 100] as const;
/** Batch requests in flight: two cores, so more only queues inside Herald. */
const BATCHES_IN_FLIGHT = 4;

/** A0: what a bare Fastify server answers with the same client, connections and in-flight count. */
export interface A0Result {
  clients: number;
  published: number;
  publishedPerSec: number;
  errors: number;
  error?: string;
}

/** Starts the A0 server in its own process and publishes to it as Live publishes to Herald. */
export async function measureA0(options: BenchOptions): Promise<A0Result> {
  const child = new BenchChild('./baselines/a0.ts', []);
  try {
    const ready = await child.next((m) => m.ready === true, 20_000);
    const api = new HeraldApi(`http://127.0.0.1:${ready.port as number}`);
    try {
      const run = await api.publishMany(['a0'], 1_000_000, options.clients, LIVE_WINDOW_MS);
      return {
        clients: options.clients,
        published: run.published,
        publishedPerSec: Math.round((run.published / run.ms) * 1000),
        errors: run.errors,
        ...(run.firstError ? { error: run.firstError } : {}),
      };
    } finally {
      await api.close();
    }
  } finally {
    child.send({ cmd: 'exit' });
    await child.exit(5_000);
  }
}

/** One batch size: publishing rate, and first publish to last receipt. */
export interface BatchRun {
  batchSize: number;
  messages: number;
  published: number;
  /** Messages a batch answered with something else than 202 for, or in a refused batch. */
  failed: number;
  publishedPerSec: number;
  /** First publish to last receipt, ms (null: not all arrived). */
  endToEndMs: number | null;
  endToEndPerSec: number | null;
  /** Batches of 1,000 only: end to end against the B0 runs just before and after. */
  b0?: ReturnType<typeof bracket>;
  ratioToB0?: number | null;
  error?: string;
}

/** `count` messages in batches of `size`, `BATCHES_IN_FLIGHT` requests at a time, as fast as answered. */
async function publishInBatches(api: HeraldApi, size: number, count: number) {
  const started = nowMs();
  let next = 0;
  let published = 0;
  let failed = 0;
  let firstError: string | undefined;
  const client = async () => {
    while (next < count) {
      const from = next;
      next = Math.min(count, next + size);
      const messages = [];
      for (let seq = from; seq < next; seq++)
        messages.push({ eventType: EVENT_TYPE, payload: benchPayload(seq, nowMs()) });
      const res = await api
        .call<{ data: { status: number }[] }>('POST', `/api/v1/app/${BATCH_APP.uid}/msg/batch`, { messages })
        .catch((err: Error) => ({ status: 0, body: { error: err.message } }) as const);
      const ok =
        res.status === 200
          ? (res.body as { data: { status: number }[] }).data.filter((r) => r.status === 202).length
          : 0;
      published += ok;
      failed += messages.length - ok;
      if (ok < messages.length)
        firstError ??= `batch answered ${res.status}: ${JSON.stringify(res.body).slice(0, 300)}`;
    }
  };
  await Promise.all(Array.from({ length: BATCHES_IN_FLIGHT }, client));
  return { started, ms: nowMs() - started, published, failed, firstError };
}

/** Batch publishing on the backend's online shape (serve on SQLite, api + worker on PostgreSQL). */
export async function measureBatch(session: Session): Promise<BatchRun[]> {
  const { receiver, options } = session;
  const { api } = await session.online();
  const runs: BatchRun[] = [];
  for (const size of BATCH_SIZES) {
    const b0Before = size === 1_000 ? await runB0(receiver, options.concurrency) : null;
    await receiver.reset();
    session.log(`batch: ${BATCH_MESSAGES} messages in batches of ${size}`);
    const run = await publishInBatches(api, size, BATCH_MESSAGES);
    const all = await receiver.waitFor(run.published, 120_000);
    const endToEndMs = all.complete ? Math.round(all.lastAt - run.started) : null;
    const result: BatchRun = {
      batchSize: size,
      messages: BATCH_MESSAGES,
      published: run.published,
      failed: run.failed,
      publishedPerSec: Math.round((run.published / run.ms) * 1000),
      endToEndMs,
      endToEndPerSec: endToEndMs ? Math.round((run.published / endToEndMs) * 1000) : null,
      ...(run.firstError ? { error: run.firstError } : {}),
      ...(all.complete ? {} : { error: `${all.unique} of ${run.published} delivered within 120 s` }),
    };
    if (b0Before) {
      result.b0 = bracket(b0Before, await runB0(receiver, options.concurrency));
      result.ratioToB0 = ratio(result.endToEndPerSec, result.b0.rate);
    }
    session.log(
      `batch ${size}: ${result.publishedPerSec}/s published, end to end ${result.endToEndPerSec}/s${result.ratioToB0 ? ` (${result.ratioToB0} × B0)` : ''}`,
    );
    runs.push(result);
  }
  return runs;
}

/** Live with one and with two API processes (one worker), the same clients in all. */
export interface ScaleOutResult {
  one: { publishedPerSec: number; deliveredPerSec: number };
  two: { publishedPerSec: number; deliveredPerSec: number };
  ratio: number | null;
  error?: string;
}

async function liveThrough(session: Session, apiCount: number) {
  const { receiver, options } = session;
  const processes: HeraldProcess[] = [];
  const apis: HeraldApi[] = [];
  try {
    for (let i = 0; i < apiCount; i++) {
      const p = await startHerald('api', session.settings(`scaleout-${apiCount}-api${i}`));
      processes.push(p);
      apis.push(new HeraldApi(p.url!));
    }
    processes.push(await startHerald('worker', session.settings(`scaleout-${apiCount}-worker`)));
    // Until a message goes all the way through, the worker is not listening yet.
    await receiver.reset();
    for (const api of apis) await api.publish(LIVE_APP.uid, 0);
    if (!(await receiver.waitFor(1, 30_000)).complete) throw new Error('warm-up message did not arrive');
    await receiver.reset();
    const clients = Math.max(1, Math.round(options.clients / apiCount));
    const runs = await Promise.all(
      apis.map((api) => api.publishMany([LIVE_APP.uid], 1_000_000, clients, LIVE_WINDOW_MS)),
    );
    const published = runs.reduce((n, r) => n + r.published, 0);
    const ms = Math.max(...runs.map((r) => r.ms));
    const during = await receiver.stats();
    await receiver.waitFor(published, 60_000);
    return {
      publishedPerSec: Math.round((published / ms) * 1000),
      deliveredPerSec: Math.round((during.unique / ms) * 1000),
      firstError: runs.find((r) => r.firstError)?.firstError,
    };
  } finally {
    for (const api of apis) await api.close();
    for (const p of processes) await p.stop();
  }
}

/** Scale-out on PostgreSQL: published/s with two `herald api` processes against one. */
export async function measureScaleOut(session: Session): Promise<ScaleOutResult> {
  session.log('scale-out: Live through one API process, then two');
  const one = await liveThrough(session, 1);
  const two = await liveThrough(session, 2);
  const result: ScaleOutResult = {
    one: { publishedPerSec: one.publishedPerSec, deliveredPerSec: one.deliveredPerSec },
    two: { publishedPerSec: two.publishedPerSec, deliveredPerSec: two.deliveredPerSec },
    ratio: ratio(two.publishedPerSec, one.publishedPerSec),
    ...((one.firstError ?? two.firstError) ? { error: one.firstError ?? two.firstError } : {}),
  };
  session.log(`scale-out: ${one.publishedPerSec}/s with one API, ${two.publishedPerSec}/s with two`);
  return result;
}
