import { describe, expect, it } from 'vitest';
import { reencryptAll } from '../../src/cli/commands/secrets.js';
import { generateMainSecret, MainKeyring } from '../../src/signing/main-key.js';
import { BACKENDS } from '../support/backends.js';
import { startTestHerald, TEST_MAIN_SECRET } from '../support/herald.js';
import { heraldWithReceiver } from '../support/scenario.js';

const ENCRYPTED = { Authorization: 'Bearer sk_live_ENCRYPTED', 'X-Team': 'billing' };
const PLAINTEXT = { 'X-Api-Key': 'key_PLAINTEXT_OLD', 'X-Team': 'legacy' };

for (const backend of BACKENDS) {
  describe(`${backend}: rotating the main key re-encrypts endpoint headers`, () => {
    const scenario = heraldWithReceiver(backend, { worker: false });
    const next = generateMainSecret();

    it('leaves every header map readable with the new key alone, old plaintext rows included', async () => {
      const { herald: before, receiver } = scenario;
      await before.api('POST', '/api/v1/app', { name: 'h', uid: 'h' });
      await before.api('POST', '/api/v1/app/h/endpoint', { url: receiver.url('/enc'), headers: ENCRYPTED });
      const legacy = await before.api('POST', '/api/v1/app/h/endpoint', { url: receiver.url('/plain') });
      // A row as an earlier version wrote it: the header map in plaintext JSON.
      await before.ctx.store.db
        .updateTable('endpoint')
        .set({ headers: JSON.stringify(PLAINTEXT) })
        .where('id', '=', legacy.body.id)
        .execute();

      const rotating = { ...before.ctx, keyring: MainKeyring.fromSecrets(next, [TEST_MAIN_SECRET]) };
      expect(await reencryptAll(rotating)).toBe(2);
      expect(await reencryptAll(rotating)).toBe(0);

      const rows = await before.ctx.store.db.selectFrom('endpoint').select(['url', 'headers']).execute();
      const newOnly = MainKeyring.fromSecrets(next);
      const byPath = new Map(rows.map((r) => [new URL(r.url).pathname, r.headers]));
      expect(JSON.parse(newOnly.decrypt(byPath.get('/enc')!))).toEqual(ENCRYPTED);
      expect(JSON.parse(newOnly.decrypt(byPath.get('/plain')!))).toEqual(PLAINTEXT);
      for (const r of rows) {
        for (const value of ['sk_live_ENCRYPTED', 'key_PLAINTEXT_OLD', 'billing', 'legacy'])
          expect(r.headers).not.toContain(value);
      }
    });

    it('sends and shows the headers once only the new key is configured', async () => {
      const { herald: before, receiver } = scenario;
      const after = await startTestHerald(backend, {
        database: before.db,
        keepDatabase: true,
        config: { HERALD_MAIN_SECRET: next, HERALD_MAIN_SECRET_PREVIOUS: '' },
      });
      try {
        const eps = (await after.api('GET', '/api/v1/app/h/endpoint')).body.data as {
          id: string;
          url: string;
        }[];
        const shown = new Map<string, unknown>();
        for (const ep of eps) {
          const res = await after.api('GET', `/api/v1/app/h/endpoint/${ep.id}/headers`);
          expect(res.status).toBe(200);
          shown.set(new URL(ep.url).pathname, res.body);
        }
        expect(shown.get('/enc')).toEqual({ headers: { 'X-Team': 'billing' }, sensitive: ['Authorization'] });
        expect(shown.get('/plain')).toEqual({ headers: { 'X-Team': 'legacy' }, sensitive: ['X-Api-Key'] });

        await after.api('POST', '/api/v1/app/h/msg', { eventType: 'a.b', payload: { ok: true } });
        const requests = await receiver.waitForRequests(2);
        const byPath = new Map(requests.map((r) => [r.path, r.headers]));
        expect(byPath.get('/enc')).toMatchObject({
          authorization: 'Bearer sk_live_ENCRYPTED',
          'x-team': 'billing',
        });
        expect(byPath.get('/plain')).toMatchObject({ 'x-api-key': 'key_PLAINTEXT_OLD', 'x-team': 'legacy' });
      } finally {
        await after.stop();
      }
    });
  });
}
