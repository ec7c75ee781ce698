import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/store/schema.js';
import { type ApiAnswer, callApi } from '../conformance/api-client.js';
import { BACKENDS } from '../support/backends.js';
import { eventually, startTestHerald, TEST_ADMIN_TOKEN, type TestHerald } from '../support/herald.js';
import { type Receiver, startReceiver } from '../support/receiver.js';

/**
 * Signing secrets and API tokens must exist in plaintext only where a user asked for them:
 * the answer of `GET …/secret` and of `app-portal-access`. A full flow runs (endpoints with a
 * given secret and generated ones, rotations, deliveries that succeed and fail, everything
 * listed back through the API), then the logs, every other answer, every row of every table
 * and, on SQLite, the raw database files (WAL included) are searched for each of them.
 */

const ALLOWED = [
  /^GET \/api\/v1\/app\/[^/]+\/endpoint\/[^/]+\/secret$/,
  /^POST \/api\/v1\/auth\/app-portal-access\//,
];

const newSecret = () => `whsec_${randomBytes(24).toString('base64')}`;

/** The forms a secret can take: as given, its base64 part, and (for raw files) its bytes. */
function formsOf(secret: string): { text: string[]; bytes: Buffer[] } {
  const body = secret.replace(/^whsec_/, '');
  const text = [secret, body];
  const bytes = [Buffer.from(secret), Buffer.from(body)];
  if (secret.startsWith('whsec_')) bytes.push(Buffer.from(body, 'base64'));
  return { text, bytes };
}

for (const backend of BACKENDS) {
  describe(`${backend}: secrets and tokens do not leak into logs, answers or the database`, () => {
    let herald: TestHerald;
    let receiver: Receiver;
    const answers: Array<{ call: string; answer: ApiAnswer }> = [];

    const as =
      (token: string) =>
      async (method: string, path: string, body?: unknown, headers?: Record<string, string>) => {
        const answer = await callApi(herald.url, token, method, path, body, headers);
        answers.push({ call: `${method} ${path.split('?')[0]}`, answer });
        return answer;
      };
    const admin = as(TEST_ADMIN_TOKEN);

    beforeAll(async () => {
      // Trace level: the most a misconfigured operator could log must still hold no secret.
      herald = await startTestHerald(backend, { config: { HERALD_LOG_LEVEL: 'trace' } });
      receiver = await startReceiver();
      receiver.respondWith((req) =>
        req.path.startsWith('/fail') ? { status: 500, body: 'down' } : { status: 200 },
      );
    });
    afterAll(async () => {
      await herald?.stop();
      await receiver?.close();
    });

    it('keeps every endpoint secret and token out of everything but the answers meant to carry them', async () => {
      const given = newSecret();
      const rotatedTo = newSecret();
      const app = (await admin('POST', '/api/v1/app', { name: 'Leaky?', uid: 'leaky' })).body;
      const withGiven = (
        await admin('POST', `/api/v1/app/${app.id}/endpoint`, { url: receiver.url('/ok'), secret: given })
      ).body;
      const generated = (
        await admin('POST', `/api/v1/app/${app.id}/endpoint`, { url: receiver.url('/fail') })
      ).body;
      const unreachable = (
        await admin('POST', `/api/v1/app/${app.id}/endpoint`, { url: 'http://127.0.0.1:9/closed' })
      ).body;
      const secretOf = async (id: string) =>
        (await admin('GET', `/api/v1/app/${app.id}/endpoint/${id}/secret`)).body.key as string;
      const generatedFirst = await secretOf(generated.id);
      const unreachableSecret = await secretOf(unreachable.id);
      expect(await secretOf(withGiven.id)).toBe(given);

      await admin('POST', `/api/v1/app/${app.id}/endpoint/${withGiven.id}/secret/rotate`, { key: rotatedTo });
      await admin(
        'POST',
        `/api/v1/app/${app.id}/endpoint/${generated.id}/secret/rotate`,
        {},
        { 'idempotency-key': 'rotate-1' },
      );
      const generatedSecond = await secretOf(generated.id);
      expect(generatedSecond).not.toBe(generatedFirst);
      // A secret refused as malformed is not echoed in the 422 either.
      const typo = `${newSecret()}!`;
      expect(
        (await admin('POST', `/api/v1/app/${app.id}/endpoint`, { url: receiver.url('/ok'), secret: typo }))
          .status,
      ).toBe(422);

      const access = await admin(
        'POST',
        `/api/v1/auth/app-portal-access/${app.id}`,
        {},
        { 'idempotency-key': 'portal-1' },
      );
      const portalToken = access.body.token as string;
      const portal = as(portalToken);

      for (let i = 0; i < 3; i++)
        await admin('POST', `/api/v1/app/${app.id}/msg`, { eventType: 'leak.test', payload: { i } });
      // A portal token may not publish (403, as in Svix): the fourth message is the operator's too.
      expect(
        (
          await portal('POST', `/api/v1/app/${app.id}/msg`, {
            eventType: 'leak.test',
            payload: { by: 'portal' },
          })
        ).status,
      ).toBe(403);
      await admin('POST', `/api/v1/app/${app.id}/msg`, {
        eventType: 'leak.test',
        payload: { by: 'operator' },
      });
      await eventually(async () => {
        const rows = await herald.ctx.store.db
          .selectFrom('delivery')
          .select('due_at')
          .where('app_id', '=', app.id)
          .execute();
        return rows.length === 12 && rows.every((r) => r.due_at === null);
      }, 20_000);

      // Read everything back, as the operator and as the customer.
      for (const call of [admin, portal]) {
        await call('GET', '/api/v1/app');
        await call('GET', `/api/v1/app/${app.id}`);
        await call('GET', `/api/v1/app/${app.id}/endpoint`);
        await call('GET', `/api/v1/app/${app.id}/msg?with_content=true`);
        await call('GET', `/api/v1/app/${app.id}/events?settle_ms=0`);
        await call('GET', '/api/v1/background-task');
        await call('GET', '/api/v1/openapi.json');
        for (const endpoint of [withGiven, generated, unreachable]) {
          await call('GET', `/api/v1/app/${app.id}/endpoint/${endpoint.id}`);
          await call('GET', `/api/v1/app/${app.id}/endpoint/${endpoint.id}/headers`);
          await call('GET', `/api/v1/app/${app.id}/endpoint/${endpoint.id}/stats`);
          await call('GET', `/api/v1/app/${app.id}/endpoint/${endpoint.id}/msg?with_content=true`);
          const attempts = await call(
            'GET',
            `/api/v1/app/${app.id}/attempt/endpoint/${endpoint.id}?with_content=true`,
          );
          for (const attempt of attempts.body.data ?? []) {
            await call('GET', `/api/v1/app/${app.id}/msg/${attempt.msgId}/attempt/${attempt.id}`);
            await call('GET', `/api/v1/app/${app.id}/attempt/msg/${attempt.msgId}?with_content=true`);
            await call('GET', `/api/v1/app/${app.id}/msg/${attempt.msgId}/endpoint`);
          }
        }
      }
      // Replays answer from the stored (encrypted) copy.
      const replayed = await admin(
        'POST',
        `/api/v1/auth/app-portal-access/${app.id}`,
        {},
        { 'idempotency-key': 'portal-1' },
      );
      expect(replayed.body.token).toBe(portalToken);
      await portal('POST', '/api/v1/auth/logout');
      expect((await portal('GET', `/api/v1/app/${app.id}`)).status).toBe(401);

      const secrets: Record<string, string> = {
        'given endpoint secret': given,
        'rotated-to endpoint secret': rotatedTo,
        'first generated secret': generatedFirst,
        'second generated secret': generatedSecond,
        'secret of the unreachable endpoint': unreachableSecret,
        'malformed secret': typo,
        'admin token': TEST_ADMIN_TOKEN,
        'portal token': portalToken,
      };
      const leaks: string[] = [];

      // Every answer but the ones meant to carry a secret.
      for (const { call, answer } of answers) {
        if (ALLOWED.some((pattern) => pattern.test(call))) continue;
        for (const [name, secret] of Object.entries(secrets))
          if (formsOf(secret).text.some((form) => answer.text.includes(form)))
            leaks.push(`${name} in the answer to ${call}`);
      }
      // The logs.
      const logs = herald.logs.join('');
      expect(logs.length).toBeGreaterThan(0);
      for (const [name, secret] of Object.entries(secrets))
        if (formsOf(secret).text.some((form) => logs.includes(form))) leaks.push(`${name} in the logs`);
      // What receivers saw: signatures, never the keys.
      const delivered = JSON.stringify(receiver.requests.map((r) => r.headers));
      for (const [name, secret] of Object.entries(secrets))
        if (formsOf(secret).text.some((form) => delivered.includes(form)))
          leaks.push(`${name} in a delivered request`);
      // Every row of every table.
      const { db } = herald.ctx.store;
      const tables = await db.introspection.getTables();
      expect(tables.map((t) => t.name)).toEqual(
        expect.arrayContaining(['endpoint', 'attempt', 'token', 'idempotency']),
      );
      for (const table of tables) {
        const rows = JSON.stringify(
          await db
            .selectFrom(table.name as keyof Database)
            .selectAll()
            .execute(),
        );
        for (const [name, secret] of Object.entries(secrets))
          if (formsOf(secret).text.some((form) => rows.includes(form)))
            leaks.push(`${name} in table ${table.name}`);
      }
      // On SQLite, the files themselves: free pages and the WAL keep what rows no longer show.
      if (backend === 'sqlite') {
        const file = herald.db.url.replace(/^sqlite:/, '');
        const files = [file, `${file}-wal`, `${file}-shm`].filter((f) => existsSync(f));
        expect(files.length).toBeGreaterThan(0);
        for (const path of files) {
          const bytes = readFileSync(path);
          for (const [name, secret] of Object.entries(secrets))
            if (formsOf(secret).bytes.some((form) => bytes.includes(form)))
              leaks.push(`${name} in ${path.split('/').pop()}`);
        }
      }
      expect(leaks).toEqual([]);

      // And the secrets were really used: deliveries verify with the rotated-to key, attempts were
      // recorded, some of them failures.
      const okRequests = receiver.requests.filter((r) => r.path === '/ok');
      expect(okRequests.length).toBe(4);
      for (const request of okRequests)
        expect(() => new Webhook(rotatedTo).verify(request.body, request.headers)).not.toThrow();
      const attempts = await db
        .selectFrom('attempt')
        .select(['response_status_code', 'error_class'])
        .where('app_id', '=', app.id)
        .execute();
      expect(attempts.some((a) => a.response_status_code === 200)).toBe(true);
      expect(attempts.some((a) => a.response_status_code === 500)).toBe(true);
      expect(attempts.some((a) => a.error_class !== null && a.response_status_code !== 500)).toBe(true);
    });
  });
}
