/**
 * A queue a user might build webhooks on instead of Herald, doing the same signed POST per
 * job and keeping no delivery log. Forked by the driver with
 * `KIND RECEIVER_URL COUNT CONCURRENCY POSTGRES_URL`; it enqueues COUNT jobs (not timed),
 * reports `{ready}`, starts its worker on `go`, and cleans up and exits on `stop`.
 *
 * Each peer runs with the batching options its documentation recommends for throughput.
 */
import { randomBytes } from 'node:crypto';
import { request } from 'undici';
import { baselineMsgId, benchPayload, nowMs, signedHeaders } from '../payload.js';

type Kind = 'graphile-worker' | 'pg-boss' | 'bullmq';
const [kind, url = '', countArg = '0', concurrencyArg = '16', postgresUrl = ''] = process.argv.slice(2) as [
  Kind,
  ...string[],
];
const count = Number(countArg);
const concurrency = Number(concurrencyArg);
const ENQUEUE_CHUNK = 1_000;

interface JobData {
  seq: number;
  payload: Record<string, unknown>;
}

/** The job: sign and POST the payload; a non-2xx answer fails the job so the queue retries it. */
async function deliver(data: JobData): Promise<void> {
  const body = JSON.stringify(data.payload);
  const msgId = baselineMsgId(kind.slice(0, 2), data.seq);
  const res = await request(url, { method: 'POST', headers: signedHeaders(msgId, body), body });
  await res.body.text();
  if (res.statusCode < 200 || res.statusCode >= 300) throw new Error(`receiver answered ${res.statusCode}`);
}

/** Runs `fn` over `items` with at most `limit` at once; rejects if any did. */
async function inParallel<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

function jobs(): JobData[] {
  const t = nowMs();
  return Array.from({ length: count }, (_, seq) => ({ seq, payload: benchPayload(seq, t) }));
}

interface Peer {
  enqueue(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

async function graphileWorker(): Promise<Peer> {
  const { makeWorkerUtils, run } = await import('graphile-worker');
  const schema = `bench_gw_${randomBytes(4).toString('hex')}`;
  const utils = await makeWorkerUtils({ connectionString: postgresUrl, schema });
  await utils.migrate();
  let runner: Awaited<ReturnType<typeof run>> | null = null;
  return {
    async enqueue() {
      const all = jobs();
      for (let i = 0; i < all.length; i += ENQUEUE_CHUNK) {
        await utils.addJobs(
          all.slice(i, i + ENQUEUE_CHUNK).map((payload) => ({ identifier: 'deliver', payload })),
        );
      }
    },
    async start() {
      runner = await run({
        connectionString: postgresUrl,
        schema,
        concurrency,
        maxPoolSize: concurrency + 2,
        noHandleSignals: true,
        pollInterval: 1_000,
        logger: new (await import('graphile-worker')).Logger(() => () => {}),
        taskList: { deliver: (payload) => deliver(payload as JobData) },
        // Batch fetching and batch completion: graphile-worker's documented throughput settings.
        preset: {
          worker: {
            localQueue: { size: Number(process.env.BENCH_GW_LOCAL_QUEUE ?? concurrency * 4) },
            completeJobBatchDelay: Number(process.env.BENCH_GW_COMPLETE_DELAY ?? 10),
          },
        },
      });
    },
    async stop() {
      await runner?.stop();
      await utils.withPgClient((c) => c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
      await utils.release();
    },
  };
}

async function pgBoss(): Promise<Peer> {
  const { default: PgBoss } = await import('pg-boss');
  const schema = `bench_pgb_${randomBytes(4).toString('hex')}`;
  const boss = new PgBoss({
    connectionString: postgresUrl,
    schema,
    max: 10,
    supervise: false,
    schedule: false,
  });
  boss.on('error', () => {});
  await boss.start();
  await boss.createQueue('deliver');
  // pg-boss 10 has no per-worker concurrency, and each worker waits out its polling interval
  // (0.5 s at least) after every batch: so two workers fetch large batches and each delivers
  // its batch with half the concurrency, keeping `concurrency` requests in flight in all.
  const workers = 2;
  const batchSize = Number(process.env.BENCH_PGBOSS_BATCH ?? concurrency * 64);
  return {
    async enqueue() {
      const all = jobs();
      for (let i = 0; i < all.length; i += ENQUEUE_CHUNK) {
        await boss.insert(all.slice(i, i + ENQUEUE_CHUNK).map((data) => ({ name: 'deliver', data })));
      }
    },
    async start() {
      for (let i = 0; i < workers; i++) {
        await boss.work<JobData>('deliver', { batchSize, pollingIntervalSeconds: 0.5 }, (batch) =>
          inParallel(batch, Math.max(1, Math.floor(concurrency / workers)), (job) => deliver(job.data)),
        );
      }
    },
    async stop() {
      await boss.stop({ graceful: true, wait: true, timeout: 5_000 });
      const pg = await import('pg');
      const client = new pg.default.Client({ connectionString: postgresUrl });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    },
  };
}

async function bullmq(): Promise<Peer> {
  const { Queue, Worker } = await import('bullmq');
  const connection = { host: '127.0.0.1', port: 6379, maxRetriesPerRequest: null };
  const name = `bench_${randomBytes(4).toString('hex')}`;
  const queue = new Queue(name, { connection });
  // At run time the client is ioredis, whose CONFIG and INFO the adapter interface leaves out.
  const redis = (await queue.client) as unknown as {
    config(...args: string[]): Promise<unknown>;
    info(section: string): Promise<string>;
  };
  const config = async (key: string) => ((await redis.config('GET', key)) as string[])[1] ?? '';
  const saved = { appendonly: await config('appendonly'), appendfsync: await config('appendfsync') };
  let aof = 'unchanged';
  try {
    await redis.config('SET', 'appendfsync', 'everysec');
    await redis.config('SET', 'appendonly', 'yes');
    // Turning AOF on starts a rewrite; measure once it is done.
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && /aof_rewrite_in_progress:1/.test(await redis.info('persistence'))) {
      await new Promise((r) => setTimeout(r, 100));
    }
    aof = 'everysec';
  } catch (err) {
    aof = `not set: ${(err as Error).message}`;
  }
  process.send?.({ note: `redis AOF ${aof}` });
  let worker: { close(): Promise<void> } | null = null;
  return {
    async enqueue() {
      const all = jobs();
      for (let i = 0; i < all.length; i += ENQUEUE_CHUNK) {
        await queue.addBulk(
          all.slice(i, i + ENQUEUE_CHUNK).map((data) => ({
            name: 'deliver',
            data,
            opts: { attempts: 25, removeOnComplete: true },
          })),
        );
      }
    },
    async start() {
      worker = new Worker<JobData>(name, (job) => deliver(job.data), { connection, concurrency });
    },
    async stop() {
      await worker?.close();
      await queue.obliterate({ force: true });
      if (aof === 'everysec') {
        await redis.config('SET', 'appendonly', saved.appendonly);
        await redis.config('SET', 'appendfsync', saved.appendfsync);
      }
      await queue.close();
    },
  };
}

const peer = await (kind === 'graphile-worker' ? graphileWorker() : kind === 'pg-boss' ? pgBoss() : bullmq());
const enqueueStart = Date.now();
await peer.enqueue();
process.send?.({ ready: true, enqueueMs: Date.now() - enqueueStart });
process.on('message', (raw) => {
  const msg = raw as { cmd: string; id: number };
  if (msg.cmd === 'go') void peer.start().then(() => process.send?.({ id: msg.id }));
  if (msg.cmd === 'stop') {
    void peer
      .stop()
      .catch((err: Error) => process.stderr.write(`${kind} cleanup failed: ${err.message}\n`))
      .finally(() => {
        if (process.send) process.send({ id: msg.id }, () => process.exit(0));
        else process.exit(0);
      });
  }
});
process.on('disconnect', () => process.exit(0));
