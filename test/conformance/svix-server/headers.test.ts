import { describe, expect, it } from 'vitest';
import { BACKENDS } from '../../support/backends.js';
import { svixServer } from './harness.js';

/** Svix's custom-header cases from `e2e_endpoint.rs`, and the bounds issue 16 asked for. */
for (const backend of BACKENDS) {
  describe(`${backend}: Svix e2e_endpoint headers`, () => {
    const svix = svixServer(backend);
    const headersPath = async (url = 'http://www.example.com') => {
      const app = await svix.createApp('app1');
      const ep = await svix.createEndpoint(app.id, url);
      return { app, ep, path: `/api/v1/app/${app.id}/endpoint/${ep.id}/headers/` };
    };

    // test_endpoint_headers_manipulation
    it('sets, replaces and patches headers, hiding sensitive values', async () => {
      const { path } = await headersPath();
      const patched = await svix.api('PATCH', path, { headers: { 'x-test-3': '4', 'x-test-2': null } });
      expect([patched.status, patched.text]).toEqual([204, '']);
      expect((await svix.api('GET', path)).body.headers).toEqual({ 'x-test-3': '4' });

      const second = await headersPath();
      for (const headers of [
        { 'x-test-1': '1', 'x-test-2': '2' },
        { 'x-test-1': '3', 'x-test-2': '2' },
      ]) {
        expect((await svix.api('PUT', second.path, { headers })).status).toBe(204);
        expect((await svix.api('GET', second.path)).body.headers).toEqual(headers);
      }
      await svix.api('PATCH', second.path, { headers: { 'x-test-3': '4', 'x-test-2': null } });
      expect((await svix.api('GET', second.path)).body.headers).toEqual({ 'x-test-1': '3', 'x-test-3': '4' });

      await svix.api('PUT', second.path, { headers: { 'x-test-1': '1', authorization: 'secret' } });
      const read = (await svix.api('GET', second.path)).body;
      expect(read).toEqual({ headers: { 'x-test-1': '1' }, sensitive: ['authorization'] });
    });

    // test_endpoint_headers_manipulation (the forbidden names)
    it('refuses header names HTTP or Svix forbid (422 naming the header)', async () => {
      const { path } = await headersPath();
      for (const name of [
        'content-length',
        'some:thing',
        'some\u0000thing',
        'svix-foo',
        'x-svix-foo',
        'x-amzn-foo',
      ]) {
        const res = await svix.api('PUT', path, { headers: { [name]: '123' } });
        expect(res.status, name).toBe(422);
        expect(res.body.detail[0].loc).toEqual(['body', 'headers', name]);
      }
      // Herald also refuses the headers it sets itself (Svix does not list these).
      for (const name of ['webhook-signature', 'host']) {
        expect((await svix.api('PUT', path, { headers: { [name]: '1' } })).status, name).toBe(422);
      }
      expect((await svix.api('GET', path)).body.headers).toEqual({});
    });

    // Issue 16: values HTTP does not allow, and an unbounded map (Svix bounds values to 4096 bytes only)
    it('refuses a value with CR/LF, an over-long value, and too many or too large headers', async () => {
      const { app, path } = await headersPath();
      const smuggled = await svix.api('PUT', path, { headers: { 'x-ok': 'a\r\nx-injected: 1' } });
      expect(smuggled.status).toBe(422);
      expect(smuggled.body.detail[0].loc).toEqual(['body', 'headers', 'x-ok']);
      expect((await svix.api('PATCH', path, { headers: { 'x-ok': 'a\nb' } })).status).toBe(422);
      expect((await svix.api('PUT', path, { headers: { 'x-long': 'v'.repeat(4097) } })).status).toBe(422);
      const many = Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`x-h-${i}`, '1']));
      const tooMany = await svix.api('PUT', path, { headers: many });
      expect(tooMany.status).toBe(422);
      expect(tooMany.body.detail[0].loc).toEqual(['body', 'headers']);
      const large = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`x-big-${i}`, 'v'.repeat(4000)]));
      expect((await svix.api('PUT', path, { headers: large })).status).toBe(422);
      // The same rules on endpoint creation.
      const created = await svix.api('POST', `/api/v1/app/${app.id}/endpoint/`, {
        url: 'http://www.example.com',
        headers: { 'x-ok': 'a\r\nb' },
      });
      expect(created.status).toBe(422);
      expect((await svix.api('GET', path)).body.headers).toEqual({});
    });

    // test_endpoint_headers_sending
    it('sends the custom headers with each delivery', async () => {
      const { app, path } = await headersPath(svix.receiver.url('/headers'));
      const headers = { 'x-test-1': '1', 'x-test-2': '2' };
      expect((await svix.api('PUT', path, { headers })).status).toBe(204);
      await svix.createMessage(app.id, { test: 'data1' });
      const [request] = await svix.requestsTo('/headers');
      expect(request?.headers).toMatchObject(headers);
    });

    // test_endpoint_header_key_capitalization
    it('keeps the capitalization of header names', async () => {
      const { path } = await headersPath();
      await svix.api('PUT', path, { headers: { 'X-Api-Test': 'test-value' } });
      expect(Object.keys((await svix.api('GET', path)).body.headers)).toEqual(['X-Api-Test']);
    });
  });
}
