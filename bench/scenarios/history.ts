/**
 * History: the drain again, as many rounds as the empty-database drain, after a million old
 * attempts (with their messages and finished deliveries) were written straight into the
 * database; the medians are compared. Claiming and recording must not slow down as history
 * grows.
 */
import type { Session } from '../session.js';
import { ratio, round } from '../stats.js';
import { DRAIN_APP, type DrainResult, measureDrainRounds } from './drain.js';

/** Old attempts per old message (the last one succeeded, the others got 503). */
const ATTEMPTS_PER_MESSAGE = 10;

/** The drain with a million old attempts, against the empty-database drain. */
export interface HistoryResult {
  oldAttempts: number;
  oldMessages: number;
  insertMs: number;
  /** The median round (by ratio to B0). */
  drain: DrainResult;
  /** Every round's ratio to B0, in the order run. */
  rounds: (number | null)[];
  /** History drain rate over the empty-database drain rate, raw. */
  rateRatio: number | null;
  /** The same, each rate first divided by its bracketing B0 (cancels the machine's load drifting). */
  normalisedRatio: number | null;
  /** Worker CPU per delivery, history over empty (insensitive to load; blind to I/O waits). */
  cpuRatio: number | null;
  error?: string;
}

/** Writes the old attempts, then drains again `rounds` times (Herald must not be running). */
export async function measureHistory(session: Session, empty: DrainResult): Promise<HistoryResult> {
  const { db, options } = session;
  const oldMessages = Math.ceil(options.historyAttempts / ATTEMPTS_PER_MESSAGE);
  const { appId, endpointIds } = session.app(DRAIN_APP.uid);
  session.log(`history: writing ${oldMessages * ATTEMPTS_PER_MESSAGE} old attempts`);
  const started = Date.now();
  const oldAttempts = await db.insertHistory(appId, endpointIds[0]!, oldMessages, ATTEMPTS_PER_MESSAGE);
  const insertMs = Date.now() - started;
  session.log(`history: written in ${(insertMs / 1000).toFixed(1)} s`);
  const { median: drain, rounds } = await measureDrainRounds(session, 'history');
  return {
    oldAttempts,
    oldMessages,
    insertMs,
    drain,
    rounds,
    rateRatio: ratio(drain.rate, empty.rate),
    normalisedRatio: drain.ratioToB0 && empty.ratioToB0 ? round(drain.ratioToB0 / empty.ratioToB0) : null,
    cpuRatio: ratio(drain.cpuMsPer1k, empty.cpuMsPer1k),
    ...(drain.error ? { error: drain.error } : {}),
  };
}
