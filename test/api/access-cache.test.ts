import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOOKUP_TTL_MS } from '../../src/core/expiring-cache.js';
import { callApi, isSvixErrorBody, portalToken } from '../conformance/api-client.js';
import { BACKENDS } from '../support/backends.js';
import { eventually, startSecondApiProcess, startTestHerald, type TestHerald } from '../support/herald.js';

/**
 * Publishing finds its token and its application in a per-process cache. These are the
 * promises that cache keeps: a change made in the same process is seen at once, one made by
 * another API process within a second, and a race with a delete is a 404, never a 500.
 */
for (const backend of BACKENDS) {
  describe(`${backend}: the token and application a publish reads`, () => {
    let herald: TestHerald;
    let second: TestHerald;
    const message = { eventType: 'user.created', payload: { n: 1 } };

    beforeAll(async () => {
      herald = await startTestHerald(backend, { worker: false });
      second = await startSecondApiProcess(herald);
    });
    afterAll(async () => {
      await second?.stop();
      await herald?.stop();
    });

    it('a publish to an application another API process just deleted answers 404, not 500', async () => {
      const app = await herald.api('POST', '/api/v1/app', { name: 'deleted-elsewhere', uid: 'gone-soon' });
      expect((await herald.api('POST', '/api/v1/app/gone-soon/msg', message)).status).toBe(202);
      expect((await second.api('DELETE', `/api/v1/app/${app.body.id}`)).status).toBe(204);
      // At once, while the first process may still hold the application it found a moment ago.
      const answer = await herald.api('POST', '/api/v1/app/gone-soon/msg', message);
      expect(answer.status).toBe(404);
      expect(answer.body).toEqual({ code: 'not_found', detail: 'Application not found.' });
      const messages = await herald.ctx.store.db
        .selectFrom('message')
        .select('id')
        .where('app_id', '=', app.body.id)
        .execute();
      expect(messages).toEqual([]);
    });

    it("an application's new uid is the one publishing knows at once in the process that changed it", async () => {
      await herald.api('POST', '/api/v1/app', { name: 'renamed', uid: 'old-name' });
      expect((await herald.api('POST', '/api/v1/app/old-name/msg', message)).status).toBe(202);
      expect((await herald.api('PATCH', '/api/v1/app/old-name', { uid: 'new-name' })).status).toBe(200);
      expect((await herald.api('POST', '/api/v1/app/old-name/msg', message)).status).toBe(404);
      expect((await herald.api('POST', '/api/v1/app/new-name/msg', message)).status).toBe(202);
    });

    it('an application created by another API process is published to at once', async () => {
      expect((await herald.api('POST', '/api/v1/app/made-elsewhere/msg', message)).status).toBe(404);
      await second.api('POST', '/api/v1/app', { name: 'made elsewhere', uid: 'made-elsewhere' });
      expect((await herald.api('POST', '/api/v1/app/made-elsewhere/msg', message)).status).toBe(202);
    });

    it("a portal token logged out through another API process is refused once the first process's cached token expires", async () => {
      const app = await herald.api('POST', '/api/v1/app', { name: 'portal-elsewhere' });
      const token = await portalToken(herald, app.body.id);
      const read = () => callApi(herald.url, token, 'GET', `/api/v1/app/${app.body.id}/endpoint`);
      expect((await read()).status).toBe(200);
      expect((await callApi(second.url, token, 'POST', '/api/v1/auth/logout')).status).toBe(204);
      // The cache trusts what it found for LOOKUP_TTL_MS; a second more allows for a loaded machine.
      const refused = await eventually(async () => {
        const answer = await read();
        return answer.status === 401 ? answer : null;
      }, LOOKUP_TTL_MS + 1_000);
      expect(isSvixErrorBody(401, refused.body)).toBe(true);
    });
  });
}
