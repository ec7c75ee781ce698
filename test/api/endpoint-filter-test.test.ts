import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/backends.js';
import { startTestHerald, type TestHerald } from '../support/herald.js';

for (const backend of BACKENDS) {
  describe(`${backend}: trying a payload filter before saving it`, () => {
    let herald: TestHerald;
    const published: Array<{ id: string; amount: number; eventType: string }> = [];
    beforeAll(async () => {
      herald = await startTestHerald(backend, { worker: false });
      await herald.api('POST', '/api/v1/app', { name: 'Acme', uid: 'acme' });
      await herald.api('POST', '/api/v1/event-type', { name: 'invoice.paid', description: 'paid' });
      for (let n = 0; n < 12; n++) {
        const eventType = n % 3 === 0 ? 'invoice.voided' : 'invoice.paid';
        const res = await herald.api('POST', '/api/v1/app/acme/msg', {
          eventType,
          payload: { data: { amount: n * 100 } },
        });
        published.push({ id: res.body.id, amount: n * 100, eventType });
      }
    });
    afterAll(async () => herald?.stop());

    it('says whether a filter matches a payload, and how each clause fared', async () => {
      const res = await herald.api('POST', '/api/v1/app/acme/endpoint/filter/test', {
        filter: { 'data.amount': { $gte: 500 }, $eventType: 'invoice.paid' },
        payload: { data: { amount: 700 } },
        eventType: 'invoice.voided',
      });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        matches: false,
        explanation: {
          matched: false,
          op: '$and',
          clauses: [
            { matched: true, op: '$gte', path: 'data.amount', operand: 500, found: [700] },
            {
              matched: false,
              op: '$eq',
              path: '$eventType',
              operand: 'invoice.paid',
              found: ['invoice.voided'],
            },
          ],
        },
      });
    });

    it('refuses an invalid filter with a 422 at its loc', async () => {
      const res = await herald.api('POST', '/api/v1/app/acme/endpoint/filter/test', {
        filter: { 'data.amount': { $between: [1, 2] } },
        payload: {},
      });
      expect(res.status).toBe(422);
      expect(res.body.detail[0].loc).toEqual(['body', 'filter', 'data.amount', '$between']);
    });

    it('counts which of the last messages a draft filter matches, for an endpoint not created yet', async () => {
      const res = await herald.api('POST', '/api/v1/app/acme/endpoint/filter/test', {
        filter: { 'data.amount': { $gte: 500 } },
        limit: 10,
      });
      expect(res.status).toBe(200);
      const lastTen = published.slice(-10).reverse();
      const expected = lastTen.filter((m) => m.amount >= 500).map((m) => m.id);
      expect(res.body).toEqual({ matched: expected.length, examined: 10, messageIds: expected });
    });

    it('counts which of the last messages an endpoint would have received, with its own filter or a draft', async () => {
      const ep = await herald.api('POST', '/api/v1/app/acme/endpoint', {
        url: 'https://example.com/hooks',
        filterTypes: ['invoice.paid'],
        filter: { 'data.amount': { $lt: 600 } },
      });
      const own = await herald.api('POST', `/api/v1/app/acme/endpoint/${ep.body.id}/filter/test`, {
        limit: 1000,
      });
      expect(own.status).toBe(200);
      const newestFirst = [...published].reverse();
      const ownExpected = newestFirst
        .filter((m) => m.eventType === 'invoice.paid' && m.amount < 600)
        .map((m) => m.id);
      expect(own.body).toEqual({ matched: ownExpected.length, examined: 12, messageIds: ownExpected });

      const draft = await herald.api('POST', `/api/v1/app/acme/endpoint/${ep.body.id}/filter/test`, {
        filter: { 'data.amount': { $gte: 600 } },
      });
      const draftExpected = newestFirst.filter((m) => m.eventType === 'invoice.paid' && m.amount >= 600);
      expect(draft.body.matched).toBe(draftExpected.length);
      const none = await herald.api('POST', `/api/v1/app/acme/endpoint/${ep.body.id}/filter/test`, {
        filter: null,
      });
      expect(none.body.matched).toBe(newestFirst.filter((m) => m.eventType === 'invoice.paid').length);

      const bad = await herald.api('POST', `/api/v1/app/acme/endpoint/${ep.body.id}/filter/test`, {
        filter: { $or: [] },
      });
      expect(bad.status).toBe(422);
      expect(bad.body.detail[0].loc).toEqual(['body', 'filter', '$or']);
    });

    it("answers 404 for another application's endpoint", async () => {
      await herald.api('POST', '/api/v1/app', { name: 'Other', uid: 'other' });
      const ep = await herald.api('POST', '/api/v1/app/other/endpoint', { url: 'https://example.com/o' });
      const res = await herald.api('POST', `/api/v1/app/acme/endpoint/${ep.body.id}/filter/test`, {});
      expect(res.status).toBe(404);
    });
  });
}
