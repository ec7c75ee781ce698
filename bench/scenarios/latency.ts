/**
 * Latency, publish to receipt: unloaded (one message at a time, each sent after the last
 * one arrived) and under load (a fixed arrival schedule at half the drain rate, each message
 * stamped with its scheduled time, so time spent waiting to be published counts too).
 */
import { nowMs } from '../payload.js';
import type { Session } from '../session.js';
import { latencySummary } from '../stats.js';

/** The application Latency publishes to: one endpoint. */
export const LATENCY_APP = { uid: 'latency', endpoints: ['/ok/latency'] };
const UNLOADED_MESSAGES = 300;
const UNLOADED_MAX_MS = 30_000;
const LOADED_MS = 5_000;

/** Unloaded and scheduled-load latencies. */
export interface LatencyResult {
  /** Publish to receipt; `apiAck` is the publish call alone (until Herald answered 202). */
  unloaded: ReturnType<typeof latencySummary> & { apiAck: ReturnType<typeof latencySummary> };
  loaded: ReturnType<typeof latencySummary> & {
    /** Arrival rate of the schedule: half the drain rate measured in this run. */
    ratePerSec: number;
    scheduled: number;
    published: number;
    /** How far behind its schedule the latest send went (the API could not keep up), ms. */
    maxSendLagMs: number;
    delivered: number;
    /** From the scheduled time to the API's 202. */
    apiAck: ReturnType<typeof latencySummary>;
  };
  error?: string;
}

/** Measures unloaded latency, then latency at half of `drainRate`. */
export async function measureLatency(session: Session, drainRate: number): Promise<LatencyResult> {
  const { receiver } = session;
  const { api } = await session.online();
  const errors: string[] = [];

  session.log(`latency: ${UNLOADED_MESSAGES} messages one at a time`);
  await receiver.reset();
  const acks: number[] = [];
  const until = nowMs() + UNLOADED_MAX_MS;
  for (let seq = 0; seq < UNLOADED_MESSAGES && nowMs() < until; seq++) {
    const sentAt = nowMs();
    try {
      await api.publish(LATENCY_APP.uid, seq, sentAt);
      acks.push(nowMs() - sentAt);
    } catch (err) {
      errors.push((err as Error).message);
      break;
    }
    const got = await receiver.waitFor(seq + 1, 5_000);
    if (!got.complete) {
      errors.push(`message ${seq} not received within 5 s`);
      break;
    }
  }
  const unloaded = { ...latencySummary(await receiver.latencies()), apiAck: latencySummary(acks) };

  const ratePerSec = Math.max(1, Math.round(drainRate / 2));
  session.log(`latency: ${ratePerSec} messages/s on a fixed schedule for ${LOADED_MS / 1000} s`);
  await receiver.reset();
  const run = await api.publishOnSchedule([LATENCY_APP.uid], ratePerSec, LOADED_MS);
  const got = await receiver.waitFor(run.published, 60_000);
  if (!got.complete) errors.push(`under load, ${got.unique} of ${run.published} arrived within 60 s`);
  if (run.firstError) errors.push(run.firstError);
  const loaded = {
    ...latencySummary(await receiver.latencies()),
    ratePerSec,
    scheduled: run.scheduled,
    published: run.published,
    maxSendLagMs: Math.round(run.maxLagMs),
    delivered: got.unique,
    apiAck: latencySummary(run.ackMs),
  };
  session.log(
    `latency: unloaded p50 ${unloaded.p50} p99 ${unloaded.p99} ms; at ${ratePerSec}/s p50 ${loaded.p50} p99 ${loaded.p99} ms`,
  );
  return { unloaded, loaded, ...(errors.length ? { error: errors.join('; ') } : {}) };
}
