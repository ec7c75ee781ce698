import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApi, portalToken } from '../conformance/api-client.js';
import { BACKENDS } from '../support/backends.js';
import { startTestHerald, TEST_ADMIN_TOKEN, type TestHerald } from '../support/herald.js';

/** The clock is frozen and moved by hand, so bucket refills never depend on how fast the machine is. */
function frozenClock() {
  let now = Date.UTC(2030, 0, 1);
  return {
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
  };
}

const RATE = 5;

for (const backend of BACKENDS) {
  describe(`${backend}: a token flooding the API is throttled`, () => {
    let herald: TestHerald;
    const clock = frozenClock();
    // The event catalog: a read every token may make (listing applications is the operator's, 403 to a portal token).
    const get = (token: string, path = '/api/v1/event-type') => callApi(herald.url, token, 'GET', path);
    /** Spends a token's whole bucket, so the next request is over the rate. */
    const exhaust = async (token: string) => {
      for (let i = 0; i < RATE; i++) expect((await get(token)).status).toBe(200);
    };

    beforeAll(async () => {
      herald = await startTestHerald(backend, {
        worker: false,
        now: clock.now,
        config: { HERALD_API_RATE_LIMIT: String(RATE) },
      });
      await herald.api('POST', '/api/v1/app', { name: 'A', uid: 'flood-a' });
      await herald.api('POST', '/api/v1/app', { name: 'B', uid: 'flood-b' });
    });
    afterAll(async () => {
      await herald?.stop();
    });

    it('answers 429 rate_limited with Retry-After once a portal token exceeds its rate', async () => {
      const token = await portalToken(herald, 'flood-a');
      await exhaust(token);
      const refused = await get(token);
      expect(refused.status).toBe(429);
      expect(refused.body.code).toBe('rate_limited');
      expect(typeof refused.body.detail).toBe('string');
      expect(refused.headers.get('retry-after')).toBe('1');
    });

    it('refuses writes too, and creates nothing while refusing', async () => {
      const token = await portalToken(herald, 'flood-a');
      await exhaust(token);
      const answer = await callApi(herald.url, token, 'POST', '/api/v1/app/flood-a/endpoint', {
        url: 'https://example.com/flood',
      });
      expect(answer.status).toBe(429);
      const endpoints = await herald.ctx.store.db
        .selectFrom('endpoint')
        .select('id')
        .where('url', '=', 'https://example.com/flood')
        .execute();
      expect(endpoints).toHaveLength(0);
    });

    it('lets the token through again once Retry-After has passed', async () => {
      const token = await portalToken(herald, 'flood-a');
      await exhaust(token);
      expect((await get(token)).status).toBe(429);
      clock.advance(1_000);
      const statuses: number[] = [];
      for (let i = 0; i < RATE + 1; i++) statuses.push((await get(token)).status);
      expect(statuses).toEqual([...Array(RATE).fill(200), 429]);
    });

    it('keeps one bucket per token: other tokens, of the same tenant or another, are not slowed', async () => {
      const flooding = await portalToken(herald, 'flood-a');
      const sameTenant = await portalToken(herald, 'flood-a');
      const otherTenant = await portalToken(herald, 'flood-b');
      await exhaust(flooding);
      expect((await get(flooding)).status).toBe(429);
      await exhaust(sameTenant);
      await exhaust(otherTenant);
    });

    it('does not limit admin tokens unless HERALD_API_RATE_LIMIT_ADMIN is set', async () => {
      const statuses = await Promise.all(Array.from({ length: RATE * 4 }, () => get(TEST_ADMIN_TOKEN)));
      expect(statuses.every((s) => s.status === 200)).toBe(true);
    });

    it('refuses an invalid token with 401 before it can spend a bucket', async () => {
      const answers = await Promise.all(
        Array.from({ length: RATE * 2 }, () => get('appsk_not_a_real_token')),
      );
      expect(answers.map((a) => a.status)).toEqual(Array(RATE * 2).fill(401));
    });
  });

  describe(`${backend}: an admin token flooding the API is throttled when HERALD_API_RATE_LIMIT_ADMIN is set`, () => {
    let herald: TestHerald;
    const clock = frozenClock();

    beforeAll(async () => {
      herald = await startTestHerald(backend, {
        worker: false,
        now: clock.now,
        config: { HERALD_API_RATE_LIMIT: String(RATE), HERALD_API_RATE_LIMIT_ADMIN: 'true' },
      });
    });
    afterAll(async () => {
      await herald?.stop();
    });

    it('answers 429 to the admin token beyond the rate and recovers after Retry-After', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < RATE + 2; i++) statuses.push((await herald.api('GET', '/api/v1/app')).status);
      expect(statuses).toEqual([...Array(RATE).fill(200), 429, 429]);
      clock.advance(1_000);
      expect((await herald.api('GET', '/api/v1/app')).status).toBe(200);
    });

    it('never limits the unauthenticated health probe', async () => {
      const answers = await Promise.all(
        Array.from({ length: RATE * 3 }, () => callApi(herald.url, null, 'GET', '/api/v1/health')),
      );
      expect(answers.every((a) => a.status === 204)).toBe(true);
    });
  });
}
