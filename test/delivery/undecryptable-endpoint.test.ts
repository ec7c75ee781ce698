import { describe, expect, it } from 'vitest';
import { MainKeyring } from '../../src/signing/main-key.js';
import { BACKENDS } from '../support/backends.js';
import { eventually } from '../support/herald.js';
import { heraldWithReceiver } from '../support/scenario.js';

/** A main key this Herald was not given: what it encrypted cannot be read here. */
const FOREIGN = MainKeyring.fromSecrets(Buffer.alloc(32, 9).toString('base64'));

for (const backend of BACKENDS) {
  describe(`${backend}: an endpoint whose stored secrets cannot be decrypted`, () => {
    const scenario = heraldWithReceiver(backend);

    it('is held back for later while every other endpoint is delivered at once', async () => {
      const { herald, receiver } = scenario;
      await herald.api('POST', '/api/v1/app', { name: 'keys', uid: 'keys' });
      const broken = await herald.api('POST', '/api/v1/app/keys/endpoint', { url: receiver.url('/broken') });
      await herald.api('POST', '/api/v1/app/keys/endpoint', { url: receiver.url('/healthy') });
      // As if written under a main key that was later dropped from HERALD_MAIN_SECRET_PREVIOUS.
      await herald.ctx.store.db
        .updateTable('endpoint')
        .set({ headers: FOREIGN.encrypt('{"X-Team":"billing"}') })
        .where('id', '=', broken.body.id)
        .execute();

      const publishedAt = Date.now();
      for (let i = 0; i < 60; i++) {
        const res = await herald.api('POST', '/api/v1/app/keys/msg', {
          eventType: 'key.test',
          payload: { i },
        });
        expect(res.status).toBe(202);
      }
      await eventually(
        () => receiver.requests.filter((r) => r.path === '/healthy').length === 60 || null,
        10_000,
      );
      expect(receiver.requests.some((r) => r.path === '/broken')).toBe(false);

      const held = await eventually(async () => {
        const rows = await herald.ctx.store.db
          .selectFrom('delivery')
          .select(['status', 'attempt_count', 'due_at', 'lease_owner'])
          .where('endpoint_id', '=', broken.body.id)
          .execute();
        return rows.every((r) => r.lease_owner === null) ? rows : null;
      });
      expect(held).toHaveLength(60);
      for (const row of held) {
        expect(row.attempt_count).toBe(0);
        expect(Number(row.due_at)).toBeGreaterThan(publishedAt + 30_000);
      }
      const attempts = await herald.ctx.store.db
        .selectFrom('attempt')
        .select('id')
        .where('endpoint_id', '=', broken.body.id)
        .execute();
      expect(attempts).toHaveLength(0);
    });
  });
}
