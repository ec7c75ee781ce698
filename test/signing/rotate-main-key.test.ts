import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { reencryptAll } from '../../src/cli/commands/secrets.js';
import { generateMainSecret, MainKeyring } from '../../src/signing/main-key.js';
import { BACKENDS } from '../support/backends.js';
import { startTestHerald, TEST_MAIN_SECRET } from '../support/herald.js';
import { heraldWithReceiver } from '../support/scenario.js';

for (const backend of BACKENDS) {
  describe(`${backend}: rotating the main key`, () => {
    const scenario = heraldWithReceiver(backend, { worker: false });
    const next = generateMainSecret();

    it('re-encrypts every endpoint secret under the new key while the old one still decrypts', async () => {
      const { herald: before, receiver } = scenario;
      await before.api('POST', '/api/v1/app', { name: 'r', uid: 'r' });
      const secrets: string[] = [];
      for (let i = 0; i < 3; i++) {
        const ep = await before.api('POST', '/api/v1/app/r/endpoint', { url: receiver.url(`/${i}`) });
        secrets.push((await before.api('GET', `/api/v1/app/r/endpoint/${ep.body.id}/secret`)).body.key);
      }
      // Processes restarted with the new key current and the old one previous keep working meanwhile.
      const rotating = { ...before.ctx, keyring: MainKeyring.fromSecrets(next, [TEST_MAIN_SECRET]) };
      expect(await reencryptAll(rotating)).toBe(3);
      expect(await reencryptAll(rotating)).toBe(0);

      const rows = await before.ctx.store.db.selectFrom('endpoint').select('secrets').execute();
      const newOnly = MainKeyring.fromSecrets(next);
      const decrypted = rows.map((r) =>
        newOnly.decrypt((JSON.parse(r.secrets) as { key: string }[])[0]!.key),
      );
      expect(new Set(decrypted)).toEqual(new Set(secrets));
      for (const r of rows) expect(r.secrets).not.toContain(secrets[0]);
    });

    it('delivers signatures the receiver verifies once only the new key is configured', async () => {
      const { herald: before, receiver } = scenario;
      const after = await startTestHerald(backend, {
        database: before.db,
        keepDatabase: true,
        config: { HERALD_MAIN_SECRET: next, HERALD_MAIN_SECRET_PREVIOUS: '' },
      });
      try {
        const eps = (await after.api('GET', '/api/v1/app/r/endpoint')).body.data as { id: string }[];
        const keys = new Map<string, string>();
        for (const ep of eps)
          keys.set(ep.id, (await after.api('GET', `/api/v1/app/r/endpoint/${ep.id}/secret`)).body.key);
        await after.api('POST', '/api/v1/app/r/msg', { eventType: 'a.b', payload: { ok: true } });
        const requests = await receiver.waitForRequests(3);
        const allKeys = [...keys.values()];
        for (const req of requests) {
          const verified = allKeys.some((key) => {
            try {
              new Webhook(key).verify(req.body, req.headers);
              return true;
            } catch {
              return false;
            }
          });
          expect(verified).toBe(true);
        }
      } finally {
        await after.stop();
      }
    });
  });
}
