import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCatalogFile } from '../../src/domains/event-type/catalog-file.js';
import { BACKENDS } from '../support/backends.js';
import { startTestHerald, type TestHerald } from '../support/herald.js';

const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ??
  addFormatsModule) as unknown as (ajv: Ajv2020) => Ajv2020;

const BILLING = new URL('../../examples/catalog/billing.yaml', import.meta.url);

const invoiceSchema = {
  type: 'object',
  required: ['id', 'amount'],
  properties: { id: { type: 'string' }, amount: { type: 'integer' } },
};

for (const backend of BACKENDS) {
  describe(`${backend}: the event catalog API`, () => {
    let herald: TestHerald;

    beforeAll(async () => {
      herald = await startTestHerald(backend, { worker: false });
    });
    afterAll(async () => {
      await herald?.stop();
    });

    it('creates an event type and reads it back with every field', async () => {
      const created = await herald.api('POST', '/api/v1/event-type', {
        name: 'crud.created',
        description: 'Something was created',
        schemas: { '1': invoiceSchema },
        groupName: 'crud',
        featureFlag: 'beta-crud',
        schemaMode: 'warn',
      });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        name: 'crud.created',
        description: 'Something was created',
        schemas: { '1': invoiceSchema },
        groupName: 'crud',
        featureFlag: 'beta-crud',
        featureFlags: ['beta-crud'],
        deprecated: false,
        archived: false,
        schemaMode: 'warn',
      });
      expect(Date.parse(created.body.createdAt)).not.toBeNaN();

      const read = await herald.api('GET', '/api/v1/event-type/crud.created');
      expect(read.status).toBe(200);
      expect(read.body).toEqual(created.body);
    });

    it('answers 409 when the name already exists', async () => {
      await herald.api('POST', '/api/v1/event-type', { name: 'crud.dup', description: 'first' });
      const again = await herald.api('POST', '/api/v1/event-type', {
        name: 'crud.dup',
        description: 'second',
      });
      expect(again.status).toBe(409);
      expect(again.body.code).toBe('conflict');
      expect((await herald.api('GET', '/api/v1/event-type/crud.dup')).body.description).toBe('first');
    });

    it('PUT creates (201) then replaces every field (200), resetting what the body leaves out', async () => {
      const first = await herald.api('PUT', '/api/v1/event-type/crud.put', {
        description: 'v1',
        groupName: 'crud',
        deprecated: true,
        featureFlags: ['a', 'b'],
      });
      expect(first.status).toBe(201);
      expect(first.body).toMatchObject({ deprecated: true, featureFlags: ['a', 'b'], featureFlag: 'a' });
      const second = await herald.api('PUT', '/api/v1/event-type/crud.put', { description: 'v2' });
      expect(second.status).toBe(200);
      expect(second.body).toMatchObject({
        name: 'crud.put',
        description: 'v2',
        groupName: null,
        deprecated: false,
        featureFlags: null,
        featureFlag: null,
      });
      expect(second.body.createdAt).toBe(first.body.createdAt);
    });

    it('PATCH changes only the fields given, and null clears a nullable one', async () => {
      await herald.api('POST', '/api/v1/event-type', {
        name: 'crud.patch',
        description: 'before',
        groupName: 'crud',
        schemas: { '1': invoiceSchema },
      });
      const patched = await herald.api('PATCH', '/api/v1/event-type/crud.patch', {
        deprecated: true,
        schemaMode: 'off',
      });
      expect(patched.status).toBe(200);
      expect(patched.body).toMatchObject({
        description: 'before',
        groupName: 'crud',
        deprecated: true,
        schemaMode: 'off',
        schemas: { '1': invoiceSchema },
      });
      const cleared = await herald.api('PATCH', '/api/v1/event-type/crud.patch', {
        groupName: null,
        schemas: null,
        schemaMode: null,
      });
      expect(cleared.body).toMatchObject({
        groupName: null,
        schemas: null,
        schemaMode: null,
        deprecated: true,
      });
      expect(
        (await herald.api('PATCH', '/api/v1/event-type/crud.missing', { deprecated: true })).status,
      ).toBe(404);
    });

    it('refuses an invalid JSON Schema with a 422 whose loc points inside body.schemas', async () => {
      const answer = await herald.api('POST', '/api/v1/event-type', {
        name: 'crud.badschema',
        description: 'x',
        schemas: { '1': { type: 'object', properties: { amount: { type: 'integer', minimum: 'zero' } } } },
      });
      expect(answer.status).toBe(422);
      expect(answer.body.detail).toEqual([
        expect.objectContaining({ loc: ['body', 'schemas', '1', 'properties', 'amount', 'minimum'] }),
      ]);
      expect((await herald.api('GET', '/api/v1/event-type/crud.badschema')).status).toBe(404);

      const badVersion = await herald.api('PUT', '/api/v1/event-type/crud.badschema', {
        description: 'x',
        schemas: { v1: { type: 'object' } },
      });
      expect(badVersion.status).toBe(422);
      expect(badVersion.body.detail[0].loc).toEqual(['body', 'schemas', 'v1']);

      await herald.api('POST', '/api/v1/event-type', { name: 'crud.patchschema', description: 'x' });
      const badPatch = await herald.api('PATCH', '/api/v1/event-type/crud.patchschema', {
        schemas: { '1': { type: 'objekt' } },
      });
      expect(badPatch.status).toBe(422);
      expect(badPatch.body.detail[0].loc).toEqual(['body', 'schemas', '1', 'type']);
    });

    it('refuses names outside letters, digits, ".", "_" and "-"', async () => {
      const answer = await herald.api('POST', '/api/v1/event-type', {
        name: 'invoice paid!',
        description: 'x',
      });
      expect(answer.status).toBe(422);
      expect(answer.body.detail[0].loc).toEqual(['body', 'name']);
      const group = await herald.api('POST', '/api/v1/event-type', {
        name: 'ok.name',
        description: 'x',
        groupName: 'not ok',
      });
      expect(group.status).toBe(422);
      expect(group.body.detail[0].loc).toEqual(['body', 'groupName']);
    });

    it('archives on delete, lists archived types only on request, and create brings one back', async () => {
      await herald.api('POST', '/api/v1/event-type', {
        name: 'arch.thing',
        description: 'old',
        schemas: { '1': invoiceSchema },
      });
      expect((await herald.api('DELETE', '/api/v1/event-type/arch.thing')).status).toBe(204);
      const archived = await herald.api('GET', '/api/v1/event-type/arch.thing');
      expect(archived.body.archived).toBe(true);

      const names = async (query: string) =>
        (await herald.api('GET', `/api/v1/event-type?limit=250${query}`)).body.data.map(
          (et: { name: string }) => et.name,
        );
      expect(await names('')).not.toContain('arch.thing');
      expect(await names('&include_archived=true')).toContain('arch.thing');

      const back = await herald.api('POST', '/api/v1/event-type', { name: 'arch.thing', description: 'new' });
      expect(back.status).toBe(201);
      expect(back.body).toMatchObject({ archived: false, description: 'new', schemas: null });
      expect(await names('')).toContain('arch.thing');
    });

    it('expunges an event type with expunge=true', async () => {
      await herald.api('POST', '/api/v1/event-type', { name: 'arch.gone', description: 'x' });
      expect((await herald.api('DELETE', '/api/v1/event-type/arch.gone?expunge=true')).status).toBe(204);
      expect((await herald.api('GET', '/api/v1/event-type/arch.gone')).status).toBe(404);
      expect((await herald.api('DELETE', '/api/v1/event-type/arch.gone')).status).toBe(404);
    });

    it('pages through the catalog by name in both directions, schemas only with with_content', async () => {
      const names = ['page.a1', 'page.a2', 'page.a3', 'page.a4', 'page.a5'];
      for (const name of [...names].reverse()) {
        await herald.api('POST', '/api/v1/event-type', {
          name,
          description: name,
          schemas: { '1': { type: 'object' } },
        });
      }
      const seen: string[] = [];
      let iterator: string | null = 'page.';
      let pages = 0;
      for (;;) {
        const page = await herald.api('GET', `/api/v1/event-type?limit=2&iterator=${iterator}`);
        expect(page.status).toBe(200);
        seen.push(...page.body.data.map((et: { name: string }) => et.name));
        expect(page.body.data.every((et: { schemas: unknown }) => et.schemas === null)).toBe(true);
        pages++;
        if (page.body.done || !seen.at(-1)?.startsWith('page.')) break;
        iterator = page.body.iterator;
      }
      expect(seen.filter((n) => n.startsWith('page.'))).toEqual(names);
      expect(pages).toBe(3);

      const back = await herald.api('GET', '/api/v1/event-type?limit=2&iterator=-page.a3');
      expect(back.body.data.map((et: { name: string }) => et.name)).toEqual(['page.a1', 'page.a2']);

      const descending = await herald.api(
        'GET',
        '/api/v1/event-type?limit=2&order=descending&iterator=page.a4&with_content=true',
      );
      expect(descending.body.data.map((et: { name: string }) => et.name)).toEqual(['page.a3', 'page.a2']);
      expect(descending.body.data[0].schemas).toEqual({ '1': { type: 'object' } });
    });

    it('lets portal tokens read the catalog without flagged types, and refuses their writes', async () => {
      await herald.api('POST', '/api/v1/app', { name: 'Portal', uid: 'portal-app' });
      const access = await herald.api('POST', '/api/v1/auth/app-portal-access/portal-app', {});
      const portal = { authorization: `Bearer ${access.body.token}` };
      await herald.api('POST', '/api/v1/event-type', {
        name: 'flag.hidden',
        description: 'x',
        featureFlag: 'beta',
      });
      await herald.api('POST', '/api/v1/event-type', { name: 'flag.visible', description: 'x' });

      const list = await herald.api('GET', '/api/v1/event-type?limit=250', undefined, portal);
      expect(list.status).toBe(200);
      const listed = list.body.data.map((et: { name: string }) => et.name);
      expect(listed).toContain('flag.visible');
      expect(listed).not.toContain('flag.hidden');
      expect((await herald.api('GET', '/api/v1/event-type/flag.hidden', undefined, portal)).status).toBe(404);
      expect((await herald.api('GET', '/api/v1/event-type/flag.hidden')).status).toBe(200);

      const write = await herald.api('POST', '/api/v1/event-type', { name: 'p.x', description: 'x' }, portal);
      expect(write.status).toBe(403);
      expect((await herald.api('DELETE', '/api/v1/event-type/flag.visible', undefined, portal)).status).toBe(
        403,
      );
      expect((await herald.api('GET', '/api/v1/event-type/flag.visible')).body.archived).toBe(false);
    });
  });

  describe(`${backend}: the catalog as an OpenAPI webhooks document`, () => {
    let herald: TestHerald;

    beforeAll(async () => {
      herald = await startTestHerald(backend, { worker: false });
      const parsed = parseCatalogFile(readFileSync(BILLING, 'utf8'), 'yaml');
      if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
      for (const { name, ...entry } of parsed.eventTypes) {
        const answer = await herald.api('PUT', `/api/v1/event-type/${name}`, entry);
        expect(answer.status).toBe(201);
      }
      await herald.api('POST', '/api/v1/event-type', { name: 'legacy.thing', description: 'x' });
      await herald.api('DELETE', '/api/v1/event-type/legacy.thing');
    });
    afterAll(async () => {
      await herald?.stop();
    });

    it('describes the 17 billing event types, whose request schemas compile with ajv 2020 and accept their examples', async () => {
      const answer = await herald.api('GET', '/api/v1/event-type/openapi.json');
      expect(answer.status).toBe(200);
      const document = answer.body;
      expect(document.openapi).toBe('3.1.0');
      expect(Object.keys(document.webhooks).sort()).toHaveLength(17);
      expect(document.webhooks['invoice.paid']).toBeDefined();
      expect(document.webhooks['legacy.thing']).toBeUndefined();

      const ajv = addFormats(new Ajv2020({ strict: false, allErrors: true }));
      type Media = { schema: Record<string, unknown>; example: unknown };
      type Webhook = { post: { requestBody: { content: Record<string, Media> } } };
      for (const [name, item] of Object.entries<Webhook>(document.webhooks)) {
        const media = item.post.requestBody.content['application/json']!;
        const validate = ajv.compile({ ...media.schema, components: document.components });
        expect({ name, valid: validate(media.example), errors: validate.errors ?? null }).toEqual({
          name,
          valid: true,
          errors: null,
        });
        expect(validate({ not: 'an event' })).toBe(false);
      }
    });

    it('answers the export-openapi task at once, finished, with the same document', async () => {
      const exported = await herald.api('POST', '/api/v1/event-type/export/openapi');
      expect(exported.status).toBe(202);
      expect(exported.body).toMatchObject({ status: 'finished', task: 'sdk.generate' });
      expect(exported.body.id).toMatch(/^qtask_[A-Za-z0-9]{27}$/);
      expect(exported.body.data.url).toMatch(/\/api\/v1\/event-type\/openapi\.json$/);
      const served = await herald.api('GET', '/api/v1/event-type/openapi.json');
      expect(exported.body.data.document).toEqual(served.body);
    });
  });
}
