import { describe, expect, it } from 'vitest';
import { BACKENDS } from '../../support/backends.js';
import { svixServer } from './harness.js';

/**
 * Svix's idempotency behaviour (e2e_application `test_idempotency`, with Svix's cache on): the
 * key names the operation, so a retry gets the first answer whatever it sends. The deeper
 * behaviour (concurrent duplicates, other processes, 5xx, expiry) is in ../idempotency.test.ts.
 */
for (const backend of BACKENDS) {
  describe(`${backend}: Svix idempotency`, () => {
    const svix = svixServer(backend, { worker: false });

    // test_idempotency
    it('answers a reused key with the first response, even for another body, and creates one application', async () => {
      const headers = { 'idempotency-key': '1' };
      const app1 = await svix.api('POST', '/api/v1/app/', { name: 'Some unique name' }, headers);
      const app2 = await svix.api('POST', '/api/v1/app/', { name: 'Some less unique name' }, headers);
      expect([app1.status, app2.status]).toEqual([201, 201]);
      expect(app2.body).toEqual(app1.body);
      const names = (await svix.api('GET', '/api/v1/app/?limit=250')).body.data.map(
        (a: { name: string }) => a.name,
      );
      expect(names).not.toContain('Some less unique name');
    });

    // test_idempotency, with the path spelled both ways: one operation, one key
    it('treats /api/v1/app/ and /api/v1/app as the same operation for a key', async () => {
      const headers = { 'idempotency-key': 'slash' };
      const first = await svix.api('POST', '/api/v1/app/', { name: 'slash' }, headers);
      const second = await svix.api('POST', '/api/v1/app', { name: 'slash' }, headers);
      expect(second.body).toEqual(first.body);
      expect(second.headers.get('idempotent-replayed')).toBe('true');
    });

    // test_message_conflict's sibling: the same key on message create replays the 202
    it('replays a message create, so a retried publish creates one message', async () => {
      const app = await svix.createApp('idem');
      const headers = { 'idempotency-key': 'msg-1' };
      const body = { eventType: 'event.type', payload: { n: 1 } };
      const first = await svix.api('POST', `/api/v1/app/${app.id}/msg/`, body, headers);
      const second = await svix.api(
        'POST',
        `/api/v1/app/${app.id}/msg/`,
        { ...body, payload: { n: 2 } },
        headers,
      );
      expect([first.status, second.status]).toEqual([202, 202]);
      expect(second.body.id).toBe(first.body.id);
      expect((await svix.api('GET', `/api/v1/app/${app.id}/msg/`)).body.data).toHaveLength(1);
    });
  });
}
