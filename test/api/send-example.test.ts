import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/backends.js';
import { startTestHerald, type TestHerald } from '../support/herald.js';
import { type Receiver, startReceiver } from '../support/receiver.js';

const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ??
  addFormatsModule) as unknown as (ajv: Ajv2020) => Ajv2020;

const paidExamples = [
  { id: 'in_1', amount: 1200, currency: 'usd' },
  { id: 'in_2', amount: 99, currency: 'eur' },
];
const paidSchema = {
  type: 'object',
  required: ['id', 'amount', 'currency'],
  properties: {
    id: { type: 'string', pattern: '^in_' },
    amount: { type: 'integer', minimum: 1 },
    currency: { type: 'string', enum: ['usd', 'eur'] },
  },
  examples: paidExamples,
};
const createdSchema = {
  type: 'object',
  required: ['id', 'email', 'created_at'],
  properties: {
    id: { type: 'string', pattern: '^cus_[0-9a-zA-Z]{8}$' },
    email: { type: 'string', format: 'email' },
    created_at: { type: 'string', format: 'date-time' },
  },
};

for (const backend of BACKENDS) {
  describe(`${backend}: send-example`, () => {
    let herald: TestHerald;
    let receiver: Receiver;
    const endpoints: Record<string, string> = {};

    const deliveriesOf = (msgId: string) =>
      herald.ctx.store.db.selectFrom('delivery').select('endpoint_id').where('msg_id', '=', msgId).execute();
    const sendExample = (endpoint: string, body: Record<string, unknown>, headers?: Record<string, string>) =>
      herald.api('POST', `/api/v1/app/acme/endpoint/${endpoint}/send-example`, body, headers);

    beforeAll(async () => {
      herald = await startTestHerald(backend);
      receiver = await startReceiver();
      await herald.api('POST', '/api/v1/app', { name: 'Acme', uid: 'acme' });
      for (const eventType of [
        { name: 'invoice.paid', description: 'x', schemas: { '1': paidSchema } },
        { name: 'customer.created', description: 'x', schemas: { '1': createdSchema } },
        { name: 'note.added', description: 'x' },
        { name: 'other.thing', description: 'x' },
      ]) {
        expect((await herald.api('POST', '/api/v1/event-type', eventType)).status).toBe(201);
      }
      for (const [key, filterTypes] of [
        ['a', null],
        ['b', null],
        ['filtered', ['other.thing']],
      ] as const) {
        const answer = await herald.api('POST', '/api/v1/app/acme/endpoint', {
          url: receiver.url(`/${key}`),
          uid: `ep-${key}`,
          filterTypes,
        });
        expect(answer.status).toBe(201);
        endpoints[key] = answer.body.id;
      }
    });
    beforeEach(() => receiver.reset());
    afterAll(async () => {
      await herald?.stop();
      await receiver?.close();
    });

    it("delivers the schema's first example to that endpoint only", async () => {
      const answer = await sendExample('ep-a', { eventType: 'invoice.paid' });
      expect(answer.status).toBe(202);
      expect(answer.body).toMatchObject({ eventType: 'invoice.paid', payload: paidExamples[0] });
      expect(answer.body.id).toMatch(/^msg_/);

      expect(await deliveriesOf(answer.body.id)).toEqual([{ endpoint_id: endpoints.a }]);
      const [request] = await receiver.waitForRequests(1);
      expect(request!.path).toBe('/a');
      expect(request!.headers['webhook-id']).toBe(answer.body.id);
      expect(JSON.parse(request!.body)).toEqual(paidExamples[0]);
    });

    it('sends the example that exampleIndex picks, and refuses an index past the last one', async () => {
      const second = await sendExample(endpoints.b!, { eventType: 'invoice.paid', exampleIndex: 1 });
      expect(second.status).toBe(202);
      const [request] = await receiver.waitForRequests(1);
      expect(request!.path).toBe('/b');
      expect(JSON.parse(request!.body)).toEqual(paidExamples[1]);

      const past = await sendExample('ep-a', { eventType: 'invoice.paid', exampleIndex: 2 });
      expect(past.status).toBe(422);
      expect(past.body.detail[0].loc).toEqual(['body', 'exampleIndex']);
    });

    it('generates an example that matches the schema when the schema has none', async () => {
      const answer = await sendExample('ep-a', { eventType: 'customer.created' });
      expect(answer.status).toBe(202);
      const [request] = await receiver.waitForRequests(1);
      const payload = JSON.parse(request!.body);
      const validate = addFormats(new Ajv2020({ strict: false })).compile(createdSchema);
      expect(validate(payload)).toBe(true);
      expect(payload).toEqual(answer.body.payload);
    });

    it('sends a { type, data } placeholder for an event type without a schema', async () => {
      await sendExample('ep-a', { eventType: 'note.added' });
      const [request] = await receiver.waitForRequests(1);
      expect(JSON.parse(request!.body)).toEqual({ type: 'note.added', data: {} });
    });

    it('reaches the endpoint even when its filter does not include the event type', async () => {
      const answer = await sendExample('ep-filtered', { eventType: 'invoice.paid' });
      expect(answer.status).toBe(202);
      const [request] = await receiver.waitForRequests(1);
      expect(request!.path).toBe('/filtered');
    });

    it('answers 404 for an event type that is not in the catalog, and for an unknown endpoint', async () => {
      const unknownType = await sendExample('ep-a', { eventType: 'invoice.unknown' });
      expect(unknownType.status).toBe(404);
      const unknownEndpoint = await sendExample('ep-nope', { eventType: 'invoice.paid' });
      expect(unknownEndpoint.status).toBe(404);
      const messages = await herald.api('GET', '/api/v1/app/acme/msg?limit=250');
      expect(messages.body.data.map((m: { eventType: string }) => m.eventType)).not.toContain(
        'invoice.unknown',
      );
    });

    it('answers 404 to a portal token of another application (no existence oracle)', async () => {
      await herald.api('POST', '/api/v1/app', { name: 'Other', uid: 'other' });
      const access = await herald.api('POST', '/api/v1/auth/app-portal-access/other', {});
      const answer = await sendExample(
        'ep-a',
        { eventType: 'invoice.paid' },
        { authorization: `Bearer ${access.body.token}` },
      );
      expect(answer.status).toBe(404);
    });
  });
}
