import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/backends.js';
import { startTestHerald, TEST_ADMIN_TOKEN, type TestHerald } from '../support/herald.js';
import { callApi } from './api-client.js';
import { expectApiError, FLAVOURS, type SvixClient, unique } from './sdk-flavours.js';

/**
 * The official Svix SDKs (both majors) drive Herald's management API over a real socket:
 * applications, endpoints, event types, portal authentication and health. Messages, attempts
 * and the delivery-side operations are in `svix-sdk-delivery.test.ts`.
 */

const newSecret = () => `whsec_${randomBytes(24).toString('base64')}`;

for (const backend of BACKENDS) {
  for (const flavour of FLAVOURS) {
    describe(`${backend}: the ${flavour.name} SDK manages applications, endpoints and event types`, () => {
      let herald: TestHerald;
      let svix: SvixClient;

      beforeAll(async () => {
        herald = await startTestHerald(backend, { worker: false, checkSvixSchemas: true });
        svix = flavour.client(TEST_ADMIN_TOKEN, herald.url);
      });
      // Every answer the SDK got satisfies Svix's published OpenAPI document (test/conformance/svix-openapi.ts).
      afterEach(() => {
        expect(herald.svixViolations.splice(0)).toEqual([]);
      });
      afterAll(async () => {
        await herald?.stop();
      });

      const newApp = (name = 'Acme') => svix.application.create({ name, uid: unique('app') });
      /** Endpoints may only filter on event types of the catalog, as at Svix. */
      const eventTypes = async (...names: string[]) => {
        for (const name of names) {
          await svix.eventType.create({ name, description: name }).catch((err: { code?: number }) => {
            if (err.code !== 409) throw err;
          });
        }
      };

      it('creates, gets (by id and uid), updates, patches and deletes an application', async () => {
        const uid = unique('acme');
        const created = await svix.application.create({ name: 'Acme', uid, metadata: { plan: 'pro' } });
        expect(created.id).toMatch(/^app_/);
        expect(created).toMatchObject({ name: 'Acme', uid, metadata: { plan: 'pro' } });
        expect(created.createdAt).toBeInstanceOf(Date);
        expect((await svix.application.get(created.id)).uid).toBe(uid);
        expect((await svix.application.get(uid)).id).toBe(created.id);

        const updated = await flavour.upsertApplication(svix, uid, { name: 'Acme Corp', uid });
        expect(updated).toMatchObject({ id: created.id, name: 'Acme Corp' });
        const patched = await svix.application.patch(created.id, { name: 'Acme Inc' });
        expect(patched).toMatchObject({ id: created.id, name: 'Acme Inc', uid });
        expect((await svix.application.get(created.id)).name).toBe('Acme Inc');

        await svix.application.delete(created.id);
        await expectApiError(flavour, svix.application.get(created.id), 404);
      });

      it('lists applications page by page with iterators', async () => {
        const ids = [(await newApp()).id, (await newApp()).id, (await newApp()).id];
        const all = await svix.application.list({ limit: 250 });
        expect(all.data.map((a) => a.id)).toEqual(expect.arrayContaining(ids));
        expect(all.done).toBe(true);

        const first = await svix.application.list({ limit: 1 });
        expect(first.data).toHaveLength(1);
        expect(first.done).toBe(false);
        expect(first.iterator).toBeTruthy();
        const second = await svix.application.list({ limit: 1, iterator: first.iterator });
        expect(second.data).toHaveLength(1);
        expect(second.data[0]?.id).not.toBe(first.data[0]?.id);
      });

      it('getOrCreate returns the existing application for a known uid and creates one for a new uid', async () => {
        const uid = unique('goc');
        const made = await svix.application.getOrCreate({ name: 'First', uid });
        const again = await svix.application.getOrCreate({ name: 'Second', uid });
        expect(again.id).toBe(made.id);
        expect(again.name).toBe('First');
      });

      it('upsert creates an application that does not exist yet, under the uid in the path', async () => {
        const uid = unique('upsert');
        const created = await flavour.upsertApplication(svix, uid, { name: 'Made by PUT' });
        expect(created.uid).toBe(uid);
        expect((await svix.application.get(uid)).id).toBe(created.id);
      });

      it('raises ApiException 409 for a duplicate uid, 404 for a missing application, 422 for a bad field', async () => {
        const uid = unique('dup');
        await svix.application.create({ name: 'One', uid });
        const conflict = await expectApiError(flavour, svix.application.create({ name: 'Two', uid }), 409);
        expect(conflict.code).toBe('conflict');
        const missing = await expectApiError(flavour, svix.application.get('app_doesnotexist'), 404);
        expect(missing.code).toBe('not_found');
        const invalid = await expectApiError(
          flavour,
          svix.application.create({ name: 'Bad', uid: 'not a uid!' }),
          422,
        );
        expect(invalid.detail[0].loc).toEqual(['body', 'uid']);
      });

      it('creates an endpoint with an event filter, rate, channels, headers and a given secret', async () => {
        const app = await newApp();
        await eventTypes('invoice.paid', 'invoice.failed');
        const secret = newSecret();
        const endpoint = await svix.endpoint.create(app.id, {
          url: 'https://example.com/webhook',
          description: 'billing',
          uid: unique('ep'),
          channels: ['project_1'],
          metadata: { team: 'billing' },
          headers: { 'X-Custom': 'yes' },
          secret,
          ...flavour.filterFields(['invoice.paid', 'invoice.failed'], 10),
        } as Parameters<SvixClient['endpoint']['create']>[1]);
        expect(endpoint.id).toMatch(/^ep_/);
        const read = await svix.endpoint.get(app.id, endpoint.id);
        expect(read).toMatchObject({
          url: 'https://example.com/webhook',
          description: 'billing',
          channels: ['project_1'],
          metadata: { team: 'billing' },
        });
        expect([...(flavour.filterOf(read) ?? [])].sort()).toEqual(['invoice.failed', 'invoice.paid']);
        expect(flavour.rateOf(read)).toBe(10);
        expect((await svix.endpoint.getSecret(app.id, endpoint.id)).key).toBe(secret);
        expect((await svix.endpoint.getHeaders(app.id, endpoint.id)).headers).toEqual({ 'X-Custom': 'yes' });
        expect((await svix.endpoint.get(app.id, endpoint.uid as string)).id).toBe(endpoint.id);
      });

      it('answers an endpoint with both spellings of the filter and the rate, as Svix does', async () => {
        const app = await newApp();
        await eventTypes('user.created');
        const endpoint = await svix.endpoint.create(app.id, {
          url: 'https://example.com/both',
          ...flavour.filterFields(['user.created'], 5),
        } as Parameters<SvixClient['endpoint']['create']>[1]);
        const raw = await callApi(
          herald.url,
          TEST_ADMIN_TOKEN,
          'GET',
          `/api/v1/app/${app.id}/endpoint/${endpoint.id}`,
        );
        expect(raw.body).toMatchObject({
          filterTypes: ['user.created'],
          eventTypes: ['user.created'],
          rateLimit: 5,
          throttleRate: 5,
        });
      });

      it('lists, updates, patches and deletes endpoints', async () => {
        const app = await newApp();
        await eventTypes('order.shipped');
        const a = await svix.endpoint.create(app.id, { url: 'https://example.com/a' });
        const b = await svix.endpoint.create(app.id, { url: 'https://example.com/b' });
        const list = await svix.endpoint.list(app.id);
        expect(list.data.map((e) => e.id).sort()).toEqual([a.id, b.id].sort());
        expect(list.done).toBe(true);

        const updated = await flavour.upsertEndpoint(svix, app.id, a.id, {
          url: 'https://example.com/a2',
          description: 'updated',
          ...flavour.filterFields(['order.shipped']),
        });
        expect(updated).toMatchObject({ id: a.id, url: 'https://example.com/a2', description: 'updated' });
        expect(flavour.filterOf(updated)).toEqual(['order.shipped']);

        const patched = await svix.endpoint.patch(app.id, a.id, {
          description: 'patched',
          ...flavour.filterFields(null),
        } as Parameters<SvixClient['endpoint']['patch']>[2]);
        expect(patched.description).toBe('patched');
        expect(patched.url).toBe('https://example.com/a2');
        expect(flavour.filterOf(patched) ?? null).toBeNull();

        await svix.endpoint.delete(app.id, b.id);
        await expectApiError(flavour, svix.endpoint.get(app.id, b.id), 404);
        expect((await svix.endpoint.list(app.id)).data.map((e) => e.id)).toEqual([a.id]);
      });

      it('creates, reads, updates and patches endpoints without knowing of payload filters, which they keep', async () => {
        const app = await newApp();
        const created = await svix.endpoint.create(app.id, { url: 'https://example.com/plain' });
        expect(created.url).toBe('https://example.com/plain');
        const filter = { 'data.amount': { $gte: 100 } };
        // Set by Herald's own API; the SDKs read, update and patch the endpoint unaware of it.
        const set = await callApi(
          herald.url,
          TEST_ADMIN_TOKEN,
          'PATCH',
          `/api/v1/app/${app.id}/endpoint/${created.id}`,
          {
            filter,
          },
        );
        expect(set.status).toBe(200);
        expect((await svix.endpoint.get(app.id, created.id)).url).toBe('https://example.com/plain');
        await flavour.upsertEndpoint(svix, app.id, created.id, { url: 'https://example.com/moved' });
        await svix.endpoint.patch(app.id, created.id, { description: 'patched' });
        const listed = (await svix.endpoint.list(app.id)).data;
        expect(listed.map((e) => e.url)).toEqual(['https://example.com/moved']);
        const read = await callApi(
          herald.url,
          TEST_ADMIN_TOKEN,
          'GET',
          `/api/v1/app/${app.id}/endpoint/${created.id}`,
        );
        expect(read.body).toMatchObject({ url: 'https://example.com/moved', description: 'patched', filter });
      });

      it('replaces and patches custom headers', async () => {
        const app = await newApp();
        const endpoint = await svix.endpoint.create(app.id, { url: 'https://example.com/h' });
        await flavour.setHeaders(svix, app.id, endpoint.id, { 'X-One': '1', 'X-Two': '2' });
        expect((await svix.endpoint.getHeaders(app.id, endpoint.id)).headers).toEqual({
          'X-One': '1',
          'X-Two': '2',
        });
        await svix.endpoint.patchHeaders(app.id, endpoint.id, {
          headers: { 'X-Three': '3' },
          deleteHeaders: ['X-One'],
        });
        const headers = await svix.endpoint.getHeaders(app.id, endpoint.id);
        expect(headers.headers).toEqual({ 'X-Two': '2', 'X-Three': '3' });
        expect(headers.sensitive).toEqual([]);
      });

      it('rotates the secret to a given key, then to a generated one', async () => {
        const app = await newApp();
        const endpoint = await svix.endpoint.create(app.id, { url: 'https://example.com/s' });
        const generated = (await svix.endpoint.getSecret(app.id, endpoint.id)).key;
        expect(generated).toMatch(/^whsec_/);
        const chosen = newSecret();
        await svix.endpoint.rotateSecret(app.id, endpoint.id, { key: chosen });
        expect((await svix.endpoint.getSecret(app.id, endpoint.id)).key).toBe(chosen);
        await svix.endpoint.rotateSecret(app.id, endpoint.id, {});
        const next = (await svix.endpoint.getSecret(app.id, endpoint.id)).key;
        expect(next).toMatch(/^whsec_/);
        expect([generated, chosen]).not.toContain(next);
      });

      it('raises ApiException 422 for an endpoint filtering on an event type not in the catalog', async () => {
        const app = await newApp();
        const invalid = await expectApiError(
          flavour,
          svix.endpoint.create(app.id, {
            url: 'https://example.com/unknown',
            ...flavour.filterFields([unique('never.defined')]),
          } as Parameters<SvixClient['endpoint']['create']>[1]),
          422,
        );
        expect(invalid.detail[0].loc[0]).toBe('body');
      });

      it('raises ApiException 404 for an endpoint of a missing application and 422 for a bad URL', async () => {
        await expectApiError(flavour, svix.endpoint.list('app_missing'), 404);
        const app = await newApp();
        const invalid = await expectApiError(
          flavour,
          svix.endpoint.create(app.id, { url: 'not a url' }),
          422,
        );
        expect(invalid.detail[0].loc).toEqual(['body', 'url']);
      });

      it('creates, gets, lists, updates, patches, archives and expunges an event type', async () => {
        const name = unique('invoice.paid');
        const schema = {
          type: 'object',
          properties: { id: { type: 'string' } },
          required: ['id'],
          examples: [{ id: 'in_1' }],
        };
        const created = await svix.eventType.create({
          name,
          description: 'An invoice was paid',
          schemas: { 1: schema },
        });
        expect(created).toMatchObject({ name, description: 'An invoice was paid', archived: false });
        expect(created.schemas).toEqual({ 1: schema });
        expect((await svix.eventType.get(name)).name).toBe(name);
        expect((await svix.eventType.list({ limit: 250 })).data.map((e) => e.name)).toContain(name);

        const updated = await flavour.upsertEventType(svix, name, { description: 'Paid invoice' });
        expect(updated.description).toBe('Paid invoice');
        const patched = await svix.eventType.patch(name, { deprecated: true });
        expect(patched).toMatchObject({ description: 'Paid invoice', deprecated: true });

        await svix.eventType.delete(name);
        expect((await svix.eventType.get(name)).archived).toBe(true);
        await svix.eventType.delete(name, { expunge: true });
        await expectApiError(flavour, svix.eventType.get(name), 404);
      });

      it('raises ApiException 409 for an event type that exists and 422 for a bad name', async () => {
        const name = unique('user.created');
        await svix.eventType.create({ name, description: 'first' });
        await expectApiError(flavour, svix.eventType.create({ name, description: 'again' }), 409);
        await expectApiError(flavour, svix.eventType.create({ name: 'bad name!', description: 'x' }), 422);
      });

      it('exports the event catalog as an sdk.generate task the SDK can poll (no SDK method starts it)', async () => {
        const exported = await callApi(
          herald.url,
          TEST_ADMIN_TOKEN,
          'POST',
          '/api/v1/event-type/export/openapi',
        );
        expect(exported.status).toBe(202);
        expect(exported.body).toMatchObject({ task: 'sdk.generate' });
        const task = await svix.backgroundTask.get(exported.body.id);
        expect(task).toMatchObject({ id: exported.body.id, task: 'sdk.generate' });
        expect(task.updatedAt).toBeInstanceOf(Date);
      });

      it('gives a portal token that works for its own application only, until logout', async () => {
        const mine = await newApp('Mine');
        const other = await newApp('Other');
        const access = await svix.authentication.appPortalAccess(mine.id, {});
        expect(access.url).toMatch(/^https?:\/\//);
        const portal = flavour.client(access.token, herald.url);
        expect((await portal.application.get(mine.id)).id).toBe(mine.id);
        expect((await portal.endpoint.list(mine.id)).data).toEqual([]);
        await expectApiError(flavour, portal.application.get(other.id), 404);
        await expectApiError(flavour, portal.endpoint.list(other.id), 404);
        await portal.authentication.logout();
        await expectApiError(flavour, portal.application.get(mine.id), 401);
      });

      it('reports health', async () => {
        await expect(svix.health.get()).resolves.toBeUndefined();
      });
    });
  }
}
