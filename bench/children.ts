/**
 * Starting and talking to the bench's child processes: the receiver, B0 and the peers run
 * as forked TypeScript processes (through tsx) with an IPC channel for commands and replies.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const running = new Set<() => void>();

/**
 * Remembers how to kill a child process until it has exited, so an interrupted or failed
 * run leaves nothing behind ({@link killAllChildren}).
 */
export function trackChild(kill: () => void, exited: Promise<unknown>): void {
  running.add(kill);
  void exited.then(() => running.delete(kill));
}

/** Kills every child process the bench started that is still running. */
export function killAllChildren(): void {
  for (const kill of running) kill();
  running.clear();
}

/** A forked bench process that answers `{cmd, id}` requests with `{id, ...}` replies. */
export class BenchChild {
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, (msg: Record<string, unknown>) => void>();
  readonly #events: ((msg: Record<string, unknown>) => void)[] = [];
  #nextId = 1;
  #exited: Promise<number | null>;
  stderr = '';

  constructor(script: string, args: string[]) {
    this.#child = fork(fileURLToPath(new URL(script, import.meta.url)), args, {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    });
    this.#child.stderr?.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-4000);
    });
    this.#child.on('message', (raw) => {
      const msg = raw as Record<string, unknown>;
      const resolve = typeof msg.id === 'number' ? this.#pending.get(msg.id) : undefined;
      if (resolve) {
        this.#pending.delete(msg.id as number);
        resolve(msg);
      } else for (const listener of this.#events) listener(msg);
    });
    this.#exited = new Promise((resolve) => this.#child.once('exit', (code) => resolve(code)));
    trackChild(() => this.kill(), this.#exited);
  }

  get pid(): number {
    return this.#child.pid ?? 0;
  }

  /** Resolves with the first unsolicited message that `match` accepts, or rejects after `timeoutMs`. */
  next(
    match: (msg: Record<string, unknown>) => boolean,
    timeoutMs: number,
  ): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`child did not report in ${timeoutMs} ms: ${this.stderr.slice(-800)}`));
      }, timeoutMs);
      const listener = (msg: Record<string, unknown>) => {
        if (!match(msg)) return;
        clearTimeout(timer);
        this.#events.splice(this.#events.indexOf(listener), 1);
        resolve(msg);
      };
      this.#events.push(listener);
      void this.#exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`child exited (${code}) before reporting: ${this.stderr.slice(-800)}`));
      });
    });
  }

  /** Sends a command and waits for its reply (at most `timeoutMs`; null when it timed out). */
  request<T = Record<string, unknown>>(
    cmd: string,
    fields: Record<string, unknown> = {},
    timeoutMs = 10_000,
  ): Promise<T | null> {
    const id = this.#nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        resolve(null);
      }, timeoutMs);
      this.#pending.set(id, (msg) => {
        clearTimeout(timer);
        resolve(msg as T);
      });
      this.#child.send({ cmd, id, ...fields });
    });
  }

  send(msg: Record<string, unknown>): void {
    if (this.#child.connected) this.#child.send(msg);
  }

  /** Waits for the child to exit by itself, then kills it if it has not within `timeoutMs`. */
  async exit(timeoutMs = 10_000): Promise<number | null> {
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), timeoutMs);
    const code = await this.#exited;
    clearTimeout(timer);
    return code;
  }

  kill(): void {
    if (this.#child.exitCode === null) this.#child.kill('SIGKILL');
  }
}

/** Peak resident memory (VmHWM) of a process, in MiB; null once it is gone. */
export function peakRssMiB(pid: number): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /VmHWM:\s+(\d+) kB/.exec(status);
    return kb ? Math.round(Number(kb[1]) / 102.4) / 10 : null;
  } catch {
    return null;
  }
}

/** CPU time (user + system) a process has used so far, in seconds; null once it is gone. */
export function cpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start at the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of the whole line, in clock ticks (100 per second).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

/**
 * CPU milliseconds a process spent per 1,000 deliveries between two readings: unlike a rate,
 * this hardly moves when other work on the machine competes for the cores.
 */
export function cpuMsPerThousand(
  before: number | null,
  after: number | null,
  deliveries: number,
): number | null {
  if (before === null || after === null || deliveries < 100) return null;
  return Math.round(((after - before) * 1000 * 1000) / deliveries);
}

/** Receipt summary from the receiver: first receipt of each `webhook-id`. */
export interface ReceiptStats {
  unique: number;
  firstAt: number;
  lastAt: number;
  requests?: number;
  failed?: number;
}

/** The receiver process and the ports it listens on. */
export class Receiver {
  private constructor(
    private readonly child: BenchChild,
    readonly ports: number[],
  ) {}

  static async start(ports: number): Promise<Receiver> {
    const child = new BenchChild('./receiver.ts', [String(ports)]);
    const ready = await child.next((m) => m.ready === true, 20_000);
    return new Receiver(child, ready.ports as number[]);
  }

  get pid(): number {
    return this.child.pid;
  }

  url(path: string, port = 0): string {
    return `http://127.0.0.1:${this.ports[port % this.ports.length]}${path}`;
  }

  async reset(): Promise<void> {
    await this.child.request('reset');
  }

  async stats(): Promise<ReceiptStats> {
    return (await this.child.request<ReceiptStats>('stats'))!;
  }

  /** Waits until `n` distinct webhook-ids arrived; after `timeoutMs`, returns what arrived so far. */
  async waitFor(n: number, timeoutMs: number): Promise<ReceiptStats & { complete: boolean }> {
    const done = await this.child.request<ReceiptStats>('waitFor', { n }, timeoutMs);
    if (done) return { ...done, complete: true };
    await this.child.request('cancelWaits');
    return { ...(await this.stats()), complete: false };
  }

  /** Publish-to-receipt latencies (ms) of `/ok` requests since the last reset. */
  async latencies(): Promise<number[]> {
    return (
      (await this.child.request<{ latencies: number[] }>('latencies', {}, 30_000))?.latencies ?? []
    ).slice();
  }

  async close(): Promise<void> {
    this.child.send({ cmd: 'exit' });
    await this.child.exit(5_000);
  }
}
