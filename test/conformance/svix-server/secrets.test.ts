import { randomBytes } from 'node:crypto';
import { Webhook } from 'svix1';
import { describe, expect, it } from 'vitest';
import { BACKENDS } from '../../support/backends.js';
import { svixServer } from './harness.js';

/** Svix's secret cases from `e2e_endpoint.rs`. */

const newSecret = () => `whsec_${randomBytes(24).toString('base64')}`;
/** Svix's test key (`TUdf…` decoded: 60 bytes), a long symmetric secret. */
const LONG_SECRET =
  'whsec_TUdfVE5UMnZlci1TeWxOYXQtX1ZlTW1kLTRtMFdhYmEwanIxdHJvenRCbmlTQ2hFdzBnbHhFbWdFaTJLdzQwSA==';
/** Svix's test ed25519 key pair (private half first) and the public key it answers with. */
const ED25519 =
  'whsk_6Xb/dCcHpPea21PS1N9VY/NZW723CEc77N4rJCubMbfVKIDij2HKpMKkioLlX0dRqSKJp4AJ6p9lMicMFs6Kvg==';
const ED25519_PUBLIC = 'whpk_1SiA4o9hyqTCpIqC5V9HUakiiaeACeqfZTInDBbOir4=';

for (const backend of BACKENDS) {
  describe(`${backend}: Svix e2e_endpoint secrets`, () => {
    const svix = svixServer(backend);
    const secretOf = async (appId: string, epId: string) => {
      const res = await svix.api('GET', `/api/v1/app/${appId}/endpoint/${epId}/secret/`);
      expect(res.status).toBe(200);
      return res.body.key as string;
    };
    const rotate = (appId: string, epId: string, body: unknown) =>
      svix.api('POST', `/api/v1/app/${appId}/endpoint/${epId}/secret/rotate/`, body);

    // test_endpoint_secret_get_and_rotation
    it('rotates to a new secret, and back to a given one', async () => {
      const app = await svix.createApp('v1EndpointSecretRotationTestApp');
      const ep = await svix.createEndpoint(app.id, 'http://v1EndpointSecretRotationTestEp.test');
      const former = await secretOf(app.id, ep.id);
      const rotated = await rotate(app.id, ep.id, { key: null });
      expect([rotated.status, rotated.text]).toEqual([204, '']);
      expect(await secretOf(app.id, ep.id)).not.toBe(former);
      expect((await rotate(app.id, ep.id, { key: former })).status).toBe(204);
      expect(await secretOf(app.id, ep.id)).toBe(former);
    });

    // test_endpoint_rotate_max
    it('refuses an 11th rotation while the 10 previous secrets still sign (400 limit_reached)', async () => {
      const app = await svix.createApp('app1');
      const ep = await svix.createEndpoint(app.id, 'http://www.example.com');
      for (let i = 0; i < 10; i++) expect((await rotate(app.id, ep.id, { key: null })).status).toBe(204);
      const refused = await rotate(app.id, ep.id, { key: null });
      expect(refused.status).toBe(400);
      expect(refused.body.code).toBe('limit_reached');
      // Svix edits the database to expire one old key; here the 10th rotation of a fresh endpoint
      // is given a grace period of 0, so only 9 previous secrets sign and rotating works again.
      const fresh = await svix.createEndpoint(app.id, 'http://www.example.com');
      for (let i = 0; i < 10; i++)
        await rotate(app.id, fresh.id, { key: null, gracePeriodSeconds: i === 9 ? 0 : null });
      const key = newSecret();
      expect((await rotate(app.id, fresh.id, { key })).status).toBe(204);
      expect(await secretOf(app.id, fresh.id)).toBe(key);
    });

    // test_endpoint_rotate_signing_e2e
    it('signs with the current secret and every previous one still in its grace period', async () => {
      const app = await svix.createApp('app1');
      const ep = await svix.createEndpoint(app.id, svix.receiver.url('/rotate-sign'));
      const secret1 = await secretOf(app.id, ep.id);
      await rotate(app.id, ep.id, { key: null });
      const secret2 = await secretOf(app.id, ep.id);
      expect(secret2).not.toBe(secret1);
      const secret3 = newSecret();
      await rotate(app.id, ep.id, { key: secret3 });
      expect(await secretOf(app.id, ep.id)).toBe(secret3);
      await svix.createMessage(app.id, { test: 'data1' });
      const [request] = await svix.requestsTo('/rotate-sign');
      for (const secret of [secret1, secret2, secret3]) {
        expect(() => new Webhook(secret).verify(request?.body ?? '', request?.headers ?? {})).not.toThrow();
      }
    });

    // test_endpoint_rotate_signing_symmetric_and_asymmetric, test_custom_endpoint_secret
    it('accepts custom symmetric (short and long) and ed25519 secrets, answering ed25519 with its whpk_ key', async () => {
      const app = await svix.createApp('app1');
      const secret1 = newSecret();
      const ep1 = await svix.createEndpoint(app.id, 'http://example.com', { secret: secret1 });
      const ep2 = await svix.createEndpoint(app.id, 'http://example.com', { secret: LONG_SECRET });
      const ep3 = await svix.createEndpoint(app.id, 'http://example.com', { secret: LONG_SECRET });
      expect((await rotate(app.id, ep3.id, { key: ED25519 })).status).toBe(204);
      expect(await secretOf(app.id, ep1.id)).toBe(secret1);
      expect(await secretOf(app.id, ep2.id)).toBe(LONG_SECRET);
      expect(await secretOf(app.id, ep3.id)).toBe(ED25519_PUBLIC);

      const ep = await svix.createEndpoint(app.id, svix.receiver.url('/mixed'), { secret: secret1 });
      expect((await rotate(app.id, ep.id, { key: ED25519 })).status).toBe(204);
      expect((await rotate(app.id, ep.id, { key: LONG_SECRET })).status).toBe(204);
      await svix.createMessage(app.id, { test: 'data1' });
      const [request] = await svix.requestsTo('/mixed');
      const signatures = request?.headers['webhook-signature']?.split(' ') ?? [];
      expect(signatures.filter((s) => s.startsWith('v1a,'))).toHaveLength(1);
      for (const secret of [secret1, LONG_SECRET]) {
        expect(() => new Webhook(secret).verify(request?.body ?? '', request?.headers ?? {})).not.toThrow();
      }
    });

    // test_endpoint_secret_config (Herald's HERALD_DEFAULT_SIGNATURE_TYPE) is in its own describe below.

    // test_invalid_endpoint_secret
    it('refuses a secret too short, too long or with the wrong prefix (422)', async () => {
      const app = await svix.createApp('app1');
      for (const secret of [
        'whsec_C2FVsBQIhrscChlQIM+b5sSYspob',
        'whsec_V09IYXZUaFJoSnFobnpJQkpPMXdpdGFNWnJsRzAxdXZCeTVndVpwRmxSSXFsc0oyYzBTRWRUekJhYnlaZ0JSRGNPQ3BGZG1xYjFVVmRGQ3UK',
        'hwsec_C2FVsBQIhrscChlQIM+b5sSYspob7oDazfgh',
      ]) {
        const res = await svix.api('POST', `/api/v1/app/${app.id}/endpoint/`, {
          url: 'http://www.example.com',
          version: 1,
          secret,
        });
        expect(res.status, secret).toBe(422);
      }
    });
  });

  // test_endpoint_secret_config
  describe(`${backend}: Svix e2e_endpoint test_endpoint_secret_config`, () => {
    const svix = svixServer(backend, { worker: false, config: { HERALD_DEFAULT_SIGNATURE_TYPE: 'ed25519' } });

    it('gives new endpoints ed25519 keys when configured, answered as whpk_, also after a rotation', async () => {
      const app = await svix.createApp('app1');
      const ep = await svix.createEndpoint(app.id, 'http://example.com');
      const path = `/api/v1/app/${app.id}/endpoint/${ep.id}/secret/`;
      expect((await svix.api('GET', path)).body.key).toMatch(/^whpk_/);
      expect((await svix.api('POST', `${path}rotate/`, { key: null })).status).toBe(204);
      expect((await svix.api('GET', path)).body.key).toMatch(/^whpk_/);
    });
  });
}
