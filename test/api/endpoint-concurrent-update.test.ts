import { describe, expect, it } from 'vitest';
import { updateEndpoint } from '../../src/domains/endpoint/service.js';
import { readHeaders } from '../../src/signing/endpoint-headers.js';
import { BACKENDS } from '../support/backends.js';
import { heraldWithReceiver } from '../support/scenario.js';

for (const backend of BACKENDS) {
  describe(`${backend}: an endpoint update racing other writes to the same endpoint`, () => {
    const scenario = heraldWithReceiver(backend);

    it('writes only what it changes, keeping a headers write and health counters made meanwhile', async () => {
      const { herald, receiver } = scenario;
      await herald.api('POST', '/api/v1/app', { name: 'race', uid: 'race' });
      const created = await herald.api('POST', '/api/v1/app/race/endpoint', { url: receiver.url('/race') });
      const db = herald.ctx.store.db;
      // What a PATCH read before the other writes landed.
      const stale = await db
        .selectFrom('endpoint')
        .selectAll()
        .where('id', '=', created.body.id)
        .executeTakeFirstOrThrow();

      expect(
        (
          await herald.api('PUT', `/api/v1/app/race/endpoint/${created.body.id}/headers`, {
            headers: { 'X-Team': 'billing' },
          })
        ).status,
      ).toBe(204);
      await db
        .updateTable('endpoint')
        .set({ consecutive_failures: 3, first_failure_at: 1_700_000_000_000 })
        .where('id', '=', created.body.id)
        .execute();

      await updateEndpoint(herald.ctx, stale, { description: 'renamed' });

      const row = await db
        .selectFrom('endpoint')
        .selectAll()
        .where('id', '=', created.body.id)
        .executeTakeFirstOrThrow();
      expect(row.description).toBe('renamed');
      expect(readHeaders(herald.ctx.keyring, row.headers)).toEqual({ 'X-Team': 'billing' });
      expect(row.consecutive_failures).toBe(3);
      expect(Number(row.first_failure_at)).toBe(1_700_000_000_000);
    });
  });
}
