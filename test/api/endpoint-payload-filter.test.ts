import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/backends.js';
import { startTestHerald, type TestHerald } from '../support/herald.js';

const url = 'https://example.com/hooks';
const filter = { 'data.currency': 'eur', 'data.amount': { $gte: 10_000 } };

for (const backend of BACKENDS) {
  describe(`${backend}: an endpoint's payload filter`, () => {
    let herald: TestHerald;
    beforeAll(async () => {
      herald = await startTestHerald(backend, { worker: false });
      await herald.api('POST', '/api/v1/app', { name: 'Acme', uid: 'acme' });
      const schema = {
        type: 'object',
        properties: {
          data: {
            type: 'object',
            properties: { amount: { type: 'integer' }, currency: { type: 'string' } },
          },
        },
      };
      for (const name of ['invoice.paid', 'invoice.voided']) {
        const res = await herald.api('POST', '/api/v1/event-type', {
          name,
          description: name,
          schemas: { '1': schema },
        });
        expect(res.status).toBe(201);
      }
      await herald.api('POST', '/api/v1/event-type', { name: 'user.created', description: 'no schema' });
    });
    afterAll(async () => herald?.stop());

    it('is saved on create and answered on every read', async () => {
      const created = await herald.api('POST', '/api/v1/app/acme/endpoint', { url, filter });
      expect(created.status).toBe(201);
      expect(created.body.filter).toEqual(filter);
      expect(created.body.filterWarnings).toBeUndefined();
      const read = await herald.api('GET', `/api/v1/app/acme/endpoint/${created.body.id}`);
      expect(read.body.filter).toEqual(filter);
      const list = await herald.api('GET', '/api/v1/app/acme/endpoint');
      expect(list.body.data.find((e: { id: string }) => e.id === created.body.id).filter).toEqual(filter);
    });

    it('is left out (null) by default and cleared by null or an empty filter', async () => {
      const plain = await herald.api('POST', '/api/v1/app/acme/endpoint', { url });
      expect(plain.body.filter).toBeNull();
      const empty = await herald.api('POST', '/api/v1/app/acme/endpoint', { url, filter: {} });
      expect(empty.body.filter).toBeNull();
      const filtered = await herald.api('POST', '/api/v1/app/acme/endpoint', { url, filter });
      const cleared = await herald.api('PATCH', `/api/v1/app/acme/endpoint/${filtered.body.id}`, {
        filter: null,
      });
      expect(cleared.status).toBe(200);
      expect(cleared.body.filter).toBeNull();
    });

    it('survives an update that changes only the URL, by PUT or PATCH', async () => {
      const created = await herald.api('POST', '/api/v1/app/acme/endpoint', { url, filter, uid: 'kept' });
      const put = await herald.api('PUT', '/api/v1/app/acme/endpoint/kept', {
        url: 'https://example.com/v2',
      });
      expect(put.status).toBe(200);
      expect(put.body.url).toBe('https://example.com/v2');
      expect(put.body.filter).toEqual(filter);
      const patch = await herald.api('PATCH', `/api/v1/app/acme/endpoint/${created.body.id}`, {
        url: 'https://example.com/v3',
      });
      expect(patch.body.filter).toEqual(filter);
      const read = await herald.api('GET', '/api/v1/app/acme/endpoint/kept');
      expect(read.body).toMatchObject({ url: 'https://example.com/v3', filter });
    });

    it('is refused with a 422 pointing at the bad part, on create, PUT and PATCH', async () => {
      const existing = await herald.api('POST', '/api/v1/app/acme/endpoint', { url, uid: 'refuser' });
      const cases: Array<[unknown, string[], string]> = [
        [
          { 'data.amount': { $gte: true } },
          ['body', 'filter', 'data.amount', '$gte'],
          'takes a number or a string',
        ],
        [
          { 'data.status': { $exist: true } },
          ['body', 'filter', 'data.status', '$exist'],
          'Herald writes $exists',
        ],
        [{ $or: [{ a: 1 }, 2] }, ['body', 'filter', '$or', '1'], 'must be an object of conditions'],
        [{ data: { currency: 'eur' } }, ['body', 'filter', 'data', 'currency'], '"data.currency"'],
        [{ 'a..b': 1 }, ['body', 'filter', 'a..b'], 'not a field path'],
        ['data.amount > 5', ['body', 'filter'], 'must be object'],
      ];
      for (const [bad, loc, msg] of cases) {
        const answers = [
          await herald.api('POST', '/api/v1/app/acme/endpoint', { url, filter: bad }),
          await herald.api('PUT', '/api/v1/app/acme/endpoint/refuser', { url, filter: bad }),
          await herald.api('PATCH', '/api/v1/app/acme/endpoint/refuser', { filter: bad }),
        ];
        for (const answer of answers) {
          expect(answer.status).toBe(422);
          expect(answer.body.detail[0].loc).toEqual(loc);
          expect(answer.body.detail[0].msg).toContain(msg);
          expect(typeof answer.body.detail[0].type).toBe('string');
        }
      }
      // Nothing was half-written.
      const read = await herald.api('GET', `/api/v1/app/acme/endpoint/${existing.body.id}`);
      expect(read.body.filter).toBeNull();
    });

    it('is refused beyond its limits of size, depth and clauses', async () => {
      const many = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`data.f${i}`, i]));
      let deep: Record<string, unknown> = { a: 1 };
      for (let i = 0; i < 10; i++) deep = { $not: deep };
      const big = { 'data.a': { $in: Array.from({ length: 400 }, (_, i) => `a-rather-long-value-${i}`) } };
      for (const [bad, type] of [
        [many, 'value_error.filter.clauses'],
        [deep, 'value_error.filter.depth'],
        [big, 'value_error.filter.size'],
      ] as const) {
        const answer = await herald.api('POST', '/api/v1/app/acme/endpoint', { url, filter: bad });
        expect(answer.status).toBe(422);
        expect(answer.body.detail[0].type).toBe(type);
      }
    });

    it('warns about a path that no schema of its event types declares, and saves it all the same', async () => {
      const typo = { 'data.amout': { $gte: 10 }, 'data.currency': 'eur' };
      const created = await herald.api('POST', '/api/v1/app/acme/endpoint', {
        url,
        filterTypes: ['invoice.*'],
        filter: typo,
      });
      expect(created.status).toBe(201);
      expect(created.body.filter).toEqual(typo);
      expect(created.body.filterWarnings).toEqual([
        {
          loc: ['body', 'filter', 'data.amout'],
          msg: expect.stringContaining('no schema of invoice.paid, invoice.voided declares this path'),
        },
      ]);
      // An event type without a schema says nothing about its payload: no warning.
      const untyped = await herald.api('POST', '/api/v1/app/acme/endpoint', {
        url,
        filterTypes: ['user.created'],
        filter: typo,
      });
      expect(untyped.body.filterWarnings).toBeUndefined();
      // Changing the event types checks the filter again.
      const patched = await herald.api('PATCH', `/api/v1/app/acme/endpoint/${untyped.body.id}`, {
        filterTypes: ['invoice.paid'],
      });
      expect(patched.body.filterWarnings).toHaveLength(1);
    });
  });
}
