import { describe, expect, it } from 'vitest';
import { BACKENDS } from '../../support/backends.js';
import { svixServer } from './harness.js';

/** Svix's `e2e_health.rs`, as plain HTTP calls against Herald. */
for (const backend of BACKENDS) {
  describe(`${backend}: Svix e2e_health`, () => {
    const svix = svixServer(backend, { worker: false });

    // ping_with_trailing_slash
    it('answers GET /api/v1/health/ping/ with 204 and no body', async () => {
      const res = await svix.as(null)('GET', '/api/v1/health/ping/');
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
    });

    // ping_without_trailing_slash
    it('answers GET /api/v1/health/ping with 204 and no body', async () => {
      const res = await svix.as(null)('GET', '/api/v1/health/ping');
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
    });

    // ping_with_trailing_slash, for the documented `v1.health.get` too
    it('answers GET /api/v1/health/ with 204, like /api/v1/health', async () => {
      for (const path of ['/api/v1/health/', '/api/v1/health']) {
        const res = await svix.as(null)('GET', path);
        expect(res.status, path).toBe(204);
      }
    });
  });
}
