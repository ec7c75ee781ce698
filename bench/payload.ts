/**
 * What every contender sends: the same ~1 KB JSON payload, signed the way Herald signs it
 * (Standard Webhooks HMAC, `webhook-*` plus `svix-*` headers, Herald's user agent), so B0
 * and the peers pay the same per-request costs as Herald's worker.
 */
import { performance } from 'node:perf_hooks';
import { parseSigningSecrets, signatureHeader, webhookHeaders } from '../src/signing/sign.js';
import { USER_AGENT } from '../src/version.js';

/** The endpoint secret every benchmark endpoint uses (Herald, B0 and the peers sign with it). */
export const BENCH_SECRET = `whsec_${Buffer.alloc(32, 0x5a).toString('base64')}`;
/** The admin token every Herald process of the run accepts. */
export const BENCH_ADMIN_TOKEN = 'sk_bench_admin_token_0123456789abcdef';
/** The main key (fixed, so endpoint secrets stay readable across the run's processes). */
export const BENCH_MAIN_SECRET = Buffer.alloc(32, 9).toString('base64');
/** The event type of every bench message. */
export const EVENT_TYPE = 'invoice.paid';

const FILLER = 'x'.repeat(880);

/**
 * Wall-clock milliseconds with sub-millisecond resolution, comparable across processes on
 * one machine (each process derives it from the same system clock at its start).
 */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * The payload object. `t` comes first so the receiver can read it without parsing the whole
 * body: it is the send (or scheduled) time, from which latency is counted.
 */
export function benchPayload(seq: number, t: number): Record<string, unknown> {
  return {
    t,
    seq,
    type: EVENT_TYPE,
    data: {
      id: `in_${seq}`,
      amount: 1200 + (seq % 100),
      currency: 'eur',
      customer: 'cus_bench',
      note: FILLER,
    },
  };
}

const PARSED_SECRETS = parseSigningSecrets([BENCH_SECRET]);

/** Headers of one signed delivery, exactly the set Herald's worker sends. */
export function signedHeaders(msgId: string, body: string): Record<string, string> {
  const timestamp = Math.floor(Date.now() / 1000);
  const signature = signatureHeader(msgId, timestamp, body, PARSED_SECRETS);
  return {
    'content-type': 'application/json',
    'user-agent': USER_AGENT,
    ...webhookHeaders(msgId, timestamp, signature, { svixCompat: true }),
  };
}

/** A message id of Herald's length (`msg_` + 27 characters), unique within a run. */
export function baselineMsgId(kind: string, seq: number): string {
  return `msg_${kind}${String(seq).padStart(27 - kind.length, '0')}`;
}
