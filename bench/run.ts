/**
 * `npm run bench`: Herald's delivery rate, latency and memory against the machine's own
 * limit (B0) and the queues users would otherwise build on, measured side by side in one
 * run. Prints Markdown tables and writes the same results to bench/results/latest.json.
 * See BENCHMARKS.md for what each scenario measures and how to read the ratios.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { bracket, PEERS, runB0, runPeer } from './baselines/run.js';
import { killAllChildren, Receiver } from './children.js';
import { type Backend, BenchDatabase, POSTGRES_URL, postgresReachable } from './database.js';
import { type BenchOptions, OptionError, parseOptions, USAGE } from './options.js';
import { formatSummary, summarizeFile } from './profile-top.js';
import {
  type BackendResults,
  checkTargets,
  formatTables,
  type PeerResult,
  type RunResults,
} from './report.js';
import { DRAIN_APP, measureDrainRounds } from './scenarios/drain.js';
import { FANOUT_APPS, measureFanout } from './scenarios/fanout.js';
import {
  FILTERED_FANOUT_APPS,
  LIVE_FILTERED_APP,
  LIVE_TYPED_APP,
  measureFilteredFanout,
  measureLiveFiltered,
} from './scenarios/filtered.js';
import { measureHistory } from './scenarios/history.js';
import { measureHostileReceivers } from './scenarios/hostile-receivers.js';
import { BATCH_APP, measureA0, measureBatch, measureScaleOut } from './scenarios/ingest.js';
import { ISOLATION_APPS, ISOLATION_ATTEMPTS_PER_MESSAGE, measureIsolation } from './scenarios/isolation.js';
import { LATENCY_APP, measureLatency } from './scenarios/latency.js';
import { LIVE_APP, measureLive } from './scenarios/live.js';
import { measureMemory } from './scenarios/memory.js';
import { measureNoisyNeighbour, NOISY_APPS } from './scenarios/noisy-neighbour.js';
import { measureOrdered, ORDERED_APP, ORDERED_BATCH_APP } from './scenarios/ordered.js';
import { type AppSpec, RESULTS_DIR, Session, WARMUP_APP } from './session.js';
import { medianBy, ratio } from './stats.js';

/** Nothing in the run may take longer than this; past it, everything is killed. */
const WATCHDOG_MS = 15 * 60_000;
const openDatabases = new Set<BenchDatabase>();

function log(message: string): void {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

function machine(): Record<string, unknown> {
  const run = (cmd: string, args: string[]) => {
    try {
      return execFileSync(cmd, args, { encoding: 'utf8' }).trim();
    } catch {
      return null;
    }
  };
  return {
    nproc: availableParallelism(),
    cpu: cpus()[0]?.model ?? null,
    memTotalGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    free: run('free', ['-h']),
    node: process.version,
    loadAvgAtStart: loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

/** Runs one scenario; a failure is recorded under its name in `into.failures` and the run goes on. */
async function attempt<T>(into: BackendResults, what: string, fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (err) {
    log(`${what} failed: ${(err as Error).stack ?? err}`);
    into.failures = { ...into.failures, [what]: (err as Error).message.split('\n')[0]! };
    return undefined;
  }
}

async function runPeers(receiver: Receiver, options: BenchOptions, pgUp: boolean): Promise<PeerResult[]> {
  const peers = PEERS.filter((peer) => peer === 'bullmq' || pgUp);
  const rounds = new Map<string, PeerResult[]>(peers.map((peer) => [peer, []]));
  // B0, peer, B0, peer, …: each peer is compared with the mean of the B0 runs on either side.
  let before = await runB0(receiver, options.concurrency);
  for (let round = 1; round <= options.rounds; round++) {
    for (const peer of peers) {
      log(`peers: ${peer} (round ${round} of ${options.rounds}), then B0`);
      const result = await runPeer(peer, receiver, options.messages, options.concurrency, POSTGRES_URL);
      const after = await runB0(receiver, options.concurrency);
      const b0 = bracket(before, after);
      before = after;
      log(
        `peers: ${peer} ${result.rate}/s, B0 ${b0.before}/s before, ${b0.after}/s after${result.error ? ` (${result.error})` : ''}`,
      );
      rounds.get(peer)!.push({ ...result, b0, ratioToB0: ratio(result.rate, b0.rate) });
    }
  }
  return peers.map((peer) => {
    const all = rounds.get(peer)!;
    return { ...medianBy(all, (p) => p.ratioToB0)!, rounds: all.map((p) => p.ratioToB0) };
  });
}

async function runBackend(
  backend: Backend,
  receiver: Receiver,
  options: BenchOptions,
): Promise<BackendResults> {
  const only = options.scenarios;
  let db: BenchDatabase;
  try {
    db = await BenchDatabase.create(backend);
  } catch (err) {
    return { error: `could not create the database: ${(err as Error).message}` };
  }
  openDatabases.add(db);
  const session = new Session(backend, db, receiver, options);
  const r: BackendResults = {};
  try {
    const specs: AppSpec[] = [WARMUP_APP];
    if (only.has('drain') || only.has('history') || only.has('memory')) specs.push(DRAIN_APP);
    if (only.has('ordered')) specs.push(ORDERED_APP, ORDERED_BATCH_APP);
    if (only.has('live') || only.has('scaleout') || only.has('live-filtered')) specs.push(LIVE_APP);
    if (only.has('live-filtered')) specs.push(LIVE_FILTERED_APP, LIVE_TYPED_APP);
    if (only.has('fanout-filtered')) specs.push(...FILTERED_FANOUT_APPS);
    if (only.has('batch')) specs.push(BATCH_APP);
    if (only.has('latency')) specs.push(LATENCY_APP);
    if (only.has('fanout')) specs.push(...FANOUT_APPS);
    if (only.has('isolation')) specs.push(...ISOLATION_APPS);
    if (only.has('noisy')) specs.push(...NOISY_APPS);
    session.log(`creating ${specs.length} applications`);
    await session.prepare(specs);

    if (only.has('drain')) {
      const drains = await attempt(r, 'drain', () => measureDrainRounds(session, 'drain'));
      r.drain = drains?.median;
      r.drainRounds = drains?.rounds;
    }
    if (only.has('ordered') && r.drain) {
      const unordered = r.drain;
      r.ordered = await attempt(r, 'ordered', () => measureOrdered(session, unordered));
    }
    if (only.has('live')) r.live = await attempt(r, 'live', () => measureLive(session));
    if (only.has('batch')) r.batch = await attempt(r, 'batch', () => measureBatch(session));
    const drainRate = r.drain?.rate ?? 1_000;
    if (only.has('latency'))
      r.latency = await attempt(r, 'latency', () => measureLatency(session, drainRate));
    if (only.has('fanout')) r.fanout = await attempt(r, 'fanout', () => measureFanout(session));
    if (only.has('fanout-filtered'))
      r.fanoutFiltered = await attempt(r, 'fanout-filtered', () => measureFilteredFanout(session));
    if (only.has('live-filtered'))
      r.liveFiltered = await attempt(r, 'live-filtered', () => measureLiveFiltered(session));
    if (only.has('isolation')) {
      // A rate the whole system sustains with room to spare: attempts at a quarter of the drain
      // rate, and messages at no more than a third of what the API took live.
      const rate = Math.min(
        drainRate / 4 / ISOLATION_ATTEMPTS_PER_MESSAGE,
        r.live ? r.live.publishedPerSec / 3 : Number.POSITIVE_INFINITY,
      );
      r.isolation = await attempt(r, 'isolation', () => measureIsolation(session, rate));
    }
    if (only.has('hostile')) r.hostile = await attempt(r, 'hostile', () => measureHostileReceivers(session));
    r.onlinePeakRssMiB = await session.offline();
    if (only.has('scaleout') && backend === 'postgres')
      r.scaleOut = await attempt(r, 'scaleout', () => measureScaleOut(session));
    await db.cancelDue();
    if (only.has('noisy')) {
      r.noisy = await attempt(r, 'noisy', () => measureNoisyNeighbour(session));
      await db.cancelDue();
    }
    if (only.has('history') && r.drain) {
      const empty = r.drain;
      r.history = await attempt(r, 'history', () => measureHistory(session, empty));
    }
    if (only.has('memory')) r.memory = await attempt(r, 'memory', () => measureMemory(session));
  } catch (err) {
    r.error = (err as Error).message.split('\n')[0];
    log(`${backend}: ${(err as Error).stack}`);
  } finally {
    await session.offline().catch(() => {});
    await db.drop();
    openDatabases.delete(db);
  }
  return r;
}

function printProfiles(): void {
  const dir = join(RESULTS_DIR, 'profiles');
  let folders: string[];
  try {
    folders = readdirSync(dir);
  } catch {
    return;
  }
  for (const folder of folders.sort()) {
    for (const file of readdirSync(join(dir, folder)).filter((f) => f.endsWith('.cpuprofile'))) {
      process.stdout.write(
        `\n${formatSummary(`${folder}/${file}`, summarizeFile(join(dir, folder, file), 15))}`,
      );
    }
  }
}

async function main(): Promise<number> {
  let options: BenchOptions;
  try {
    const parsed = parseOptions(process.argv.slice(2), process.env);
    if (parsed === 'help') {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    options = parsed;
  } catch (err) {
    if (!(err instanceof OptionError)) throw err;
    process.stderr.write(`bench: ${err.message}\n\n${USAGE}\n`);
    return 2;
  }
  const startedAt = new Date();
  mkdirSync(RESULTS_DIR, { recursive: true });
  if (options.profile) rmSync(join(RESULTS_DIR, 'profiles'), { recursive: true, force: true });
  const results: RunResults = {
    startedAt: startedAt.toISOString(),
    durationS: 0,
    machine: machine(),
    options: { ...options, scenarios: [...options.scenarios] },
    peers: [],
    backends: {},
    checks: [],
  };
  log(`scenarios: ${[...options.scenarios].join(', ')}; backends: ${options.backends.join(', ')}`);
  const pgUp = await postgresReachable();
  if (!pgUp) log(`PostgreSQL is not reachable at ${POSTGRES_URL}: its scenarios and PG peers are skipped`);
  const receiver = await Receiver.start(4);
  try {
    if (options.scenarios.has('peers')) results.peers = await runPeers(receiver, options, pgUp);
    if (options.scenarios.has('a0'))
      results.a0 = await measureA0(options).catch((err: Error) => {
        log(`a0 failed: ${err.stack}`);
        return undefined;
      });
    for (const backend of options.backends) {
      if (backend === 'postgres' && !pgUp) {
        results.backends.postgres = { skipped: `PostgreSQL not reachable at ${POSTGRES_URL}` };
        continue;
      }
      results.backends[backend] = await runBackend(backend, receiver, options);
    }
  } finally {
    await receiver.close();
  }
  results.durationS = Math.round((Date.now() - startedAt.getTime()) / 1000);
  results.machine.loadAvgAtEnd = loadavg().map((l) => Math.round(l * 100) / 100);
  results.checks = checkTargets(results);
  writeFileSync(join(RESULTS_DIR, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);

  const m = results.machine;
  process.stdout.write(
    `\nHerald benchmark, ${results.startedAt}, ${results.durationS} s — ${m.nproc} CPUs (${m.cpu}), ${m.memTotalGiB} GiB, Node ${m.node}, ` +
      `load ${(m.loadAvgAtStart as number[]).join(' ')} → ${(m.loadAvgAtEnd as number[]).join(' ')}\n\n` +
      `${formatTables(results)}\n\nTargets:\n` +
      results.checks
        .map(
          (c) =>
            `  ${c.pass === true ? 'PASS' : c.pass === false ? 'MISS' : 'INFO'}  ${c.backend}: ${c.target} — ${c.value}`,
        )
        .join('\n') +
      `\n\nWritten to ${join(RESULTS_DIR, 'latest.json')}\n`,
  );
  if (options.profile) printProfiles();
  return 0;
}

async function emergencyStop(reason: string, code: number): Promise<never> {
  log(reason);
  killAllChildren();
  for (const db of openDatabases) await db.drop().catch(() => {});
  process.exit(code);
}

const watchdog = setTimeout(
  () => void emergencyStop(`bench: over ${WATCHDOG_MS / 60_000} minutes, stopping`, 3),
  WATCHDOG_MS,
);
watchdog.unref();
process.once('SIGINT', () => void emergencyStop('bench: interrupted', 130));
process.once('SIGTERM', () => void emergencyStop('bench: terminated', 143));

main().then(
  (code) => {
    process.exitCode = code;
  },
  async (err) => {
    killAllChildren();
    await emergencyStop(`bench: ${(err as Error).stack ?? err}`, 1);
  },
);
