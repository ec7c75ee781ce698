import { beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/backends.js';
import { TEST_ADMIN_TOKEN } from '../support/herald.js';
import { heraldWithReceiver } from '../support/scenario.js';

for (const backend of BACKENDS) {
  describe(`${backend}: a payload that cannot be stored exactly as sent`, () => {
    const scenario = heraldWithReceiver(backend, { worker: false });
    beforeAll(async () => {
      await scenario.herald.api('POST', '/api/v1/app', { name: 'exact', uid: 'exact' });
    });

    const publishRaw = (body: Buffer | string, path = '/api/v1/app/exact/msg') =>
      fetch(`${scenario.herald.url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body,
      });

    const stored = async () =>
      Number(
        (
          await scenario.herald.ctx.store.db
            .selectFrom('message')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );

    it('refuses a body with invalid UTF-8 with a 422 that says so, and stores nothing', async () => {
      const body = Buffer.concat([
        Buffer.from('{"eventType":"user.created","payload":{"name":"\uFFFD'),
        Buffer.from([0xc3, 0x28, 0xff]),
        Buffer.from('"}}'),
      ]);
      const res = await publishRaw(body);
      expect(res.status).toBe(422);
      const answer = (await res.json()) as { detail: { loc: string[]; msg: string; type: string }[] };
      expect(answer.detail[0]).toMatchObject({ loc: ['body'], type: 'value_error' });
      // The byte offset of the first bad byte, past a U+FFFD that was sent as such.
      expect(answer.detail[0]?.msg).toMatch(/not valid UTF-8 \(at byte 50\)/);
      expect(await stored()).toBe(0);
      // Valid multi-byte UTF-8 split anywhere is still accepted.
      const ok = await publishRaw(
        JSON.stringify({ eventType: 'user.created', payload: { name: 'Zoë 🦊 ✓' } }),
      );
      expect(ok.status).toBe(202);
      expect(await stored()).toBe(1);
    });

    it('refuses a batch whose body is not valid UTF-8 as a whole, and stores none of it', async () => {
      const body = Buffer.concat([
        Buffer.from('{"messages":[{"eventType":"user.created","payload":{"n":1}},'),
        Buffer.from('{"eventType":"user.created","payload":{"name":"'),
        Buffer.from([0xff]),
        Buffer.from('"}}]}'),
      ]);
      const before = await stored();
      const res = await publishRaw(body, '/api/v1/app/exact/msg/batch');
      expect(res.status).toBe(422);
      const answer = (await res.json()) as { detail: { loc: string[]; msg: string }[] };
      expect(answer.detail[0]?.loc).toEqual(['body']);
      expect(answer.detail[0]?.msg).toMatch(/not valid UTF-8 \(at byte 107\)/);
      expect(await stored()).toBe(before);
    });

    it('refuses a number too large to store exactly with a 422 naming it', async () => {
      const res = await publishRaw('{"eventType":"user.created","payload":{"items":[{"amount":1e999999}]}}');
      expect(res.status).toBe(422);
      const answer = (await res.json()) as { detail: { loc: string[]; msg: string }[] };
      expect(answer.detail[0]?.loc).toEqual(['body', 'payload', 'items', '0', 'amount']);
      expect(answer.detail[0]?.msg).toMatch(/too large to store exactly/);
    });
  });
}
