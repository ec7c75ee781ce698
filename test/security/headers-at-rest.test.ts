import { afterEach, describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/backends.js';
import { heraldWithReceiver } from '../support/scenario.js';

/**
 * Custom headers often carry credentials, so the `endpoint.headers` column holds them encrypted
 * with the main key; rows an earlier version wrote in plaintext JSON keep working and are
 * encrypted by their next write.
 */

const TOKEN = 'sk_live_TOPSECRET';
const HEADERS = { Authorization: `Bearer ${TOKEN}`, 'X-Team': 'billing' };

for (const backend of BACKENDS) {
  describe(`${backend}: endpoint custom headers are encrypted at rest`, () => {
    const scenario = heraldWithReceiver(backend);
    let n = 0;
    afterEach(() => scenario.receiver.reset());

    /** A new application with one endpoint at a path of its own. */
    async function endpoint(extra: Record<string, unknown> = {}) {
      const { herald, receiver } = scenario;
      const app = `hdr${++n}`;
      await herald.api('POST', '/api/v1/app', { name: app, uid: app });
      const res = await herald.api('POST', `/api/v1/app/${app}/endpoint`, {
        url: receiver.url(`/${app}`),
        ...extra,
      });
      expect(res.status).toBe(201);
      return { app, id: res.body.id as string, base: `/api/v1/app/${app}/endpoint/${res.body.id}` };
    }
    const rawHeaders = async (id: string) =>
      (
        await scenario.herald.ctx.store.db
          .selectFrom('endpoint')
          .select('headers')
          .where('id', '=', id)
          .executeTakeFirstOrThrow()
      ).headers;
    /** Publishes one message and answers the request the receiver got for it. */
    async function deliverOne(app: string) {
      const { herald, receiver } = scenario;
      receiver.reset();
      const res = await herald.api('POST', `/api/v1/app/${app}/msg`, { eventType: 'a.b', payload: { n } });
      expect(res.status).toBe(202);
      const [req] = await receiver.waitForRequests(1);
      return req!;
    }

    it('stores the header values encrypted and still sends and shows them', async () => {
      const { herald } = scenario;
      const ep = await endpoint({ headers: HEADERS });

      const raw = await rawHeaders(ep.id);
      expect(raw).not.toContain(TOKEN);
      expect(raw).not.toContain('billing');
      expect(raw).toMatch(/^hk1:/);
      expect(JSON.parse(herald.ctx.keyring.decrypt(raw))).toEqual(HEADERS);

      const req = await deliverOne(ep.app);
      expect(req.headers.authorization).toBe(`Bearer ${TOKEN}`);
      expect(req.headers['x-team']).toBe('billing');
      expect(req.headers['webhook-signature']).toMatch(/^v1,/);

      const shown = await herald.api('GET', `${ep.base}/headers`);
      expect(shown.status).toBe(200);
      expect(shown.body).toEqual({ headers: { 'X-Team': 'billing' }, sensitive: ['Authorization'] });
    });

    it('keeps PATCH and PUT of the headers working, and their result encrypted', async () => {
      const { herald } = scenario;
      const ep = await endpoint({ headers: HEADERS });

      const patched = await herald.api('PATCH', `${ep.base}/headers`, {
        headers: { 'X-Team': 'payments', 'X-Api-Key': 'key_PATCHED_SECRET' },
      });
      expect(patched.status).toBe(204);
      let raw = await rawHeaders(ep.id);
      for (const value of [TOKEN, 'payments', 'key_PATCHED_SECRET']) expect(raw).not.toContain(value);
      expect((await herald.api('GET', `${ep.base}/headers`)).body).toEqual({
        headers: { 'X-Team': 'payments' },
        sensitive: ['Authorization', 'X-Api-Key'],
      });
      let req = await deliverOne(ep.app);
      expect(req.headers.authorization).toBe(`Bearer ${TOKEN}`);
      expect(req.headers['x-api-key']).toBe('key_PATCHED_SECRET');
      expect(req.headers['x-team']).toBe('payments');

      const put = await herald.api('PUT', `${ep.base}/headers`, {
        headers: { Authorization: 'Bearer sk_live_REPLACED' },
      });
      expect(put.status).toBe(204);
      raw = await rawHeaders(ep.id);
      expect(raw).not.toContain('sk_live_REPLACED');
      expect((await herald.api('GET', `${ep.base}/headers`)).body).toEqual({
        headers: {},
        sensitive: ['Authorization'],
      });
      req = await deliverOne(ep.app);
      expect(req.headers.authorization).toBe('Bearer sk_live_REPLACED');
      expect(req.headers['x-team']).toBeUndefined();
      expect(req.headers['x-api-key']).toBeUndefined();
    });

    it('reads headers an earlier version stored in plaintext, and encrypts them on the next headers write', async () => {
      const { herald } = scenario;
      const ep = await endpoint();
      await herald.ctx.store.db
        .updateTable('endpoint')
        .set({ headers: JSON.stringify(HEADERS), updated_at: herald.ctx.now() })
        .where('id', '=', ep.id)
        .execute();

      let req = await deliverOne(ep.app);
      expect(req.headers.authorization).toBe(`Bearer ${TOKEN}`);
      expect(req.headers['x-team']).toBe('billing');
      expect((await herald.api('GET', `${ep.base}/headers`)).body).toEqual({
        headers: { 'X-Team': 'billing' },
        sensitive: ['Authorization'],
      });

      expect(
        (await herald.api('PATCH', `${ep.base}/headers`, { headers: { 'X-Region': 'eu' } })).status,
      ).toBe(204);
      const raw = await rawHeaders(ep.id);
      expect(raw).not.toContain(TOKEN);
      expect(raw).not.toContain('billing');
      expect(JSON.parse(herald.ctx.keyring.decrypt(raw))).toEqual({ ...HEADERS, 'X-Region': 'eu' });
      req = await deliverOne(ep.app);
      expect(req.headers.authorization).toBe(`Bearer ${TOKEN}`);
      expect(req.headers['x-region']).toBe('eu');
    });

    it('encrypts plaintext headers when the endpoint itself is updated, keeping their values', async () => {
      const { herald } = scenario;
      const ep = await endpoint();
      await herald.ctx.store.db
        .updateTable('endpoint')
        .set({ headers: JSON.stringify(HEADERS) })
        .where('id', '=', ep.id)
        .execute();

      expect((await herald.api('PATCH', ep.base, { description: 'renamed' })).status).toBe(200);
      const raw = await rawHeaders(ep.id);
      expect(raw).not.toContain(TOKEN);
      expect(JSON.parse(herald.ctx.keyring.decrypt(raw))).toEqual(HEADERS);
      const req = await deliverOne(ep.app);
      expect(req.headers.authorization).toBe(`Bearer ${TOKEN}`);
    });
  });
}
