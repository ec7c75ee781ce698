import { describe, expect, it } from 'vitest';
import { BACKENDS } from '../../support/backends.js';
import { svixServer } from './harness.js';

/** Svix's `e2e_application.rs`, as plain HTTP calls against Herald. */
for (const backend of BACKENDS) {
  describe(`${backend}: Svix e2e_application`, () => {
    const svix = svixServer(backend, { worker: false });
    const get = async (id: string) => {
      const res = await svix.api('GET', `/api/v1/app/${id}/`);
      expect(res.status).toBe(200);
      return res.body;
    };

    // test_patch
    it('patches each field alone, leaving the others as they were', async () => {
      const app = await svix.createApp('first_name');
      // Herald difference: a PUT that creates takes the path as its uid (Svix leaves it unset).
      const upserted = await svix.api('PUT', '/api/v1/app/fake-id/', { name: 'first_name' });
      expect(upserted.status).toBe(201);
      expect(upserted.body.uid).toBe('fake-id');

      const path = `/api/v1/app/${app.id}/`;
      expect((await svix.api('PATCH', path, { name: 'second_name' })).status).toBe(200);
      expect(await get(app.id)).toMatchObject({
        name: 'second_name',
        rateLimit: null,
        uid: null,
        metadata: {},
      });

      // The deprecated `rateLimit` spelling takes effect, and reads back in both spellings.
      expect((await svix.api('PATCH', path, { rateLimit: 1 })).status).toBe(200);
      expect(await get(app.id)).toMatchObject({
        rateLimit: 1,
        throttleRate: 1,
        name: 'second_name',
        uid: null,
      });
      expect((await svix.api('PATCH', path, { rateLimit: null })).status).toBe(200);
      expect(await get(app.id)).toMatchObject({ rateLimit: null, name: 'second_name', uid: null });

      expect((await svix.api('PATCH', path, { uid: 'test_uid' })).status).toBe(200);
      expect(await get(app.id)).toMatchObject({ uid: 'test_uid', name: 'second_name', rateLimit: null });
      expect((await svix.api('PATCH', path, { uid: null })).status).toBe(200);
      expect(await get(app.id)).toMatchObject({ uid: null, name: 'second_name', rateLimit: null });

      expect((await svix.api('PATCH', path, { metadata: { foo: 'bar', bizz: 'baz' } })).status).toBe(200);
      expect(await get(app.id)).toMatchObject({ metadata: { foo: 'bar', bizz: 'baz' }, name: 'second_name' });
    });

    // test_crud
    it('creates, reads, replaces and deletes applications, metadata included', async () => {
      const app1 = await svix.createApp('v1ApplicationCrudTest11');
      const app2 = await svix.createApp('v1ApplicationCrudTest21');
      expect(await get(app1.id)).toEqual(app1);
      expect(await get(app2.id)).toEqual(app2);

      const put1 = await svix.api('PUT', `/api/v1/app/${app1.id}/`, { name: 'v1ApplicationCrudTest12' });
      const put2 = await svix.api('PUT', `/api/v1/app/${app2.id}/`, { name: 'v1ApplicationCrudTest22' });
      expect([put1.status, put2.status]).toEqual([200, 200]);
      expect(await get(app1.id)).toEqual(put1.body);
      expect(await get(app2.id)).toEqual(put2.body);

      for (const id of [app1.id, app2.id]) {
        const deleted = await svix.api('DELETE', `/api/v1/app/${id}/`);
        expect(deleted.status).toBe(204);
        expect(deleted.text).toBe('');
        expect((await svix.api('GET', `/api/v1/app/${id}/`)).status).toBe(404);
      }

      const app = await svix.createApp('Apps all around');
      expect(app).toMatchObject({ metadata: {} });
      const patched = await svix.api('PATCH', `/api/v1/app/${app.id}/`, { metadata: { bizz: 'bar' } });
      expect(patched.body.metadata).toEqual({ bizz: 'bar' });

      const upserted = await svix.api('PUT', '/api/v1/app/one_upserted_boi/', {
        name: 'Apps for two',
        metadata: { foo: 'bar' },
      });
      expect(upserted.status).toBe(201);
      expect(upserted.body.metadata).toEqual({ foo: 'bar' });
      const replaced = await svix.api('PUT', `/api/v1/app/${upserted.body.id}/`, {
        name: 'New Name',
        metadata: { new: 'data' },
      });
      expect(replaced.status).toBe(200);
      expect(replaced.body).toMatchObject({ name: 'New Name', metadata: { new: 'data' } });
    });

    // test_uid
    it('keeps uids unique, reusable after deletion, changeable, and removed by a PUT without one', async () => {
      const app = await svix.createApp('App 1', { uid: 'app1' });
      expect(app.id).not.toBe(app.uid);
      expect((await svix.api('POST', '/api/v1/app/', { name: 'App 1', uid: 'app1' })).status).toBe(409);

      let app2 = await svix.createApp('App 2');
      expect((await svix.api('PUT', `/api/v1/app/${app2.id}/`, { name: 'App 2', uid: 'app1' })).status).toBe(
        409,
      );
      app2 = await svix.createApp('App 2', { uid: 'app2' });
      expect((await svix.api('PUT', `/api/v1/app/${app2.id}/`, { name: 'App 2', uid: 'app1' })).status).toBe(
        409,
      );

      expect((await svix.api('DELETE', `/api/v1/app/${app.id}/`)).status).toBe(204);
      const moved = await svix.api('PUT', `/api/v1/app/${app2.id}/`, { name: 'App 2', uid: 'app1' });
      expect(moved.status).toBe(200);
      expect((await svix.api('DELETE', `/api/v1/app/${moved.body.uid}/`)).status).toBe(204);

      const again = await svix.createApp('App 1', { uid: 'app1' });
      expect((await svix.api('PUT', `/api/v1/app/${again.id}/`, { name: 'App 1', uid: 'app1' })).status).toBe(
        200,
      );
      const renamed = await svix.api('PUT', `/api/v1/app/${again.id}/`, { name: 'App 1', uid: 'app3' });
      expect(renamed.status).toBe(200);
      expect(await get(again.id)).toMatchObject({ id: again.id, uid: 'app3' });

      const withoutUid = await svix.api('PUT', `/api/v1/app/${again.id}/`, { name: 'App 1' });
      expect(withoutUid.status).toBe(200);
      expect(withoutUid.body.uid).toBeNull();
      expect((await get(again.id)).uid).toBeNull();
      expect((await svix.api('GET', '/api/v1/app/app3/')).status).toBe(404);
    });

    // test_get_or_create
    it('answers get_if_exists=true with the existing application, unchanged', async () => {
      const app = await svix.createApp('App 1', { uid: 'goc1', metadata: { foo: 'bar' } });
      expect(app.metadata).toEqual({ foo: 'bar' });
      expect((await svix.api('POST', '/api/v1/app/', { name: 'App 1', uid: 'goc1' })).status).toBe(409);
      const existing = await svix.api('POST', '/api/v1/app/?get_if_exists=true', {
        name: "App 1 - SLIGHTLY DIFFERENT, BUT WON'T BE PERSISTED",
        uid: 'goc1',
      });
      expect(existing.status).toBe(200);
      expect(existing.body).toEqual(app);
    });

    // test_idempotency (Svix with a cache: the second call gets the first answer)
    it('answers a reused Idempotency-Key with the first response, even with another body', async () => {
      const headers = { 'idempotency-key': `key-${Math.random()}` };
      const first = await svix.api('POST', '/api/v1/app/', { name: 'Some unique name' }, headers);
      const second = await svix.api('POST', '/api/v1/app/', { name: 'Some less unique name' }, headers);
      expect([first.status, second.status]).toEqual([201, 201]);
      expect(second.body).toEqual(first.body);
    });

    // test_uid_across_users: Svix scopes uids by organization; Herald has one organization per
    // deployment, so the case that applies is that a uid is unique across it (the 409 above).
  });
}
