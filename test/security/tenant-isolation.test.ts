import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApi, isSvixErrorBody, portalToken } from '../conformance/api-client.js';
import { BACKENDS } from '../support/backends.js';
import { eventually, startTestHerald, type TestHerald } from '../support/herald.js';
import { type Receiver, startReceiver } from '../support/receiver.js';
import { fillPath, type Route, routeTable } from './route-table.js';

/**
 * A consumer-portal token is scoped to one application. Every route that names an application
 * is walked (from Fastify's own route table, so new routes are covered without a list to keep)
 * with a token of application A against application B's real resources: each answers 404, the
 * same as for a resource that does not exist, and B's data is left as it was.
 */

const EVENT_TYPE = 'tenant.test';
const SINCE = new Date(Date.now() - 3_600_000).toISOString();

/** A valid body for each route that takes one, so validation never answers before the tenant check. */
function bodyFor(route: Route, receiver: Receiver): unknown {
  const bodies: Record<string, unknown> = {
    'PUT /api/v1/app/:app_id': { name: 'renamed' },
    'PATCH /api/v1/app/:app_id': { name: 'patched' },
    'POST /api/v1/app/:app_id/endpoint': { url: receiver.url('/created') },
    'PUT /api/v1/app/:app_id/endpoint/:endpoint_id': { url: receiver.url('/replaced') },
    'PATCH /api/v1/app/:app_id/endpoint/:endpoint_id': { description: 'patched' },
    'PUT /api/v1/app/:app_id/endpoint/:endpoint_id/headers': { headers: { 'X-Tenant': '1' } },
    'PATCH /api/v1/app/:app_id/endpoint/:endpoint_id/headers': { headers: { 'X-Tenant': '2' } },
    'POST /api/v1/app/:app_id/endpoint/:endpoint_id/secret/rotate': {},
    'POST /api/v1/app/:app_id/endpoint/:endpoint_id/send-example': { eventType: EVENT_TYPE },
    'POST /api/v1/app/:app_id/endpoint/:endpoint_id/recover': { since: SINCE },
    'POST /api/v1/app/:app_id/endpoint/:endpoint_id/replay-missing': { since: SINCE },
    'POST /api/v1/app/:app_id/endpoint/:endpoint_id/bulk-replay': { since: SINCE },
    'POST /api/v1/app/:app_id/msg': { eventType: EVENT_TYPE, payload: { n: 1 } },
    'POST /api/v1/app/:app_id/msg/batch': { messages: [{ eventType: EVENT_TYPE, payload: { n: 1 } }] },
    'POST /api/v1/auth/app-portal-access/:app_id': {},
    'POST /api/v1/app/:app_id/endpoint/filter/test': { filter: { n: 1 }, payload: { n: 1 } },
    'POST /api/v1/app/:app_id/endpoint/:endpoint_id/filter/test': { filter: { n: 1 }, limit: 10 },
  };
  const key = `${route.method} ${route.path}`;
  if (key in bodies) return bodies[key];
  if (route.method === 'GET' || route.method === 'HEAD' || route.method === 'DELETE') return undefined;
  if (key === 'POST /api/v1/app/:app_id/msg/:msg_id/endpoint/:endpoint_id/resend') return undefined;
  throw new Error(`no body known for ${key}: add one so this route is walked`);
}

/** A type, not an interface: it fills path parameters as a string record. */
type Tenant = {
  app_id: string;
  uid: string;
  endpoint_id: string;
  msg_id: string;
  attempt_id: string;
  task_id: string;
};

/** Every row that belongs to one application, to show a walk changed nothing of it. */
async function snapshot(herald: TestHerald, appId: string) {
  const { db } = herald.ctx.store;
  return {
    application: await db.selectFrom('application').selectAll().where('id', '=', appId).execute(),
    endpoint: await db.selectFrom('endpoint').selectAll().where('app_id', '=', appId).orderBy('id').execute(),
    message: await db.selectFrom('message').selectAll().where('app_id', '=', appId).orderBy('id').execute(),
    delivery: await db.selectFrom('delivery').selectAll().where('app_id', '=', appId).orderBy('id').execute(),
    attempt: await db.selectFrom('attempt').selectAll().where('app_id', '=', appId).orderBy('id').execute(),
    tasks: await db
      .selectFrom('background_task')
      .selectAll()
      .where('app_id', '=', appId)
      .orderBy('id')
      .execute(),
  };
}

/** Sends raw header bytes (fetch refuses control characters) and returns the raw answer. */
function rawGet(url: string, authorization: Buffer): Promise<{ status: number; text: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      socket.write(
        Buffer.concat([
          Buffer.from('GET /api/v1/app HTTP/1.1\r\nHost: herald\r\nConnection: close\r\nAuthorization: '),
          authorization,
          Buffer.from('\r\n\r\n'),
        ]),
      );
    });
    let text = '';
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1');
    });
    socket.on('error', reject);
    socket.on('close', () => resolve({ status: Number(text.split(' ')[1]), text }));
  });
}

const STACK_TRACE = /\n\s+at |node_modules|\.[cm]?[jt]s:\d+|"stack"/;

for (const backend of BACKENDS) {
  describe(`${backend}: a portal token cannot reach another tenant's data`, () => {
    let herald: TestHerald;
    let receiver: Receiver;
    let appRoutes: Route[];

    /** An application with an endpoint, a delivered message (so an attempt) and a background task. */
    async function tenant(name: string): Promise<Tenant> {
      const uid = `${name}-${Math.random().toString(36).slice(2, 8)}`;
      const app = await herald.api('POST', '/api/v1/app', { name, uid });
      const endpoint = await herald.api('POST', `/api/v1/app/${app.body.id}/endpoint`, {
        url: receiver.url(`/${uid}`),
      });
      const msg = await herald.api('POST', `/api/v1/app/${app.body.id}/msg`, {
        eventType: EVENT_TYPE,
        payload: { uid },
      });
      const attempt = await eventually(async () => {
        const rows = await herald.ctx.store.db
          .selectFrom('attempt')
          .selectAll()
          .where('msg_id', '=', msg.body.id)
          .execute();
        return rows[0];
      });
      await eventually(async () => {
        const row = await herald.ctx.store.db
          .selectFrom('delivery')
          .select('due_at')
          .where('msg_id', '=', msg.body.id)
          .executeTakeFirst();
        return row?.due_at === null;
      });
      const task = await herald.api(
        'POST',
        `/api/v1/app/${app.body.id}/endpoint/${endpoint.body.id}/recover`,
        { since: SINCE },
      );
      await eventually(
        async () =>
          (await herald.api('GET', `/api/v1/background-task/${task.body.id}`)).body.status === 'finished',
      );
      return {
        app_id: app.body.id,
        uid,
        endpoint_id: endpoint.body.id,
        msg_id: msg.body.id,
        attempt_id: attempt.id,
        task_id: task.body.id,
      };
    }

    let clockOffset = 0;
    const call = (token: string, route: Route, values: Record<string, string>) =>
      callApi(herald.url, token, route.method, fillPath(route.path, values), bodyFor(route, receiver));

    beforeAll(async () => {
      herald = await startTestHerald(backend, { now: () => Date.now() + clockOffset });
      receiver = await startReceiver();
      await herald.api('POST', '/api/v1/event-type', {
        name: EVENT_TYPE,
        description: 'tenant isolation',
        schemas: { 1: { type: 'object', examples: [{ example: true }] } },
      });
      appRoutes = routeTable(herald.app).filter(
        (r) => r.path.startsWith('/api/') && r.params.includes('app_id'),
      );
    });
    afterAll(async () => {
      await herald?.stop();
      await receiver?.close();
    });

    it('walks a route table that has every application route of the API', () => {
      const keys = appRoutes.map((r) => `${r.method} ${r.path}`);
      expect(keys).toEqual(
        expect.arrayContaining(['GET /api/v1/app/:app_id', 'POST /api/v1/app/:app_id/msg']),
      );
      expect(appRoutes.length).toBeGreaterThan(40);
    });

    it('answers 404 on every route naming another application, by id or uid, and changes none of its data', async () => {
      const a = await tenant('a');
      const b = await tenant('b');
      const token = await portalToken(herald, a.app_id);
      const before = await snapshot(herald, b.app_id);
      const failures: string[] = [];
      for (const appRef of [b.app_id, b.uid]) {
        for (const route of appRoutes) {
          const answer = await call(token, route, { ...b, app_id: appRef });
          if (answer.status === 404 && (route.method === 'HEAD' || isSvixErrorBody(404, answer.body)))
            continue;
          // A route that refuses portal tokens outright says nothing about B: it must refuse A's own the same way.
          const own = answer.status === 403 ? await call(token, route, a) : null;
          if (own && own.status === 403 && own.body?.code === answer.body?.code) continue;
          failures.push(
            `${route.method} ${route.path} (app ${appRef}) → ${answer.status} ${answer.text.slice(0, 120)}`,
          );
        }
      }
      expect(failures).toEqual([]);
      expect(await snapshot(herald, b.app_id)).toEqual(before);
    });

    it("answers 404 for another application's endpoint, message or attempt named under the token's own application", async () => {
      const a = await tenant('a');
      const b = await tenant('b');
      const token = await portalToken(herald, a.app_id);
      const before = await snapshot(herald, b.app_id);
      const failures: string[] = [];
      const nested = appRoutes.filter((r) => r.params.length > 1);
      // PUT on an endpoint is an upsert: an unknown id creates an endpoint of A's own, so it goes last.
      const upserts = nested.filter((r) => r.method === 'PUT' && r.path.endsWith(':endpoint_id'));
      for (const route of [...nested.filter((r) => !upserts.includes(r)), ...upserts]) {
        for (const param of route.params.filter((p) => p !== 'app_id')) {
          const answer = await call(token, route, { ...a, [param]: b[param as keyof Tenant] });
          if (answer.status === 404) continue;
          if (upserts.includes(route) && answer.status === 201 && answer.body.id !== b.endpoint_id) continue;
          failures.push(
            `${route.method} ${route.path} (B's ${param}) → ${answer.status} ${answer.text.slice(0, 120)}`,
          );
        }
      }
      expect(failures).toEqual([]);
      expect(await snapshot(herald, b.app_id)).toEqual(before);
    });

    it("serves the token's own application on every one of those routes (no 404, no 5xx)", async () => {
      const a = await tenant('a');
      const token = await portalToken(herald, a.app_id);
      // Deletions last, the deepest first, so each route still finds what it names.
      const ordered = [...appRoutes].sort(
        (x, y) =>
          Number(x.method === 'DELETE') - Number(y.method === 'DELETE') ||
          (x.method === 'DELETE' ? y.path.length - x.path.length : 0),
      );
      const failures: string[] = [];
      for (const route of ordered) {
        const answer = await call(token, route, a);
        if (answer.status === 404 || answer.status >= 500)
          failures.push(`${route.method} ${route.path} → ${answer.status} ${answer.text.slice(0, 120)}`);
      }
      expect(failures).toEqual([]);
    });

    it("never shows another application's ids on the routes that name no application", async () => {
      const a = await tenant('a');
      const b = await tenant('b');
      const token = await portalToken(herald, a.app_id);
      const global = routeTable(herald.app).filter(
        (r) => r.path.startsWith('/api/') && !r.params.includes('app_id') && r.method === 'GET',
      );
      const failures: string[] = [];
      for (const route of global) {
        const answer = await callApi(
          herald.url,
          token,
          'GET',
          fillPath(route.path, { task_id: b.task_id, event_type_name: EVENT_TYPE }),
        );
        const leaked = [b.app_id, b.uid, b.endpoint_id, b.msg_id, b.attempt_id, b.task_id].filter((id) =>
          answer.text.includes(id),
        );
        if (leaked.length > 0) failures.push(`GET ${route.path} shows ${leaked.join(', ')}`);
        if (route.params.includes('task_id') && answer.status !== 404)
          failures.push(`GET ${route.path} (B's task) → ${answer.status}`);
      }
      expect(failures).toEqual([]);
      const own = await callApi(herald.url, token, 'GET', `/api/v1/background-task/${a.task_id}`);
      expect(own.status).toBe(200);
    });

    it('refuses an expired portal token with 401', async () => {
      const a = await tenant('a');
      const token = await portalToken(herald, a.app_id);
      expect((await callApi(herald.url, token, 'GET', `/api/v1/app/${a.app_id}`)).status).toBe(200);
      // Just past its lifetime, while the API still holds the token it found a moment ago.
      clockOffset = herald.ctx.config.portalTokenTtlSeconds * 1_000 + 1_000;
      try {
        const answer = await callApi(herald.url, token, 'GET', `/api/v1/app/${a.app_id}`);
        expect(answer.status).toBe(401);
        expect(isSvixErrorBody(401, answer.body)).toBe(true);
        expect(answer.body.detail).toBe('The token has expired.');
      } finally {
        clockOffset = 0;
      }
    });

    it('refuses a logged-out portal token with 401', async () => {
      const a = await tenant('a');
      const token = await portalToken(herald, a.app_id);
      const other = await portalToken(herald, a.app_id);
      expect((await callApi(herald.url, token, 'POST', '/api/v1/auth/logout')).status).toBe(204);
      const answer = await callApi(herald.url, token, 'GET', `/api/v1/app/${a.app_id}`);
      expect(answer.status).toBe(401);
      expect(isSvixErrorBody(401, answer.body)).toBe(true);
      // Logging out one session leaves the others of the same application alone.
      expect((await callApi(herald.url, other, 'GET', `/api/v1/app/${a.app_id}`)).status).toBe(200);
    });

    it('refuses malformed Authorization headers with 401 and a Svix error body, without a stack trace', async () => {
      const malformed = [
        'Bearer',
        'Bearer ',
        'Basic x',
        `Bearer ${'a'.repeat(10_240)}`,
        'Bearer a b',
        'bearer\tx\ty',
        'Token abc',
      ];
      for (const value of malformed) {
        const answer = await callApi(herald.url, null, 'GET', '/api/v1/app', undefined, {
          authorization: value,
        });
        expect(answer.status, value.slice(0, 40)).toBe(401);
        expect(isSvixErrorBody(401, answer.body)).toBe(true);
        expect(answer.text).not.toMatch(STACK_TRACE);
      }
      // Characters the HTTP parser lets through (tab, Latin-1) reach the authentication: a 401.
      for (const bytes of [Buffer.from('Bearer abc\tdef'), Buffer.from('Bearer ab\xe9\xff', 'latin1')]) {
        const answer = await rawGet(herald.url, bytes);
        expect(answer.status).toBe(401);
        expect(JSON.parse(answer.text.split('\r\n\r\n')[1] ?? '')).toMatchObject({ code: 'unauthorized' });
      }
      // NUL and other control characters are refused by Node's HTTP parser before any route runs.
      for (const bytes of [
        Buffer.from('Bearer abc\x01def'),
        Buffer.from('Bearer \x00x'),
        Buffer.from('Bearer a\x7f'),
      ]) {
        const answer = await rawGet(herald.url, bytes);
        expect(answer.status).toBe(400);
        expect(answer.text).not.toMatch(STACK_TRACE);
      }
      expect((await callApi(herald.url, null, 'GET', '/api/v1/health')).status).toBe(204);
    });
  });
}
