import { describe, expect, it } from 'vitest';
import { DELIVERY_STATE } from '../store/schema.js';
import { EndpointCondition, judgeHealth, PROBE_INTERVAL_MS } from './endpoint-health.js';
import type { DeliveryResult } from './http-client.js';

const result = (fields: Partial<DeliveryResult>): DeliveryResult => ({
  statusCode: 200,
  responseBody: '',
  responseHeaders: {},
  errorClass: null,
  errorMessage: null,
  retryAfterMs: null,
  durationMs: 5,
  reconnected: false,
  ...fields,
});

describe("an endpoint's health", () => {
  it('counts every answer but a 2xx as a failure, 3xx and 4xx included: each costs a retry', () => {
    expect(judgeHealth(result({}), 1_000)).toBe('success');
    expect(judgeHealth(result({ durationMs: 1_500 }), 1_000)).toBe('slow');
    for (const [statusCode, errorClass] of [
      [301, 'http_3xx'],
      [404, 'http_4xx'],
      [503, 'http_5xx'],
      [0, 'timeout'],
      [0, 'connection_reset'],
      [0, 'invalid_response'],
      [0, 'blocked_by_policy'],
    ] as const)
      expect(judgeHealth(result({ statusCode, errorClass }), 1_000), errorClass).toBe('failure');
  });

  it('halves on a slow answer, never below two, and gains one per fast success', () => {
    const c = new EndpointCondition(16);
    c.record('success', 0, 0.005);
    c.record('slow', 0, 1.5);
    expect(c.concurrency).toBe(8);
    expect(c.state).toBe(DELIVERY_STATE.slowed);
    for (let i = 0; i < 5; i++) c.record('slow', 0, 1.5);
    expect(c.concurrency).toBe(2);
    c.record('success', 0, 0.005);
    expect(c.concurrency).toBe(3);
  });

  it('opens the circuit after three failures, probes one at a time no sooner than the interval, and closes to full concurrency on success', () => {
    const c = new EndpointCondition(16);
    c.record('success', 0, 0.005);
    c.record('failure', 0, 0.005);
    c.record('failure', 0, 0.005);
    expect(c.open).toBe(false);
    c.record('failure', 1_000, 0.005);
    expect(c.state).toBe(DELIVERY_STATE.open);
    expect(c.concurrency).toBe(1);
    expect(c.waitMs(1_000)).toBe(PROBE_INTERVAL_MS);
    expect(c.waitMs(1_000 + PROBE_INTERVAL_MS)).toBe(0);
    c.record('success', 2_000, 0.005);
    expect(c.state).toBe(DELIVERY_STATE.normal);
    expect(c.concurrency).toBe(16);
  });
});

describe("an endpoint's place in the slow share", () => {
  it('is in it, one request at a time, until its first answer, and while slowed or open', () => {
    const c = new EndpointCondition(16);
    expect(c.inSlowShare).toBe(true);
    expect(c.concurrency).toBe(1);
    c.record('success', 0, 0.005);
    expect(c.inSlowShare).toBe(false);
    expect(c.concurrency).toBe(16);
    c.record('slow', 0, 1.5);
    expect(c.inSlowShare).toBe(true);
  });

  it('starts from the one request it had when its first answer fails or is slow', () => {
    const failing = new EndpointCondition(16);
    failing.record('failure', 0, 0.005);
    expect(failing.concurrency).toBe(1);
    expect(failing.state).toBe(DELIVERY_STATE.slowed);
    const slow = new EndpointCondition(16);
    slow.record('slow', 0, 1.5);
    expect(slow.concurrency).toBe(2);
  });
});

describe('a receiver that does not keep its connections', () => {
  /** Records `n` successes 10 ms apart from `at`; returns the time after. */
  const answer = (c: EndpointCondition, at: number, n: number, reconnected: boolean | null) => {
    for (let i = 0; i < n; i++) c.record('success', at + i * 10, 0.001, reconnected);
    return at + n * 10;
  };

  it('is slowed to one request at a time, paced, after three answers in a row found the connection closed, and recovers when it keeps one', () => {
    const c = new EndpointCondition(16);
    let t = answer(c, 0, 1, null);
    t = answer(c, t, 2, true);
    expect(c.state).toBe(DELIVERY_STATE.normal);
    expect(c.waitMs(t)).toBe(0);
    t = answer(c, t, 1, true);
    expect(c.reconnecting).toBe(true);
    expect(c.state).toBe(DELIVERY_STATE.slowed);
    t = answer(c, t, 10, true);
    expect(c.concurrency).toBe(1);
    expect(c.inSlowShare).toBe(true);
    // Its next request waits 20 ms after its last answer (at t - 10): at most 50 connections a second.
    expect(c.waitMs(t - 10)).toBe(20);
    expect(c.waitMs(t)).toBe(10);
    expect(c.waitMs(t + 10)).toBe(0);
    // An answer without a connection to judge by (a failure, say) changes nothing.
    c.record('failure', t, 0.001, null);
    expect(c.reconnecting).toBe(true);
    t = answer(c, t + 10, 1, false);
    expect(c.reconnecting).toBe(false);
    expect(c.waitMs(t)).toBe(0);
    // Straight back to its AIMD limit (16, halved by the failure, one more for this success).
    expect(c.concurrency).toBe(9);
    answer(c, t, 20, false);
    expect(c.state).toBe(DELIVERY_STATE.normal);
    expect(c.concurrency).toBe(16);
  });

  it('is not confused with an endpoint answered now and then, whose idle connection was closed meanwhile', () => {
    const c = new EndpointCondition(16);
    for (let i = 0; i < 100; i++) c.record('success', i * 2_000, 0.001, true);
    expect(c.reconnecting).toBe(false);
    expect(c.state).toBe(DELIVERY_STATE.normal);
  });
});
