import { describe, expect, it } from 'vitest';
import { BACKENDS } from '../../support/backends.js';
import { svixServer } from './harness.js';

/** Svix's `e2e_event_type.rs` (its `test_list` is in `pagination.test.ts`). */

const GEO_SCHEMA = {
  1: {
    type: 'object',
    title: 'Longitude and Latitude Values',
    description: 'A geographical coordinate.',
    required: ['latitude', 'longitude'],
    properties: {
      latitude: { type: 'number', minimum: -90, maximum: 90 },
      longitude: { type: 'number', minimum: -180, maximum: 180 },
    },
  },
};

for (const backend of BACKENDS) {
  describe(`${backend}: Svix e2e_event_type`, () => {
    const svix = svixServer(backend, { worker: false });
    const get = async (name: string) => {
      const res = await svix.api('GET', `/api/v1/event-type/${name}/`);
      expect(res.status).toBe(200);
      return res.body;
    };

    // test_patch
    it('patches description, schemas (set, emptied, cleared) and archived, each alone', async () => {
      const created = await svix.api('POST', '/api/v1/event-type/', {
        name: 'test-event-type',
        description: 'test-event-description',
        schemas: GEO_SCHEMA,
      });
      expect(created.status).toBe(201);
      const upserted = await svix.api('PUT', '/api/v1/event-type/fake-id/', {
        description: 'test-event-description',
      });
      expect(upserted.status).toBe(201);

      const path = '/api/v1/event-type/test-event-type/';
      expect((await svix.api('PATCH', path, { description: 'updated_description' })).status).toBe(200);
      expect(await get('test-event-type')).toMatchObject({
        description: 'updated_description',
        archived: false,
        schemas: GEO_SCHEMA,
      });
      expect((await svix.api('PATCH', path, { schemas: {} })).status).toBe(200);
      expect(await get('test-event-type')).toMatchObject({ schemas: {}, description: 'updated_description' });
      expect((await svix.api('PATCH', path, { schemas: null })).status).toBe(200);
      expect(await get('test-event-type')).toMatchObject({
        schemas: null,
        description: 'updated_description',
      });
      expect((await svix.api('PATCH', path, { archived: true })).status).toBe(200);
      expect(await get('test-event-type')).toMatchObject({ archived: true, schemas: null });
    });

    // test_event_type_create_read_list
    it('creates, reads and lists an event type, with schemas only with_content=true', async () => {
      const created = await svix.api('POST', '/api/v1/event-type/', {
        name: 'create-read-list',
        description: 'test-event-description',
        schemas: GEO_SCHEMA,
      });
      expect(await get('create-read-list')).toEqual(created.body);
      const full = await svix.api('GET', '/api/v1/event-type/?with_content=true');
      expect(full.body.data).toContainEqual(created.body);
      const bare = await svix.api('GET', '/api/v1/event-type/');
      expect(bare.body.data).toContainEqual({ ...created.body, schemas: null });
    });

    // test_event_type_feature_flags (Herald difference: portal tokens carry no feature flags, so a
    // flagged event type is hidden from every portal token; Svix shows it to tokens with the flag)
    it('hides an event type behind a feature flag from portal tokens, in the list and by name', async () => {
      await svix.api('POST', '/api/v1/event-type/', {
        name: 'event-type-with-flag',
        description: 'test-event-description',
        featureFlag: 'foo-feature',
      });
      await svix.api('POST', '/api/v1/event-type/', {
        name: 'no-flag-event',
        description: 'test-event-description',
      });
      const app = await svix.createApp('TEST_APP_NAME');
      const portal = svix.as(await svix.portalToken(app.id));
      expect((await portal('GET', '/api/v1/event-type/event-type-with-flag/')).status).toBe(404);
      const names = (await portal('GET', '/api/v1/event-type/')).body.data.map(
        (e: { name: string }) => e.name,
      );
      expect(names).toContain('no-flag-event');
      expect(names).not.toContain('event-type-with-flag');
      expect((await svix.api('GET', '/api/v1/event-type/event-type-with-flag/')).status).toBe(200);
    });

    // test_schema
    it('refuses an event type whose schema is not a valid JSON Schema (422)', async () => {
      const res = await svix.api('POST', '/api/v1/event-type/', {
        name: 'bad-schema',
        description: 'I have a bad schema',
        schemas: { 1: { readOnly: 15 } },
      });
      expect(res.status).toBe(422);
    });
  });
}
