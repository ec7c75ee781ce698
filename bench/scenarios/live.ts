/**
 * Live: concurrent API clients publish as fast as Herald acknowledges while it delivers;
 * published per second, delivered per second over the same window, and publish-to-receipt
 * latency of every message.
 */
import { nowMs } from '../payload.js';
import type { AppSpec, Session } from '../session.js';
import { latencySummary } from '../stats.js';

/** The application Live publishes to: one endpoint. */
export const LIVE_APP: AppSpec = { uid: 'live', endpoints: ['/ok/live'] };
/** How long Live (and A0, and scale-out) publish. */
export const LIVE_WINDOW_MS = 6_000;

/** Publishing and delivering at once. */
export interface LiveResult {
  clients: number;
  published: number;
  publishErrors: number;
  publishedPerSec: number;
  /** Deliveries received while publishing, per second of the publishing window. */
  deliveredPerSec: number;
  /** After the last publish, how long until the last receipt, ms. */
  catchUpMs: number | null;
  latency: ReturnType<typeof latencySummary>;
  error?: string;
}

/**
 * Publishes with the configured number of clients for a fixed window while Herald delivers, to
 * `app` (Live's own, or one with more endpoints beside it that receive nothing).
 */
export async function measureLive(session: Session, app: AppSpec = LIVE_APP): Promise<LiveResult> {
  const { receiver, options } = session;
  const online = await session.online();
  await receiver.reset();
  session.log(`live (${app.uid}): ${options.clients} clients publishing for ${LIVE_WINDOW_MS / 1000} s`);
  const run = await online.api.publishMany([app.uid], 1_000_000, options.clients, LIVE_WINDOW_MS);
  const endedAt = nowMs();
  const during = await receiver.stats();
  const all = await receiver.waitFor(run.published, 60_000);
  const latency = latencySummary(await receiver.latencies());
  const result: LiveResult = {
    clients: options.clients,
    published: run.published,
    publishErrors: run.errors,
    publishedPerSec: Math.round((run.published / run.ms) * 1000),
    deliveredPerSec: Math.round((during.unique / run.ms) * 1000),
    catchUpMs: all.complete ? Math.max(0, Math.round(all.lastAt - endedAt)) : null,
    latency,
    ...(all.complete ? {} : { error: `${all.unique} of ${run.published} delivered within 60 s` }),
    ...(run.firstError ? { error: run.firstError } : {}),
  };
  session.log(
    `live: ${result.publishedPerSec}/s published, ${result.deliveredPerSec}/s delivered, p50 ${latency.p50} ms, p99 ${latency.p99} ms`,
  );
  return result;
}
