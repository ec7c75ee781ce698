import { eventually, TEST_ADMIN_TOKEN } from '../support/herald.js';
import type { Receiver } from '../support/receiver.js';

/** What the API answered to a stream of publishes. */
export interface PublishTally {
  /** Ids of the messages answered 202: each must be delivered. */
  acknowledged: string[];
  /** 503 store_unavailable with Retry-After (the truthful answer during an outage). */
  unavailable: number;
  /** 507 storage_full. */
  full: number;
  /** Anything else: must stay empty. */
  unexpected: string[];
}

async function call(base: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
}

/** An application `uid` with one endpoint to `receiver`. */
export async function setUpApp(base: string, uid: string, receiver: Receiver): Promise<void> {
  const app = await call(base, 'POST', '/api/v1/app', { name: uid, uid });
  if (app.status !== 201) throw new Error(`creating the app answered ${app.status}`);
  const ep = await call(base, 'POST', `/api/v1/app/${uid}/endpoint`, { url: receiver.url('/') });
  if (ep.status !== 201) throw new Error(`creating the endpoint answered ${ep.status}`);
}

/** Publishes one message and files the answer into `tally`. */
export async function publishOne(base: string, uid: string, n: number, tally: PublishTally): Promise<void> {
  try {
    const r = await call(base, 'POST', `/api/v1/app/${uid}/msg`, { eventType: 'e', payload: { n } });
    if (r.status === 202) tally.acknowledged.push(r.body.id);
    else if (r.status === 503 && r.body?.code === 'store_unavailable' && r.headers.get('retry-after'))
      tally.unavailable++;
    else if (r.status === 507 && r.body?.code === 'storage_full') tally.full++;
    else tally.unexpected.push(`${r.status} ${JSON.stringify(r.body)}`);
  } catch (err) {
    tally.unexpected.push(`no answer: ${(err as Error).message}`);
  }
}

export function newTally(): PublishTally {
  return { acknowledged: [], unavailable: 0, full: 0, unexpected: [] };
}

/**
 * Publishes until `total` messages were acknowledged, `concurrency` at a time, pausing `gapMs`
 * between rounds, as a client that retries refusals would: a round that met a 503 or 507 waits
 * `backoffMs` before the next (a refusal answers at once, so without it the stream would spend
 * itself inside the outage). Stops by itself after `deadlineMs`; resolves when all are answered.
 */
export async function publishStream(
  base: string,
  uid: string,
  tally: PublishTally,
  options: { total: number; concurrency: number; gapMs: number; backoffMs?: number; deadlineMs?: number },
): Promise<void> {
  const deadline = Date.now() + (options.deadlineMs ?? 60_000);
  let n = 0;
  while (tally.acknowledged.length < options.total && Date.now() < deadline) {
    const refusedBefore = tally.unavailable + tally.full;
    const batch = Math.min(options.concurrency, options.total - tally.acknowledged.length);
    await Promise.all(Array.from({ length: batch }, () => publishOne(base, uid, n++, tally)));
    const refused = tally.unavailable + tally.full > refusedBefore;
    const pause = refused ? (options.backoffMs ?? 100) : options.gapMs;
    if (pause > 0) await new Promise((r) => setTimeout(r, pause));
  }
}

/** Polls a readiness URL until stopped; returns every status it saw, in order, without repeats. */
export function watchHealth(url: string, everyMs = 50): { seen: number[]; stop(): Promise<void> } {
  const seen: number[] = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const status = await fetch(url).then(
        (r) => r.status,
        () => 0,
      );
      if (seen[seen.length - 1] !== status) seen.push(status);
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    seen,
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

/** Ids the receiver got (webhook-id), as a set. */
export const receivedIds = (receiver: Receiver) =>
  new Set(receiver.requests.map((r) => r.headers['webhook-id']!));

/** How many lines of `output` contain `text`. */
export const linesWith = (output: string, text: string) =>
  output.split('\n').filter((line) => line.includes(text)).length;

/**
 * Publishes one message to `uid` and waits until `receiver` has it (answer it at once) and its
 * attempt is recorded: the worker has then heard from the endpoint, which until its first answer
 * gets one request at a time, and holds no lease on the warm-up. (Without the wait, a worker
 * killed under load before its outcome batch committed sent the warm-up again, as it should.)
 */
export async function warmUp(base: string, uid: string, receiver: Receiver): Promise<void> {
  const tally = newTally();
  await publishOne(base, uid, -1, tally);
  const [id] = tally.acknowledged;
  if (!id) throw new Error('the warm-up message was not accepted');
  await receiver.waitForRequests(1, 40_000);
  await eventually(async () => {
    const attempts = await call(base, 'GET', `/api/v1/app/${uid}/attempt/msg/${id}`);
    return attempts.body?.data?.some((a: { status: number }) => a.status === 0) === true;
  }, 40_000);
}
