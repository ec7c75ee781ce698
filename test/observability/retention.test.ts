import { statSync } from 'node:fs';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { purgeExpired, startRetention } from '../../src/retention/purge.js';
import { BACKENDS } from '../support/backends.js';
import { eventually, startTestHerald, type TestHerald } from '../support/herald.js';
import { type Receiver, startReceiver } from '../support/receiver.js';
import { sampleValue, scrape } from './prometheus.js';

const DAY_MS = 86_400_000;
const LIVE_MESSAGES = 12;
/**
 * One clock for the whole file that only moves forward: ids are minted monotonically per
 * process, so a clock set back after a jump would mint ids stamped in its future.
 */
let offset = 0;
const testNow = () => Date.now() + offset;

for (const backend of BACKENDS) {
  describe(`${backend}: retention with the clock set forward`, () => {
    let herald: TestHerald;
    let receiver: Receiver;
    let base = 0;
    const liveIds: string[] = [];
    let heldId: string;
    let offEndpointId: string;

    const count = async (table: 'message' | 'attempt' | 'delivery' | 'idempotency' | 'token') =>
      Number(
        (
          await herald.ctx.store.db
            .selectFrom(table)
            .select(sql<number>`count(*)`.as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );

    beforeAll(async () => {
      base = offset;
      herald = await startTestHerald(backend, {
        now: testNow,
        config: { HERALD_RETENTION_DAYS: '7', HERALD_ATTEMPT_RETENTION_DAYS: '30' },
      });
      receiver = await startReceiver();
      await herald.api(
        'POST',
        '/api/v1/app',
        { name: 'Kept', uid: 'kept' },
        { 'idempotency-key': 'create-kept' },
      );
      await herald.api('POST', '/api/v1/app/kept/endpoint', {
        url: receiver.url('/live'),
        channels: ['live'],
      });
      const off = await herald.api('POST', '/api/v1/app/kept/endpoint', {
        url: receiver.url('/off'),
        channels: ['off'],
        disabled: true,
      });
      offEndpointId = off.body.id;
      const portal = await herald.api('POST', '/api/v1/auth/app-portal-access/kept', {});
      expect(portal.status).toBeLessThan(300);
      for (let n = 0; n < LIVE_MESSAGES; n++) {
        const msg = await herald.api('POST', '/api/v1/app/kept/msg', {
          eventType: 'order.paid',
          payload: { n },
          channels: ['live'],
        });
        liveIds.push(msg.body.id);
      }
      const held = await herald.api('POST', '/api/v1/app/kept/msg', {
        eventType: 'order.held',
        payload: { keep: 'me' },
        channels: ['off'],
      });
      heldId = held.body.id;
      await receiver.waitForRequests(LIVE_MESSAGES);
      await eventually(async () => (await count('attempt')) === LIVE_MESSAGES);
    });
    afterAll(async () => {
      await herald?.stop();
      await receiver?.close();
    });

    it('clears expired payloads in batches and keeps the message metadata, the attempts and owed payloads', async () => {
      offset = base + 8 * DAY_MS;
      const report = await purgeExpired(herald.ctx, { batchSize: 5, pauseMs: 0 });
      expect(report).toMatchObject({
        payloads: LIVE_MESSAGES,
        attempts: 0,
        messages: 0,
        idempotencyKeys: 1,
        tokens: 1,
      });
      // 12 payloads in statements of at most 5: 5 + 5 + 2, then one statement per other kind.
      expect(report.batches).toBe(3 + 4);

      const expired = await herald.api('GET', `/api/v1/app/kept/msg/${liveIds[0]}`);
      expect(expired.status).toBe(200);
      expect(expired.body).toMatchObject({ id: liveIds[0], eventType: 'order.paid' });
      // toMatchObject's `payload: {}` matched any object: the answer is Svix's marker, exactly.
      expect(expired.body.payload).toEqual({ expired: true });
      const held = await herald.api('GET', `/api/v1/app/kept/msg/${heldId}`);
      expect(held.body.payload).toEqual({ keep: 'me' });
      expect(await count('attempt')).toBe(LIVE_MESSAGES);
      expect(await count('message')).toBe(LIVE_MESSAGES + 1);
    });

    it('deletes expired idempotency keys and expired portal tokens', async () => {
      // Both expired well before day 8 (12 hours and 7 days); the purge above removed them.
      expect(await count('idempotency')).toBe(0);
      const tokens = await herald.ctx.store.db
        .selectFrom('token')
        .select('kind')
        .where('expires_at', 'is not', null)
        .execute();
      expect(tokens).toEqual([]);
    });

    it('deletes old attempts, then old messages with nothing owed, on its own schedule', async () => {
      offset = base + 31 * DAY_MS;
      const job = startRetention(herald.ctx, {
        intervalMs: 200,
        firstRunAfterMs: 0,
        batchSize: 5,
        pauseMs: 0,
      });
      try {
        await eventually(async () => (await count('message')) === 1);
        // Lets the pass under way finish (or runs one more) before stopping the job.
        expect(await job.runNow()).not.toBeNull();
      } finally {
        await job.stop();
      }
      expect(await count('attempt')).toBe(0);
      expect((await herald.api('GET', `/api/v1/app/kept/msg/${liveIds[0]}`)).status).toBe(404);
      const { text } = await scrape(herald.url);
      expect(sampleValue(text, 'herald_retention_purged_total', { kind: 'attempt' })).toBe(LIVE_MESSAGES);
      expect(sampleValue(text, 'herald_retention_purged_total', { kind: 'message' })).toBe(LIVE_MESSAGES);
      expect(sampleValue(text, 'herald_retention_purged_total', { kind: 'payload' })).toBe(LIVE_MESSAGES);
      expect(sampleValue(text, 'herald_retention_last_success_timestamp_seconds')).toBeGreaterThan(0);
    });

    it('never purges a delivery still owed: enabling its endpoint delivers the original payload', async () => {
      expect(await count('delivery')).toBe(1);
      receiver.reset();
      const enabled = await herald.api('PATCH', `/api/v1/app/kept/endpoint/${offEndpointId}`, {
        disabled: false,
      });
      expect(enabled.status).toBe(200);
      const [request] = await receiver.waitForRequests(1);
      expect(request!.path).toBe('/off');
      expect(request!.headers['webhook-id']).toBe(heldId);
      expect(JSON.parse(request!.body)).toEqual({ keep: 'me' });
    });
  });
}

describe('sqlite: the database file does not keep growing', () => {
  let herald: TestHerald;
  beforeAll(async () => {
    herald = await startTestHerald('sqlite', {
      worker: false,
      now: testNow,
      config: { HERALD_RETENTION_DAYS: '1', HERALD_ATTEMPT_RETENTION_DAYS: '1' },
    });
    await herald.api('POST', '/api/v1/app', { name: 'Bulk', uid: 'bulk' });
  });
  afterAll(async () => {
    await herald?.stop();
  });

  const pragma = async (name: string) => {
    const { rows } = await sql<Record<string, number>>`${sql.raw(`PRAGMA ${name}`)}`.execute(
      herald.ctx.store.db,
    );
    return Number(Object.values(rows[0]!)[0]);
  };
  const file = () => herald.db.url.slice('sqlite:'.length);

  const fill = async (messages: number) => {
    const blob = 'x'.repeat(8_000);
    for (let i = 0; i < messages; i += 10) {
      await Promise.all(
        Array.from({ length: 10 }, (_, j) =>
          herald.api('POST', '/api/v1/app/bulk/msg', { eventType: 'bulk.load', payload: { i: i + j, blob } }),
        ),
      );
    }
  };

  it('gives the pages freed by a purge back to the file system, cycle after cycle', async () => {
    await fill(300);
    const filledPages = await pragma('page_count');
    offset += 2 * DAY_MS;
    const first = await purgeExpired(herald.ctx, { batchSize: 100, pauseMs: 0 });
    expect(first).toMatchObject({ payloads: 300, messages: 300 });
    expect(first.pagesFreed).toBeGreaterThan(0);
    expect(await pragma('freelist_count')).toBe(0);
    const purgedPages = await pragma('page_count');
    expect(purgedPages).toBeLessThan(filledPages / 4);
    // The purge's own checkpoint can find the background checkpointer at work and copy only part
    // of the log; that thread finishes the copy (and the truncation) within its 200 ms period.
    const pageSize = await pragma('page_size');
    await eventually(() => statSync(file()).size < (filledPages * pageSize) / 4, 2_000);
    const purgedSize = statSync(file()).size;

    // A second load of the same size lands in a file no bigger than the first one made.
    await fill(300);
    expect(await pragma('page_count')).toBeLessThanOrEqual(filledPages * 1.1);
    offset += 2 * DAY_MS;
    await purgeExpired(herald.ctx, { batchSize: 100, pauseMs: 0 });
    expect(await pragma('page_count')).toBeLessThanOrEqual(purgedPages * 1.1);
    await eventually(() => statSync(file()).size <= purgedSize * 1.1, 2_000);
  });
});
