import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { IDEMPOTENCY_WAIT_MS, idempotencyRecordKey } from '../../src/http/idempotency.js';
import { BACKENDS } from '../support/backends.js';
import {
  startSecondApiProcess,
  startTestHerald,
  TEST_ADMIN_TOKEN,
  type TestHerald,
} from '../support/herald.js';
import { callApi, portalToken } from './api-client.js';

const HOUR_MS = 3_600_000;

for (const backend of BACKENDS) {
  describe(`${backend}: Idempotency-Key on POST`, () => {
    let herald: TestHerald;
    let clockOffset = 0;
    const admin = (method: string, path: string, body: unknown, key: string | null) =>
      callApi(
        herald.url,
        TEST_ADMIN_TOKEN,
        method,
        path,
        body,
        key === null ? {} : { 'idempotency-key': key },
      );
    const replays = async () => (await herald.ctx.metrics.idempotentReplays.get()).values[0]?.value ?? 0;
    const appNamed = async (name: string) =>
      (await herald.ctx.store.db.selectFrom('application').select('id').where('name', '=', name).execute())
        .length;

    beforeAll(async () => {
      herald = await startTestHerald(backend, { worker: false, now: () => Date.now() + clockOffset });
    });
    afterAll(async () => {
      await herald?.stop();
    });

    it('replays the first answer (status, body, content-type) to a retry and creates one resource', async () => {
      const before = await replays();
      const first = await admin('POST', '/api/v1/app', { name: 'once' }, 'key-once');
      const retry = await admin('POST', '/api/v1/app', { name: 'once' }, 'key-once');
      expect(first.status).toBe(201);
      expect(retry.status).toBe(201);
      expect(retry.text).toBe(first.text);
      expect(retry.headers.get('content-type')).toBe(first.headers.get('content-type'));
      expect(retry.headers.get('idempotent-replayed')).toBe('true');
      expect(first.headers.get('idempotent-replayed')).toBeNull();
      expect(await appNamed('once')).toBe(1);
      expect(await replays()).toBe(before + 1);
    });

    it('stores a hash of the key, never the key the client sent', async () => {
      await admin('POST', '/api/v1/app', { name: 'hashed' }, 'client-visible-key-123');
      const rows = await herald.ctx.store.db.selectFrom('idempotency').selectAll().execute();
      expect(rows.length).toBeGreaterThan(0);
      expect(JSON.stringify(rows)).not.toContain('client-visible-key-123');
    });

    it('replays an answer stored by another API process on the same database', async () => {
      const second = await startSecondApiProcess(herald);
      try {
        const first = await admin('POST', '/api/v1/app', { name: 'two-processes' }, 'key-cross');
        const retry = await callApi(
          second.url,
          TEST_ADMIN_TOKEN,
          'POST',
          '/api/v1/app',
          { name: 'two-processes' },
          {
            'idempotency-key': 'key-cross',
          },
        );
        expect(retry.status).toBe(first.status);
        expect(retry.body).toEqual(first.body);
        expect(await appNamed('two-processes')).toBe(1);
      } finally {
        await second.stop();
      }
    });

    it('runs concurrent duplicates once and gives every one the same answer', async () => {
      const answers = await Promise.all(
        Array.from({ length: 8 }, () => admin('POST', '/api/v1/app', { name: 'racing' }, 'key-race')),
      );
      expect(answers.map((a) => a.status)).toEqual(Array(8).fill(201));
      expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
      expect(await appNamed('racing')).toBe(1);
    });

    it('makes a duplicate that arrives mid-request wait for the answer and replay it', async () => {
      const first = await admin('POST', '/api/v1/app', { name: 'waiting' }, 'key-wait');
      const key = idempotencyRecordKey('admin', 'POST', '/api/v1/app', 'key-wait');
      const { db } = herald.ctx.store;
      const done = await db
        .selectFrom('idempotency')
        .selectAll()
        .where('key', '=', key)
        .executeTakeFirstOrThrow();
      // As if the first request were still running.
      await db
        .updateTable('idempotency')
        .set({ state: 'pending', status_code: null })
        .where('key', '=', key)
        .execute();
      const started = Date.now();
      const retry = admin('POST', '/api/v1/app', { name: 'waiting' }, 'key-wait');
      await new Promise((r) => setTimeout(r, 500));
      await db
        .updateTable('idempotency')
        .set({ state: done.state, status_code: done.status_code })
        .where('key', '=', key)
        .execute();
      const answer = await retry;
      expect(Date.now() - started).toBeGreaterThanOrEqual(450);
      expect(answer.status).toBe(201);
      expect(answer.body).toEqual(first.body);
      expect(await appNamed('waiting')).toBe(1);
    });

    it('answers 409 when the first request with the key is still in progress after the wait', async () => {
      await admin('POST', '/api/v1/app', { name: 'stuck' }, 'key-stuck');
      const key = idempotencyRecordKey('admin', 'POST', '/api/v1/app', 'key-stuck');
      await herald.ctx.store.db
        .updateTable('idempotency')
        .set({ state: 'pending', status_code: null })
        .where('key', '=', key)
        .execute();
      const started = Date.now();
      const answer = await admin('POST', '/api/v1/app', { name: 'stuck' }, 'key-stuck');
      expect(answer.status).toBe(409);
      expect(answer.body).toEqual({
        code: 'conflict',
        detail: 'A request with this Idempotency-Key is still in progress.',
      });
      expect(Date.now() - started).toBeGreaterThanOrEqual(IDEMPOTENCY_WAIT_MS - 200);
      expect(await appNamed('stuck')).toBe(1);
    });

    it('keeps a 4xx answer: the retry of a 404 stays a 404 after the resource appears', async () => {
      const missing = await admin(
        'POST',
        '/api/v1/app/later/endpoint',
        { url: 'https://example.com/h' },
        'key-404',
      );
      expect(missing.status).toBe(404);
      expect((await admin('POST', '/api/v1/app', { name: 'later', uid: 'later' }, null)).status).toBe(201);
      const retry = await admin(
        'POST',
        '/api/v1/app/later/endpoint',
        { url: 'https://example.com/h' },
        'key-404',
      );
      expect(retry.status).toBe(404);
      expect(retry.body).toEqual(missing.body);
      const fresh = await admin(
        'POST',
        '/api/v1/app/later/endpoint',
        { url: 'https://example.com/h' },
        'key-404b',
      );
      expect(fresh.status).toBe(201);
    });

    it('does not keep a 5xx: the retry with the same key runs again', async () => {
      await admin('POST', '/api/v1/app', { name: 'flaky', uid: 'flaky' }, null);
      const encrypt = vi.spyOn(herald.ctx.keyring, 'encrypt').mockImplementationOnce(() => {
        throw new Error('simulated failure');
      });
      try {
        const failed = await admin(
          'POST',
          '/api/v1/app/flaky/endpoint',
          { url: 'https://example.com/h' },
          'key-5xx',
        );
        expect(failed.status).toBe(500);
      } finally {
        encrypt.mockRestore();
      }
      const retry = await admin(
        'POST',
        '/api/v1/app/flaky/endpoint',
        { url: 'https://example.com/h' },
        'key-5xx',
      );
      expect(retry.status).toBe(201);
      expect(retry.headers.get('idempotent-replayed')).toBeNull();
    });

    // As Svix does (its e2e_application test_idempotency): the key names the operation.
    it('answers the key reused with a different body with the first answer, and creates nothing', async () => {
      const first = await admin('POST', '/api/v1/app', { name: 'body-a' }, 'key-reused');
      expect(first.status).toBe(201);
      const reused = await admin('POST', '/api/v1/app', { name: 'body-b' }, 'key-reused');
      expect(reused.status).toBe(201);
      expect(reused.body).toEqual(first.body);
      expect(reused.headers.get('idempotent-replayed')).toBe('true');
      expect(await appNamed('body-b')).toBe(0);
    });

    it('accepts the same body with its keys in another order as the same request', async () => {
      const first = await admin(
        'POST',
        '/api/v1/app',
        { name: 'ordered', metadata: { a: '1', b: '2' } },
        'key-order',
      );
      const retry = await admin(
        'POST',
        '/api/v1/app',
        { metadata: { b: '2', a: '1' }, name: 'ordered' },
        'key-order',
      );
      expect(retry.status).toBe(201);
      expect(retry.body.id).toBe(first.body.id);
    });

    it("scopes keys by caller: a portal token reusing the admin's key gets its own answer", async () => {
      await admin('POST', '/api/v1/app', { name: 'tenant', uid: 'tenant' }, null);
      const token = await portalToken(herald, 'tenant');
      const body = { url: 'https://example.com/scoped' };
      const byAdmin = await admin('POST', '/api/v1/app/tenant/endpoint', body, 'key-shared');
      const byPortal = await callApi(herald.url, token, 'POST', '/api/v1/app/tenant/endpoint', body, {
        'idempotency-key': 'key-shared',
      });
      expect(byAdmin.status).toBe(201);
      expect(byPortal.status).toBe(201);
      expect(byPortal.body.id).not.toBe(byAdmin.body.id);
    });

    it('scopes keys by route: the same key on another path is not a replay', async () => {
      await admin('POST', '/api/v1/app', { name: 'route-a', uid: 'route-a' }, null);
      await admin('POST', '/api/v1/app', { name: 'route-b', uid: 'route-b' }, null);
      const body = { url: 'https://example.com/route' };
      const a = await admin('POST', '/api/v1/app/route-a/endpoint', body, 'key-route');
      const b = await admin('POST', '/api/v1/app/route-b/endpoint', body, 'key-route');
      expect(a.status).toBe(201);
      expect(b.status).toBe(201);
      expect(b.body.id).not.toBe(a.body.id);
    });

    it('forgets a key once its 12 hours have passed', async () => {
      const first = await admin('POST', '/api/v1/app', { name: 'expiring' }, 'key-ttl');
      clockOffset += 11 * HOUR_MS;
      const within = await admin('POST', '/api/v1/app', { name: 'expiring' }, 'key-ttl');
      expect(within.body.id).toBe(first.body.id);
      clockOffset += HOUR_MS + 1_000;
      const after = await admin('POST', '/api/v1/app', { name: 'expiring' }, 'key-ttl');
      expect(after.status).toBe(201);
      expect(after.body.id).not.toBe(first.body.id);
      expect(await appNamed('expiring')).toBe(2);
    });

    it('refuses a malformed key with a 422 naming the header', async () => {
      const answer = await admin('POST', '/api/v1/app', { name: 'long-key' }, 'k'.repeat(300));
      expect(answer.status).toBe(422);
      expect(answer.body.detail[0].loc).toEqual(['header', 'idempotency-key']);
      expect(await appNamed('long-key')).toBe(0);
    });
  });
}
