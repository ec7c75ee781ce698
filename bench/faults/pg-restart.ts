/**
 * PostgreSQL restart mid-drain, as an operator would try it: one `herald api` and two
 * `herald worker` processes on a fresh schema of the local PostgreSQL, messages published
 * continuously, and the database restarted in the middle. Prints what was acknowledged,
 * delivered, lost (must be 0) and duplicated, how many publishes were refused with 503 during
 * the outage, which processes exited (must be none), and the seconds from the database's
 * return to the first delivery.
 *
 *   node --import tsx bench/faults/pg-restart.ts [--messages 5000] [--concurrency 16]
 *     [--restart-command "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main restart"]
 *     [--proxy-cut-ms 3000]   fake the restart: Herald talks through a TCP proxy that drops
 *                             every connection and refuses new ones for that long (no server touched)
 *     [--postgres-url postgres://postgres@127.0.0.1:5432/test]
 *
 * The real restart stops the shared server for everyone: run it only when nothing else is.
 */
import { type ChildProcess, exec, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { freePort } from '../../test/support/ports.js';
import { startReceiver } from '../../test/support/receiver.js';
import { startTcpProxy, type TcpProxy } from '../../test/support/tcp-proxy.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const ADMIN_TOKEN = `sk_bench_faults_${randomBytes(12).toString('hex')}`;
const MAIN_SECRET = randomBytes(32).toString('base64');

const { values: opts } = parseArgs({
  options: {
    messages: { type: 'string', default: '5000' },
    concurrency: { type: 'string', default: '16' },
    'restart-command': {
      type: 'string',
      default: 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main restart',
    },
    'proxy-cut-ms': { type: 'string' },
    'postgres-url': {
      type: 'string',
      default: process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
    },
  },
});
const MESSAGES = Number(opts.messages);
const CONCURRENCY = Number(opts.concurrency);
const CUT_MS = opts['proxy-cut-ms'] === undefined ? null : Number(opts['proxy-cut-ms']);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (line: string) => process.stderr.write(`pg-restart: ${line}\n`);

interface Child {
  role: string;
  child: ChildProcess;
  exit: { code: number | null; signal: string | null; at: number } | null;
  output: string;
}

function spawnHerald(role: 'api' | 'worker', env: Record<string, string>): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, role], {
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const c: Child = { role, child, exit: null, output: '' };
  const keep = (d: Buffer) => {
    c.output = (c.output + d.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.on('exit', (code, signal) => {
    c.exit = { code, signal, at: Date.now() };
  });
  return c;
}

/**
 * Waits until both workers beat (their rows in the `worker` table): a cut that starts while a
 * worker is still starting makes it stop at start-up (it cannot reach its database), which is
 * not the fault this measures. A fixed sleep was not enough on a loaded machine.
 */
async function waitForWorkers(base: URL, schema: string, children: Child[]): Promise<void> {
  const client = new pg.Client({ connectionString: base.toString() });
  await client.connect();
  try {
    for (const deadline = Date.now() + 60_000; ; ) {
      const { rows } = await client.query(`select count(*)::int as n from "${schema}".worker`);
      if (rows[0].n >= 2) return;
      const dead = children.find((c) => c.exit);
      if (dead) throw new Error(`herald ${dead.role} did not start:\n${dead.output}`);
      if (Date.now() > deadline) throw new Error('the workers did not start within 60 s');
      await sleep(100);
    }
  } finally {
    await client.end();
  }
}

async function main(): Promise<void> {
  const schema = `herald_fault_${randomBytes(5).toString('hex')}`;
  const base = new URL(opts['postgres-url']!);
  const dataDir = mkdtempSync(join(tmpdir(), 'herald-pg-restart-'));
  let proxy: TcpProxy | null = null;
  const heraldUrl = new URL(base);
  heraldUrl.searchParams.set('schema', schema);
  if (CUT_MS !== null) {
    proxy = await startTcpProxy(base.hostname, Number(base.port || 5432));
    heraldUrl.port = String(proxy.port);
  }
  const receiver = await startReceiver();
  const apiPort = await freePort();
  const env = {
    HERALD_DATABASE_URL: heraldUrl.toString(),
    HERALD_DATA_DIR: dataDir,
    HERALD_ADMIN_TOKEN: ADMIN_TOKEN,
    HERALD_MAIN_SECRET: MAIN_SECRET,
    HERALD_ALLOWED_NETWORKS: '127.0.0.0/8',
    HERALD_LOG_LEVEL: 'warn',
    HERALD_REQUEST_TIMEOUT_MS: '5000',
  };
  const children: Child[] = [];
  const api = `http://127.0.0.1:${apiPort}`;
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${api}${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };

  try {
    children.push(spawnHerald('api', { ...env, HERALD_PORT: String(apiPort) }));
    for (let i = 0; i < 600; i++) {
      if (
        (await fetch(`${api}/api/v1/health`).then(
          (r) => r.status,
          () => 0,
        )) === 204
      )
        break;
      if (children[0]!.exit) throw new Error(`herald api did not start:\n${children[0]!.output}`);
      await sleep(100);
    }
    for (let i = 0; i < 2; i++)
      children.push(spawnHerald('worker', { ...env, HERALD_PORT: String(await freePort()) }));
    await call('POST', '/api/v1/app', { name: 'restart', uid: 'restart' });
    await call('POST', '/api/v1/app/restart/endpoint', { url: receiver.url('/') });
    await waitForWorkers(base, schema, children);

    const acknowledged: { id: string; at: number }[] = [];
    const refused: number[] = [];
    const other = new Map<string, number>();
    let cutAt: number | null = null;
    let backAt: number | null = null;
    let sent = 0;
    const publisher = async () => {
      while (sent < MESSAGES) {
        const n = sent++;
        try {
          const r = await call('POST', '/api/v1/app/restart/msg', { eventType: 'e', payload: { n } });
          if (r.status === 202) acknowledged.push({ id: r.body.id, at: Date.now() });
          else {
            if (r.status === 503) refused.push(Date.now());
            else other.set(String(r.status), (other.get(String(r.status)) ?? 0) + 1);
            await sleep(100);
          }
        } catch (err) {
          other.set(`no answer (${(err as Error).message})`, (other.get('no answer') ?? 0) + 1);
          await sleep(100);
        }
      }
    };
    const publishing = Promise.all(Array.from({ length: CONCURRENCY }, publisher));

    while (acknowledged.length < MESSAGES / 3 && sent < MESSAGES) await sleep(20);
    cutAt = Date.now();
    // The database's return, seen from outside Herald: the first `select 1` that answers after the cut.
    const watchUrl = new URL(heraldUrl);
    watchUrl.searchParams.delete('schema');
    const watching = (async () => {
      await sleep(50);
      for (;;) {
        const client = new pg.Client({
          connectionString: watchUrl.toString(),
          connectionTimeoutMillis: 1_000,
        });
        client.on('error', () => {});
        try {
          await client.connect();
          await client.query('select 1');
          await client.end();
          return Date.now();
        } catch {
          await client.end().catch(() => {});
          await sleep(50);
        }
      }
    })();
    if (proxy && CUT_MS !== null) {
      log(`cutting every database connection for ${CUT_MS} ms (a fake restart)`);
      await proxy.cut(CUT_MS);
    } else {
      log(`running: ${opts['restart-command']}`);
      await new Promise<void>((resolve, reject) =>
        exec(opts['restart-command']!, (err, _stdout, stderr) =>
          err ? reject(new Error(`restart command failed: ${stderr || err.message}`)) : resolve(),
        ),
      );
    }
    backAt = await watching;
    await publishing;

    const ackedIds = new Set(acknowledged.map((a) => a.id));
    const deadline = Date.now() + 120_000;
    const received = () => new Set(receiver.requests.map((r) => r.headers['webhook-id']!));
    while (Date.now() < deadline && [...ackedIds].some((id) => !received().has(id))) await sleep(200);
    await sleep(1_000); // late duplicates
    const got = receiver.requests.map((r) => r.headers['webhook-id']!);
    const unique = new Set(got);
    const lost = [...ackedIds].filter((id) => !unique.has(id));
    const firstAfterBack = receiver.requests.find((r) => r.receivedAt >= backAt!);
    const publishedAfterBack = new Set(acknowledged.filter((a) => a.at >= backAt!).map((a) => a.id));
    const firstNewAfterBack = receiver.requests.find((r) => publishedAfterBack.has(r.headers['webhook-id']!));
    const result = {
      mode: proxy
        ? `fake restart: TCP proxy cut for ${CUT_MS} ms`
        : `real restart: ${opts['restart-command']}`,
      published: sent,
      acknowledged: ackedIds.size,
      delivered: [...ackedIds].filter((id) => unique.has(id)).length,
      lost: lost.length,
      duplicates: got.length - unique.size,
      refused503DuringOutage: refused.filter((t) => t >= cutAt! && t <= backAt! + 5_000).length,
      refused503Total: refused.length,
      otherAnswers: Object.fromEntries(other),
      outageSeconds: (backAt - cutAt) / 1000,
      processExits: children.filter((c) => c.exit).map((c) => ({ role: c.role, ...c.exit })),
      secondsFromReturnToFirstDelivery: firstAfterBack ? (firstAfterBack.receivedAt - backAt) / 1000 : null,
      secondsFromReturnToFirstNewMessageDelivered: firstNewAfterBack
        ? (firstNewAfterBack.receivedAt - backAt) / 1000
        : null,
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    for (const c of children.filter((x) => x.exit)) log(`${c.role} exited; its last output:\n${c.output}`);
    if (lost.length > 0 || result.processExits.length > 0) process.exitCode = 1;
  } finally {
    for (const c of children) if (!c.exit) c.child.kill('SIGTERM');
    await sleep(3_000);
    for (const c of children) if (!c.exit) c.child.kill('SIGKILL');
    await proxy?.close();
    await receiver.close();
    const admin = new pg.Client({ connectionString: base.toString() });
    await admin.connect().then(
      () => admin.query(`drop schema if exists "${schema}" cascade`).finally(() => admin.end()),
      () => log(`could not drop schema ${schema}`),
    );
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`pg-restart: ${(err as Error).stack ?? err}\n`);
  process.exitCode = 1;
});
