/**
 * One backend's share of the run: its database, the Herald processes running on it, and the
 * applications and endpoints the scenarios publish to (created once, through the API).
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HeraldApi } from './api-client.js';
import type { Receiver } from './children.js';
import type { Backend, BenchDatabase } from './database.js';
import { type HeraldProcess, type HeraldSettings, startHerald } from './herald-process.js';
import type { BenchOptions } from './options.js';

/** Where results and profiles go (git-ignored). */
export const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));

/** Messages sent through a freshly started stack before anything is measured on it. */
export const WARMUP_APP: AppSpec = { uid: 'warmup', endpoints: ['/ok/warmup'] };
const WARMUP_MESSAGES = 10;

/** An application and the receiver paths of its endpoints. */
export interface AppSpec {
  uid: string;
  endpoints: string[];
  /** More fields of endpoint `i`'s create body (a payload filter, event types). */
  endpointFields?(i: number): Record<string, unknown>;
}

/** The API and worker that run while messages are published live. */
export interface OnlineHerald {
  api: HeraldApi;
  processes: HeraldProcess[];
  /** The process that delivers (serve on SQLite, the worker on PostgreSQL). */
  deliverer: HeraldProcess;
}

/** One backend's database, processes and applications for the run. */
export class Session {
  readonly #created = new Map<string, { appId: string; endpointIds: string[] }>();
  #online: OnlineHerald | null = null;

  constructor(
    readonly backend: Backend,
    readonly db: BenchDatabase,
    readonly receiver: Receiver,
    readonly options: BenchOptions,
  ) {}

  /** Settings for a Herald process; `profile` names the CPU profile directory when profiling. */
  settings(profile?: string): HeraldSettings {
    return {
      databaseUrl: this.db.url,
      dataDir: this.db.dataDir,
      concurrency: this.options.concurrency,
      cpuProfileDir:
        this.options.profile && profile ? join(RESULTS_DIR, 'profiles', `${this.backend}-${profile}`) : null,
    };
  }

  log(message: string): void {
    process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${this.backend}: ${message}\n`);
  }

  /** Creates the applications (with one endpoint per path, spread over the receiver's ports) not made yet. */
  async ensureApps(api: HeraldApi, specs: AppSpec[]): Promise<void> {
    for (const spec of specs) {
      if (this.#created.has(spec.uid)) continue;
      const appId = await api.createApp(spec.uid);
      const endpointIds: string[] = [];
      let next = 0;
      const worker = async () => {
        while (next < spec.endpoints.length) {
          const i = next++;
          endpointIds[i] = await api.createEndpoint(
            spec.uid,
            this.receiver.url(spec.endpoints[i]!, i),
            spec.endpointFields?.(i) ?? {},
          );
        }
      };
      await Promise.all(Array.from({ length: Math.min(16, spec.endpoints.length) }, worker));
      this.#created.set(spec.uid, { appId, endpointIds });
    }
  }

  /**
   * Creates the applications the selected scenarios use, through a `herald api` process
   * (which also creates the schema), before any scenario runs.
   */
  async prepare(specs: AppSpec[]): Promise<void> {
    const api = await startHerald('api', this.settings());
    const client = new HeraldApi(api.url!);
    try {
      await this.ensureApps(client, specs);
    } finally {
      await client.close();
      await api.stop();
    }
  }

  /** Ids of an application created by {@link ensureApps}. */
  app(uid: string): { appId: string; endpointIds: string[] } {
    const app = this.#created.get(uid);
    if (!app) throw new Error(`application ${uid} was not created`);
    return app;
  }

  /**
   * Herald as deployed on this backend while publishing live: one `herald serve` process on
   * SQLite (the single-process default), separate `herald api` and `herald worker` processes
   * on PostgreSQL (the scale-out shape, woken by LISTEN/NOTIFY).
   */
  async online(): Promise<OnlineHerald> {
    if (this.#online) return this.#online;
    if (this.backend === 'sqlite') {
      const serve = await startHerald('serve', this.settings('online'));
      this.#online = { api: new HeraldApi(serve.url!), processes: [serve], deliverer: serve };
    } else {
      const api = await startHerald('api', this.settings('online-api'));
      const worker = await startHerald('worker', this.settings('online'));
      this.#online = { api: new HeraldApi(api.url!), processes: [api, worker], deliverer: worker };
    }
    await this.#warmUp(this.#online.api);
    return this.#online;
  }

  /**
   * A worker process reports nothing when it is ready (it has no port), so messages go
   * through the whole path, one at a time, until they arrive: then the worker is up, its
   * wake-up channel listens, and the hot code has been compiled.
   */
  async #warmUp(api: HeraldApi): Promise<void> {
    await this.receiver.reset();
    for (let seq = 0; seq < WARMUP_MESSAGES; seq++) {
      await api.publish(WARMUP_APP.uid, seq);
      const got = await this.receiver.waitFor(seq + 1, 30_000);
      if (!got.complete) throw new Error('the warm-up message did not arrive within 30 s');
    }
    await this.receiver.reset();
  }

  /** Stops the live processes (if running); returns the deliverer's peak RSS (MiB). */
  async offline(): Promise<number | null> {
    const online = this.#online;
    if (!online) return null;
    this.#online = null;
    const rss = online.deliverer.peakRssMiB();
    await online.api.close();
    for (const p of online.processes) await p.stop();
    return rss;
  }
}
