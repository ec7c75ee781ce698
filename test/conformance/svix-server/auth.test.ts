import { describe, expect, it } from 'vitest';
import { fillPath, routeTable } from '../../security/route-table.js';
import { BACKENDS } from '../../support/backends.js';
import { type MessageOut, svixServer } from './harness.js';

/**
 * Every write route of the API, by what a consumer-portal token may do with it on its own
 * application. A route added without being put in one of the two lists fails the walk below.
 */
const OPERATOR_ONLY = [
  'POST /api/v1/app',
  'PUT /api/v1/app/:app_id',
  'PATCH /api/v1/app/:app_id',
  'DELETE /api/v1/app/:app_id',
  'POST /api/v1/auth/app-portal-access/:app_id',
  'POST /api/v1/app/:app_id/msg',
  'POST /api/v1/app/:app_id/msg/batch',
  'DELETE /api/v1/app/:app_id/msg/:msg_id/content',
  'DELETE /api/v1/app/:app_id/msg/:msg_id/attempt/:attempt_id/content',
  'POST /api/v1/event-type',
  'PUT /api/v1/event-type/:event_type_name',
  'PATCH /api/v1/event-type/:event_type_name',
  'DELETE /api/v1/event-type/:event_type_name',
  'POST /api/v1/event-type/export/openapi',
];
/** What the consumer portal's pages use: its endpoints, their secrets and headers, tests and replays, resend. */
const PORTAL_MAY = [
  'POST /api/v1/app/:app_id/endpoint',
  'PUT /api/v1/app/:app_id/endpoint/:endpoint_id',
  'PATCH /api/v1/app/:app_id/endpoint/:endpoint_id',
  'PUT /api/v1/app/:app_id/endpoint/:endpoint_id/headers',
  'PATCH /api/v1/app/:app_id/endpoint/:endpoint_id/headers',
  'POST /api/v1/app/:app_id/endpoint/:endpoint_id/secret/rotate',
  'POST /api/v1/app/:app_id/endpoint/:endpoint_id/send-example',
  'POST /api/v1/app/:app_id/endpoint/:endpoint_id/recover',
  'POST /api/v1/app/:app_id/endpoint/:endpoint_id/replay-missing',
  'POST /api/v1/app/:app_id/endpoint/:endpoint_id/bulk-replay',
  'POST /api/v1/app/:app_id/msg/:msg_id/endpoint/:endpoint_id/resend',
  // Herald's: trying a payload filter on a payload, or on the application's last messages.
  'POST /api/v1/app/:app_id/endpoint/filter/test',
  'POST /api/v1/app/:app_id/endpoint/:endpoint_id/filter/test',
  // Last: it revokes the token itself.
  'DELETE /api/v1/app/:app_id/endpoint/:endpoint_id',
  'POST /api/v1/auth/logout',
];

/**
 * Svix's `e2e_auth.rs`, and the review of every write route for what a consumer-portal token may
 * do. Svix's rule: a portal (application) token reads its own application and manages its
 * endpoints, but may not change the application, list applications, publish, expunge, mint
 * tokens or write the event catalog (403); another tenant's resources stay a 404.
 */
for (const backend of BACKENDS) {
  describe(`${backend}: Svix e2e_auth`, () => {
    const svix = svixServer(backend, { worker: false });

    // test_restricted_application_access
    it("refuses a portal token every application write and the list (403), and another tenant's app (404)", async () => {
      const app = await svix.createApp('TEST_APP_NAME');
      const other = await svix.createApp('TEST_APP_NAME_2');
      const portal = svix.as(await svix.portalToken(app.id));

      expect((await portal('POST', '/api/v1/app/', { name: 'TEST_APP_NAME' })).status).toBe(403);
      expect((await portal('PUT', `/api/v1/app/${app.id}/`, { name: 'TEST_APP_NAME' })).status).toBe(403);
      expect((await portal('PATCH', `/api/v1/app/${app.id}/`, { name: 'patched' })).status).toBe(403);
      expect((await portal('DELETE', `/api/v1/app/${app.id}/`)).status).toBe(403);
      expect((await portal('GET', '/api/v1/app/')).status).toBe(403);

      expect((await portal('GET', `/api/v1/app/${other.id}/`)).status).toBe(404);
      const own = await portal('GET', `/api/v1/app/${app.id}/`);
      expect(own.status).toBe(200);
      // Nothing the refused calls sent took effect.
      expect(own.body.name).toBe('TEST_APP_NAME');
      // Another tenant's application is a 404 on the write routes too, never a 403 (no existence oracle).
      expect((await portal('PUT', `/api/v1/app/${other.id}/`, { name: 'x' })).status).toBe(404);
      expect((await portal('DELETE', `/api/v1/app/${other.id}/`)).status).toBe(404);
    });

    // test_restricted_application_access, for every other write a portal token may not make
    it('refuses a portal token publishing, expunging, minting tokens and writing the catalog (403)', async () => {
      const app = await svix.createApp('app');
      const endpoint = await svix.createEndpoint(app.id, 'https://example.com/hook');
      const msg = await svix.createMessage(app.id, { n: 1 });
      const portal = svix.as(await svix.portalToken(app.id));

      const refused: [string, string, unknown][] = [
        ['POST', `/api/v1/app/${app.id}/msg/`, { eventType: 'event.type', payload: {} }],
        ['DELETE', `/api/v1/app/${app.id}/msg/${msg.id}/content/`, undefined],
        ['POST', `/api/v1/auth/app-portal-access/${app.id}/`, {}],
        ['POST', '/api/v1/event-type/', { name: 'portal.made', description: 'x' }],
        ['PUT', '/api/v1/event-type/portal.made/', { description: 'x' }],
        ['PATCH', '/api/v1/event-type/event.type/', { description: 'x' }],
        ['DELETE', '/api/v1/event-type/event.type/', undefined],
      ];
      for (const [method, path, body] of refused) {
        const res = await portal(method, path, body);
        expect(res.status, `${method} ${path}`).toBe(403);
        expect(res.body.code).toBe('forbidden');
      }
      // What a portal token may do, as at Svix: manage its endpoints.
      const patched = await portal('PATCH', `/api/v1/app/${app.id}/endpoint/${endpoint.id}/`, {
        description: 'mine',
      });
      expect(patched.status).toBe(200);
      const rotated = await portal(
        'POST',
        `/api/v1/app/${app.id}/endpoint/${endpoint.id}/secret/rotate/`,
        {},
      );
      expect(rotated.status).toBe(204);
      expect((await svix.api('GET', `/api/v1/app/${app.id}/msg/`)).body.data).toHaveLength(1);
    });

    // test_restricted_application_access (attempt content is the operator's, like message content)
    it("refuses a portal token expunging an attempt's response (403)", async () => {
      const app = await svix.createApp('app');
      await svix.createEndpoint(app.id, svix.receiver.url('/expunge'));
      const msg = await svix.createMessage(app.id, { n: 1 });
      svix.herald.startWorker();
      const [attempt] = await svix.attemptsOf(app.id, msg.id, 1);
      const portal = svix.as(await svix.portalToken(app.id));
      const res = await portal(
        'DELETE',
        `/api/v1/app/${app.id}/msg/${msg.id}/attempt/${attempt?.id}/content/`,
      );
      expect(res.status).toBe(403);
    });

    // test_restricted_application_access, over Herald's whole route table: each write route
    // either refuses a portal token on its own application (403) or is one the portal uses.
    it('refuses a portal token every write route of the operator, and only those (403), walking the route table', async () => {
      const since = new Date(Date.now() - 3_600_000).toISOString();
      const app = await svix.createApp('walked');
      const endpoint = await svix.createEndpoint(app.id, svix.receiver.url('/walked'));
      const msg = await svix.createMessage(app.id, { n: 1 });
      svix.herald.startWorker();
      const [attempt] = await svix.attemptsOf(app.id, msg.id, 1);
      const portal = svix.as(await svix.portalToken(app.id));
      const values = {
        app_id: app.id,
        endpoint_id: endpoint.id,
        msg_id: msg.id,
        attempt_id: attempt?.id ?? '',
        event_type_name: 'walked.type',
      };
      // Valid bodies, so that no refusal comes from validation before the token is looked at.
      const bodies: Record<string, unknown> = {
        'POST /api/v1/app': { name: 'by portal' },
        'PUT /api/v1/app/:app_id': { name: 'by portal' },
        'PATCH /api/v1/app/:app_id': { name: 'by portal' },
        'POST /api/v1/auth/app-portal-access/:app_id': {},
        'POST /api/v1/app/:app_id/msg': { eventType: 'event.type', payload: {} },
        'POST /api/v1/app/:app_id/msg/batch': { messages: [{ eventType: 'event.type', payload: {} }] },
        'POST /api/v1/event-type': { name: 'walked.type', description: 'x' },
        'PUT /api/v1/event-type/:event_type_name': { description: 'x' },
        'PATCH /api/v1/event-type/:event_type_name': { description: 'x' },
        'POST /api/v1/app/:app_id/endpoint': { url: svix.receiver.url('/walked-2'), version: 1 },
        'PUT /api/v1/app/:app_id/endpoint/:endpoint_id': { url: svix.receiver.url('/walked'), version: 1 },
        'PATCH /api/v1/app/:app_id/endpoint/:endpoint_id': { description: 'by portal' },
        'PUT /api/v1/app/:app_id/endpoint/:endpoint_id/headers': { headers: { 'X-Walked': '1' } },
        'PATCH /api/v1/app/:app_id/endpoint/:endpoint_id/headers': { headers: { 'X-Walked': '2' } },
        'POST /api/v1/app/:app_id/endpoint/:endpoint_id/secret/rotate': {},
        'POST /api/v1/app/:app_id/endpoint/:endpoint_id/send-example': { eventType: 'svix.ping' },
        'POST /api/v1/app/:app_id/endpoint/:endpoint_id/recover': { since },
        'POST /api/v1/app/:app_id/endpoint/:endpoint_id/replay-missing': { since },
        'POST /api/v1/app/:app_id/endpoint/:endpoint_id/bulk-replay': { since },
        'POST /api/v1/event-type/export/openapi': {},
        'POST /api/v1/app/:app_id/endpoint/filter/test': { filter: { n: 1 }, payload: { n: 1 } },
        'POST /api/v1/app/:app_id/endpoint/:endpoint_id/filter/test': { limit: 10 },
      };

      const writes = routeTable(svix.herald.app)
        .filter((r) => r.path.startsWith('/api/') && ['POST', 'PUT', 'PATCH', 'DELETE'].includes(r.method))
        .map((r) => `${r.method} ${r.path}`);
      expect([...writes].sort()).toEqual([...OPERATOR_ONLY, ...PORTAL_MAY].sort());

      for (const route of [...OPERATOR_ONLY, ...PORTAL_MAY]) {
        const [method = '', template = ''] = route.split(' ');
        const res = await portal(method, `${fillPath(template, values)}/`, bodies[route]);
        if (OPERATOR_ONLY.includes(route)) {
          expect(res.status, route).toBe(403);
          expect(res.body.code, route).toBe('forbidden');
        } else {
          expect(res.status, `${route}: ${res.text}`).toBeGreaterThanOrEqual(200);
          expect(res.status, `${route}: ${res.text}`).toBeLessThan(300);
        }
      }
      // Nothing the refused calls sent took effect.
      expect((await svix.api('GET', `/api/v1/app/${app.id}/`)).body.name).toBe('walked');
      const published = (await svix.api('GET', `/api/v1/app/${app.id}/msg/`)).body.data as MessageOut[];
      // The one message is the operator's; send-example's svix.ping is the portal's own test.
      expect(published.filter((m) => m.eventType !== 'svix.ping').map((m) => m.id)).toEqual([msg.id]);
      expect((await svix.api('GET', '/api/v1/event-type/walked.type/')).status).toBe(404);
    });

    // test_dashboard_access_without_body (Svix's dashboard-access is app-portal-access in its current API)
    it('makes a portal token with no request body', async () => {
      const app = await svix.createApp('TEST_APP_NAME');
      const res = await svix.api('POST', `/api/v1/auth/app-portal-access/${app.id}/`, {});
      expect(res.status).toBe(200);
      expect(res.body.token).toEqual(expect.any(String));
    });

    // test_invalid_auth_error_detail
    it('answers an unknown token with 401 and the detail "Invalid token"', async () => {
      const res = await svix.as('some-nonsense-key')('POST', '/api/v1/app/', { name: 'TEST_APP_NAME' });
      expect(res.status).toBe(401);
      expect(res.body.detail).toBe('Invalid token');
    });

    // test_app_portal_access_with_application
    it('creates the application app-portal-access names from `application`, and only then', async () => {
      const uid = `app-created-in-portal-${Math.random().toString(36).slice(2, 12)}`;
      const path = `/api/v1/auth/app-portal-access/${uid}/`;
      expect((await svix.api('POST', path, { featureFlags: [] })).status).toBe(404);

      const created = await svix.api('POST', path, {
        featureFlags: [],
        application: { name: 'Test App Created With Portal Access', uid },
      });
      expect(created.status).toBe(200);
      const app = await svix.api('GET', `/api/v1/app/${uid}/`);
      expect(app.body).toMatchObject({ uid, name: 'Test App Created With Portal Access' });

      const again = await svix.api('POST', path, {
        featureFlags: [],
        application: { name: 'Updated name will be ignored', uid },
      });
      expect(again.status).toBe(200);
      expect((await svix.api('GET', `/api/v1/app/${uid}/`)).body.name).toBe(
        'Test App Created With Portal Access',
      );

      const mismatch = await svix.api('POST', '/api/v1/auth/app-portal-access/different-uid/', {
        featureFlags: [],
        application: { name: 'Test App', uid },
      });
      expect(mismatch.status).toBe(422);
      expect(mismatch.body.detail[0].loc).toEqual(['body', 'application', 'uid']);

      const withoutUid = await svix.api('POST', '/api/v1/auth/app-portal-access/new-app-uid/', {
        featureFlags: [],
        application: { name: 'Test App Without UID' },
      });
      expect(withoutUid.status).toBe(422);
      expect((await svix.api('GET', '/api/v1/app/new-app-uid/')).status).toBe(404);
    });
  });
}
