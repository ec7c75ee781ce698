import { describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/backends.js';
import { heraldWithReceiver } from '../support/scenario.js';

for (const backend of BACKENDS) {
  describe(`${backend}: ordering fields of endpoints and messages`, () => {
    const scenario = heraldWithReceiver(backend, { worker: false });
    let n = 0;

    async function appWithEndpoint(fields: Record<string, unknown> = {}) {
      const app = `ord${++n}`;
      await scenario.herald.api('POST', '/api/v1/app', { name: app, uid: app });
      const res = await scenario.herald.api('POST', `/api/v1/app/${app}/endpoint`, {
        url: scenario.receiver.url('/'),
        ...fields,
      });
      return { app, res };
    }
    const lineKeys = (endpointId: string) =>
      scenario.herald.ctx.store.db
        .selectFrom('delivery')
        .select('ordering_key')
        .where('endpoint_id', '=', endpointId)
        .orderBy('msg_id')
        .execute()
        .then((rows) => rows.map((r) => r.ordering_key));

    it('answers the ordering fields, with their defaults, and keeps them on a PUT that leaves them out', async () => {
      const { app, res } = await appWithEndpoint();
      expect(res.body).toMatchObject({ ordering: 'none', fifoOnExhausted: 'block', fifoBatchSize: 1 });
      const id = res.body.id as string;
      const patched = await scenario.herald.api('PATCH', `/api/v1/app/${app}/endpoint/${id}`, {
        ordering: 'fifo',
        fifoOnExhausted: 'skip',
        fifoBatchSize: 50,
      });
      expect(patched.body).toMatchObject({ ordering: 'fifo', fifoOnExhausted: 'skip', fifoBatchSize: 50 });
      const put = await scenario.herald.api('PUT', `/api/v1/app/${app}/endpoint/${id}`, {
        url: scenario.receiver.url('/moved'),
      });
      expect(put.body).toMatchObject({ ordering: 'fifo', fifoOnExhausted: 'skip', fifoBatchSize: 50 });
    });

    it('refuses unknown ordering values with a 422 naming the field', async () => {
      for (const [field, value] of [
        ['ordering', 'lifo'],
        ['fifoOnExhausted', 'retry'],
        ['fifoBatchSize', 101],
        ['fifoBatchSize', 0],
      ] as const) {
        const { res } = await appWithEndpoint({ [field]: value });
        expect(res.status).toBe(422);
        expect(res.body.detail[0].loc).toEqual(['body', field]);
      }
      const { app } = await appWithEndpoint();
      const msg = await scenario.herald.api('POST', `/api/v1/app/${app}/msg`, {
        eventType: 'e',
        payload: {},
        orderingKey: '',
      });
      expect(msg.status).toBe(422);
    });

    it('answers a message with its orderingKey, and without one when it has none', async () => {
      const { app } = await appWithEndpoint();
      const keyed = await scenario.herald.api('POST', `/api/v1/app/${app}/msg`, {
        eventType: 'e',
        payload: {},
        orderingKey: 'sub_1',
      });
      expect(keyed.body.orderingKey).toBe('sub_1');
      const fetched = await scenario.herald.api('GET', `/api/v1/app/${app}/msg/${keyed.body.id}`);
      expect(fetched.body.orderingKey).toBe('sub_1');
      const plain = await scenario.herald.api('POST', `/api/v1/app/${app}/msg`, {
        eventType: 'e',
        payload: {},
      });
      expect(plain.body).not.toHaveProperty('orderingKey');
    });

    it("moves a live endpoint's owed deliveries into their keys' lines when it becomes FIFO, and out again", async () => {
      const { app, res } = await appWithEndpoint();
      const id = res.body.id as string;
      for (const orderingKey of ['a', undefined, 'b'])
        await scenario.herald.api('POST', `/api/v1/app/${app}/msg`, {
          eventType: 'e',
          payload: {},
          orderingKey,
        });
      expect(await lineKeys(id)).toEqual([null, null, null]);
      await scenario.herald.api('PATCH', `/api/v1/app/${app}/endpoint/${id}`, { ordering: 'fifo' });
      expect(await lineKeys(id)).toEqual(['a', '', 'b']);
      await scenario.herald.api('POST', `/api/v1/app/${app}/msg`, {
        eventType: 'e',
        payload: {},
        orderingKey: 'c',
      });
      expect(await lineKeys(id)).toEqual(['a', '', 'b', 'c']);
      await scenario.herald.api('PATCH', `/api/v1/app/${app}/endpoint/${id}`, { ordering: 'none' });
      expect(await lineKeys(id)).toEqual([null, null, null, null]);
    });
  });
}
