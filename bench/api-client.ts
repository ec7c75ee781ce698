/**
 * The platform's side: Herald's HTTP API called the way a user's code would (bearer token,
 * JSON), by closed-loop clients (as fast as answers come) or on a fixed arrival schedule.
 */
import { Pool } from 'undici';
import { BENCH_ADMIN_TOKEN, BENCH_SECRET, benchPayload, EVENT_TYPE, nowMs } from './payload.js';

const HEADERS = { authorization: `Bearer ${BENCH_ADMIN_TOKEN}`, 'content-type': 'application/json' };

/** Result of a batch of publishes. */
export interface PublishRun {
  published: number;
  errors: number;
  /** Wall time from the first request to the last answer, ms. */
  ms: number;
  /** Messages acknowledged per application uid. */
  perApp: Record<string, number>;
  firstError?: string;
}

/** One Herald API, reached through a keep-alive pool. */
export class HeraldApi {
  readonly #pool: Pool;

  constructor(url: string, connections = 64) {
    this.#pool = new Pool(url, { connections, pipelining: 1 });
  }

  async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const res = await this.#pool.request({
      method,
      path,
      headers: HEADERS,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.body.text();
    return { status: res.statusCode, body: (text ? JSON.parse(text) : null) as T };
  }

  /** Creates an application with the given uid; returns its id. */
  async createApp(uid: string): Promise<string> {
    const res = await this.call<{ id: string }>('POST', '/api/v1/app', { name: uid, uid });
    if (res.status !== 201)
      throw new Error(`creating app ${uid} answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body.id;
  }

  /** Creates an endpoint signing with the bench secret, with `fields` added to its body; returns its id. */
  async createEndpoint(appUid: string, url: string, fields: Record<string, unknown> = {}): Promise<string> {
    const res = await this.call<{ id: string }>('POST', `/api/v1/app/${appUid}/endpoint`, {
      url,
      secret: BENCH_SECRET,
      ...fields,
    });
    if (res.status !== 201)
      throw new Error(`creating endpoint ${url} answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body.id;
  }

  /** Publishes one bench message stamped with `t`; resolves with the message id or throws. */
  async publish(appUid: string, seq: number, t = nowMs()): Promise<string> {
    const res = await this.call<{ id: string }>('POST', `/api/v1/app/${appUid}/msg`, {
      eventType: EVENT_TYPE,
      payload: benchPayload(seq, t),
    });
    if (res.status !== 202) throw new Error(`publish answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body.id;
  }

  /**
   * Closed loop: `clients` concurrent publishers send `count` messages (round-robin over
   * `apps`) as fast as the API answers, stopping at `maxMs` whatever the count.
   */
  async publishMany(apps: string[], count: number, clients: number, maxMs: number): Promise<PublishRun> {
    const started = nowMs();
    const deadline = started + maxMs;
    let next = 0;
    let published = 0;
    let errors = 0;
    let firstError: string | undefined;
    const perApp: Record<string, number> = {};
    const client = async () => {
      while (next < count && nowMs() < deadline) {
        const seq = next++;
        const app = apps[seq % apps.length]!;
        try {
          await this.publish(app, seq);
          published++;
          perApp[app] = (perApp[app] ?? 0) + 1;
        } catch (err) {
          errors++;
          firstError ??= (err as Error).message;
        }
      }
    };
    await Promise.all(Array.from({ length: clients }, client));
    return { published, errors, ms: nowMs() - started, perApp, firstError };
  }

  /**
   * Open loop: message i is due at `start + i / rate`, stamped with that scheduled time and
   * sent then, whether or not earlier ones were answered (up to `maxOutstanding` in flight;
   * beyond it sends are late, and the lateness is counted in their latency).
   */
  async publishOnSchedule(
    apps: string[],
    ratePerSecond: number,
    durationMs: number,
    maxOutstanding = 256,
  ): Promise<PublishRun & { scheduled: number; maxLagMs: number; ackMs: number[] }> {
    const total = Math.max(1, Math.floor((ratePerSecond * durationMs) / 1000));
    const start = nowMs() + 20;
    const interval = 1000 / ratePerSecond;
    let issued = 0;
    let outstanding = 0;
    let published = 0;
    let errors = 0;
    let maxLagMs = 0;
    let firstError: string | undefined;
    const perApp: Record<string, number> = {};
    // From the scheduled time to the API's 202: the part of the latency spent before the worker.
    const ackMs: number[] = [];
    // Sends that fall this far behind schedule are not made at all (counted as not published).
    const hardStop = start + durationMs + 15_000;
    let stopped = false;
    await new Promise<void>((resolve) => {
      const tick = () => {
        const now = nowMs();
        while (issued < total && outstanding < maxOutstanding && start + issued * interval <= now) {
          const seq = issued++;
          const scheduled = start + seq * interval;
          maxLagMs = Math.max(maxLagMs, now - scheduled);
          outstanding++;
          const app = apps[seq % apps.length]!;
          this.publish(app, seq, scheduled)
            .then(
              () => {
                published++;
                ackMs.push(nowMs() - scheduled);
                perApp[app] = (perApp[app] ?? 0) + 1;
              },
              (err: Error) => {
                errors++;
                firstError ??= err.message;
              },
            )
            .finally(() => {
              outstanding--;
              if ((issued === total || stopped) && outstanding === 0) resolve();
            });
        }
        if (issued < total && now < hardStop) {
          const wait = start + issued * interval - nowMs();
          setTimeout(tick, outstanding >= maxOutstanding ? 1 : Math.max(0, Math.floor(wait)));
        } else {
          stopped = true;
          if (outstanding === 0) resolve();
        }
      };
      tick();
    });
    return { scheduled: total, published, errors, ms: nowMs() - start, maxLagMs, ackMs, perApp, firstError };
  }

  async close(): Promise<void> {
    await this.#pool.close();
  }
}
