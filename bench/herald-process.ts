/**
 * Herald as the user runs it: `node dist/cli/main.js serve|api|worker` child processes,
 * configured only through `HERALD_*` variables, stopped with SIGTERM.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { peakRssMiB, trackChild } from './children.js';
import { BENCH_ADMIN_TOKEN, BENCH_MAIN_SECRET } from './payload.js';

/** Herald's CLI; `BENCH_HERALD_MAIN` points at another build (a modified copy) to measure it. */
const MAIN = process.env.BENCH_HERALD_MAIN ?? fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));

/** The `herald` subcommands the bench starts. */
export type HeraldRole = 'serve' | 'api' | 'worker';

/** Settings shared by every Herald process of one backend. */
export interface HeraldSettings {
  databaseUrl: string;
  dataDir: string;
  /** In-flight requests per endpoint: the concurrency B0 and the peers use too. */
  concurrency: number;
  /** Write a V8 CPU profile of the process into this directory. */
  cpuProfileDir?: string | null;
  /** Extra `HERALD_*` variables. */
  env?: Record<string, string>;
}

/** A running Herald process. */
export interface HeraldProcess {
  role: HeraldRole;
  pid: number;
  /** API base URL (serve and api only). */
  url: string | null;
  /** Peak resident memory so far (VmHWM), MiB. */
  peakRssMiB(): number | null;
  /** SIGTERM, then waits for a clean exit (SIGKILL after `timeoutMs`). */
  stop(timeoutMs?: number): Promise<void>;
}

/** A free loopback port (asked of the kernel, then released for Herald to take). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Starts `herald ROLE`; for serve and api, resolves once `/api/v1/health` answers. */
export async function startHerald(role: HeraldRole, settings: HeraldSettings): Promise<HeraldProcess> {
  const port = role === 'worker' ? 0 : await freePort();
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    HERALD_DATABASE_URL: settings.databaseUrl,
    HERALD_DATA_DIR: settings.dataDir,
    HERALD_ADMIN_TOKEN: BENCH_ADMIN_TOKEN,
    HERALD_MAIN_SECRET: BENCH_MAIN_SECRET,
    HERALD_HOST: '127.0.0.1',
    HERALD_PORT: String(port),
    HERALD_ALLOWED_NETWORKS: '127.0.0.0/8',
    HERALD_LOG_LEVEL: 'warn',
    HERALD_ENDPOINT_CONCURRENCY: String(settings.concurrency),
    // Isolation needs hanging endpoints to time out within the run, and failing ones to retry in it.
    HERALD_REQUEST_TIMEOUT_MS: '2000',
    HERALD_RETRY_SCHEDULE: '1,1,1,1,1,1,1,1,1,1',
    // An A/B of a setting without a rebuild (HERALD_WORKER_THREAD=false, say).
    ...Object.fromEntries(
      Object.entries(process.env)
        .filter(([k]) => k.startsWith('BENCH_HERALD_SET_'))
        .map(([k, v]) => [k.slice('BENCH_HERALD_SET_'.length), v ?? '']),
    ),
    ...settings.env,
  };
  const execArgv: string[] = [];
  if (settings.cpuProfileDir) {
    mkdirSync(settings.cpuProfileDir, { recursive: true });
    execArgv.push('--cpu-prof', `--cpu-prof-dir=${settings.cpuProfileDir}`);
  }
  const child = spawn(process.execPath, [...execArgv, MAIN, role], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (d: Buffer) => {
    output = (output + d.toString()).slice(-6000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const pid = child.pid ?? 0;
  trackChild(() => child.kill('SIGKILL'), exited);

  const url = role === 'worker' ? null : `http://127.0.0.1:${port}`;
  if (url) await waitHealthy(url, child, () => output);

  let stopping: Promise<void> | null = null;
  return {
    role,
    pid,
    url,
    peakRssMiB: () => peakRssMiB(pid),
    stop(timeoutMs = 30_000) {
      stopping ??= (async () => {
        if (child.exitCode !== null) return;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
        const code = await exited;
        clearTimeout(timer);
        if (code !== 0 && code !== null) {
          process.stderr.write(`bench: herald ${role} exited with ${code}:\n${output}\n`);
        }
      })();
      return stopping;
    },
  };
}

async function waitHealthy(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`herald exited during start-up:\n${output()}`);
    try {
      const res = await fetch(`${url}/api/v1/health`);
      if (res.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`herald did not become healthy within 30 s:\n${output()}`);
}
