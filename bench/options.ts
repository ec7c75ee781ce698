/**
 * What to run: flags (`npm run bench -- --only drain,latency --backend sqlite`) or the same
 * settings as `BENCH_*` environment variables. Every count has a default that keeps the
 * whole run under ten minutes on a 2-core machine.
 */
import type { Backend } from './database.js';

/** Every scenario, in the order they run. */
export const SCENARIOS = [
  'peers',
  'drain',
  'ordered',
  'a0',
  'live',
  'batch',
  'scaleout',
  'latency',
  'fanout',
  'fanout-filtered',
  'live-filtered',
  'isolation',
  'noisy',
  'hostile',
  'history',
  'memory',
] as const;
/** One scenario's name, as given to `--only`. */
export type Scenario = (typeof SCENARIOS)[number];

/** The run's settings, after defaults. */
export interface BenchOptions {
  scenarios: Set<Scenario>;
  backends: Backend[];
  /** Messages queued for Drain and History (and jobs for B0 and the peers). */
  messages: number;
  /** In-flight requests per endpoint for Herald, and in all for B0 and each peer. */
  concurrency: number;
  /** Concurrent API clients that publish (Drain set-up, Live). */
  clients: number;
  /** Old attempts written before the History drain. */
  historyAttempts: number;
  /** Messages queued for the Memory scenario. */
  backlog: number;
  /** Drains per contender (Herald on each backend, every peer); the median is reported. */
  rounds: number;
  /** Write CPU profiles of Herald's worker processes into bench/results/profiles. */
  profile: boolean;
}

/** What `--help` prints. */
export const USAGE = `Usage: npm run bench -- [options]

  --only LIST        scenarios to run, comma-separated (default: all)
                     ${SCENARIOS.join(', ')}
                     (latency, history and ordered also run drain: they are measured against it;
                     live also runs a0; scaleout runs on PostgreSQL only;
                     live-filtered runs its own Live rounds to compare with)
  --backend NAME     sqlite, postgres or both (default: both; postgres when reachable)
  --messages N       messages per drain, and jobs per peer (default 20000; B0 runs 10000)
  --concurrency N    requests in flight per endpoint / per baseline (default 16)
  --clients N        concurrent API clients publishing (default 16)
  --history N        old attempts inserted before the History drain (default 1000000)
  --backlog N        messages queued for the Memory scenario (default 100000)
  --rounds N         drains of Herald and of each peer; the median is reported (default 3)
  --profile          write V8 CPU profiles of the Herald processes to bench/results/profiles
                     and print where their time went
  --help

Each option can also be set as BENCH_ONLY, BENCH_BACKEND, BENCH_MESSAGES, BENCH_CONCURRENCY,
BENCH_CLIENTS, BENCH_HISTORY, BENCH_BACKLOG, BENCH_ROUNDS, BENCH_PROFILE=1. PostgreSQL is found at
BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test), Redis at 127.0.0.1:6379.
BENCH_HERALD_MAIN=/path/to/dist/cli/main.js measures another build of Herald (a modified copy).`;

/** Thrown for a bad flag; the message is shown with the usage. */
export class OptionError extends Error {}

function positive(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1)
    throw new OptionError(`${name} must be a whole number ≥ 1, got "${raw}"`);
  return value;
}

/** Parses flags, falling back to `BENCH_*` variables, then to the defaults. */
export function parseOptions(argv: string[], env: NodeJS.ProcessEnv): BenchOptions | 'help' {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') return 'help';
    if (arg === '--profile') {
      flags.set('profile', '1');
      continue;
    }
    const match = /^--([a-z]+)(?:=(.*))?$/.exec(arg);
    if (!match) throw new OptionError(`unknown argument "${arg}"`);
    const value = match[2] ?? argv[++i];
    if (value === undefined) throw new OptionError(`--${match[1]} needs a value`);
    flags.set(match[1]!, value);
  }
  const known = [
    'only',
    'backend',
    'messages',
    'concurrency',
    'clients',
    'history',
    'backlog',
    'rounds',
    'profile',
  ];
  for (const name of flags.keys())
    if (!known.includes(name)) throw new OptionError(`unknown option --${name}`);
  const get = (name: string) => flags.get(name) ?? env[`BENCH_${name.toUpperCase()}`];

  const only = get('only');
  const scenarios = new Set<Scenario>();
  for (const name of only
    ? only
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : SCENARIOS) {
    if (!(SCENARIOS as readonly string[]).includes(name)) throw new OptionError(`unknown scenario "${name}"`);
    scenarios.add(name as Scenario);
  }
  // Latency runs at half the drain rate, and History is compared with the drain rate.
  if (scenarios.has('latency') || scenarios.has('history') || scenarios.has('ordered'))
    scenarios.add('drain');
  // Live is also given as a share of A0, measured in the same run.
  if (scenarios.has('live')) scenarios.add('a0');

  const backend = get('backend') ?? 'both';
  if (!['sqlite', 'postgres', 'both'].includes(backend)) {
    throw new OptionError(`--backend must be sqlite, postgres or both, got "${backend}"`);
  }
  const profile = get('profile');
  return {
    scenarios,
    backends: backend === 'both' ? ['sqlite', 'postgres'] : [backend as Backend],
    messages: positive('--messages', get('messages'), 20_000),
    concurrency: positive('--concurrency', get('concurrency'), 16),
    clients: positive('--clients', get('clients'), 16),
    historyAttempts: positive('--history', get('history'), 1_000_000),
    backlog: positive('--backlog', get('backlog'), 100_000),
    rounds: positive('--rounds', get('rounds'), 3),
    profile: profile === '1' || profile === 'true',
  };
}
