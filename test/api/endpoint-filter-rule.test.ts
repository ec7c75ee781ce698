import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/backends.js';
import { startTestHerald, type TestHerald } from '../support/herald.js';

for (const backend of BACKENDS) {
  describe(`${backend}: an endpoint's event type filter follows one rule`, () => {
    let herald: TestHerald;
    beforeAll(async () => {
      herald = await startTestHerald(backend, { worker: false });
      await herald.api('POST', '/api/v1/app', { name: 'Acme', uid: 'acme' });
      await herald.api('POST', '/api/v1/event-type', {
        name: 'order.created',
        description: 'in the catalog',
      });
      await herald.api('POST', '/api/v1/event-type', { name: 'order.retired', description: 'archived' });
      await herald.api('DELETE', '/api/v1/event-type/order.retired');
      // Published without being in the catalog (accepted, as in Svix): still not subscribable by name.
      const published = await herald.api('POST', '/api/v1/app/acme/msg', {
        eventType: 'order.shipped',
        payload: {},
      });
      expect(published.status).toBe(202);
    });
    afterAll(async () => herald?.stop());

    const url = 'https://example.com/hooks';

    it('refuses an exact name that is not in the catalog, published before or not, on create, PUT and PATCH', async () => {
      const ep = await herald.api('POST', '/api/v1/app/acme/endpoint', { url, uid: 'main' });
      expect(ep.status).toBe(201);
      for (const name of ['order.shipped', 'order.never-seen', 'order.retired']) {
        for (const field of ['filterTypes', 'eventTypes']) {
          const answers = [
            await herald.api('POST', '/api/v1/app/acme/endpoint', { url, [field]: [name] }),
            await herald.api('PUT', '/api/v1/app/acme/endpoint/main', { url, [field]: [name] }),
            await herald.api('PATCH', '/api/v1/app/acme/endpoint/main', { [field]: [name] }),
          ];
          for (const answer of answers) {
            expect(answer.status).toBe(422);
            expect(answer.body.detail[0].loc).toEqual(['body', field]);
            expect(answer.body.detail[0].msg).toContain(`"${name}" is not in the catalog`);
          }
        }
      }
    });

    it('accepts a name in the catalog and any well-formed wildcard, in either spelling', async () => {
      const exact = await herald.api('POST', '/api/v1/app/acme/endpoint', {
        url,
        filterTypes: ['order.created'],
      });
      expect(exact.status).toBe(201);
      expect(exact.body.eventTypes).toEqual(['order.created']);
      const wildcard = await herald.api('POST', '/api/v1/app/acme/endpoint', {
        url,
        eventTypes: ['refund.*'],
      });
      expect(wildcard.status).toBe(201);
      expect(wildcard.body.filterTypes).toEqual(['refund.*']);
    });

    it('checks the list that is stored when both spellings are sent', async () => {
      const both = await herald.api('POST', '/api/v1/app/acme/endpoint', {
        url,
        eventTypes: ['order.created'],
        filterTypes: ['order.shipped'],
      });
      expect(both.status).toBe(201);
      expect(both.body.eventTypes).toEqual(['order.created']);
    });
  });
}
