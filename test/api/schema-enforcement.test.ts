import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/backends.js';
import { startTestHerald, type TestHerald } from '../support/herald.js';
import { type Receiver, startReceiver } from '../support/receiver.js';

const invoiceSchema = {
  type: 'object',
  required: ['id', 'amount'],
  properties: { id: { type: 'string' }, amount: { type: 'integer' }, customer: { type: 'object' } },
};
const SECRET_VALUE = 'card-4242-do-not-log';

/** Creates an application and an event type; returns nothing, the test reads the API. */
async function setUp(herald: TestHerald, eventTypes: Array<Record<string, unknown>>) {
  expect((await herald.api('POST', '/api/v1/app', { name: 'Acme', uid: 'acme' })).status).toBe(201);
  for (const eventType of eventTypes) {
    const answer = await herald.api('POST', '/api/v1/event-type', eventType);
    expect(answer.status).toBe(201);
  }
}

const publish = (herald: TestHerald, eventType: string, payload: Record<string, unknown>) =>
  herald.api('POST', '/api/v1/app/acme/msg', { eventType, payload });

async function schemaViolationCount(herald: TestHerald, eventType: string, mode: string): Promise<number> {
  const res = await fetch(`${herald.url}/metrics`);
  const text = await res.text();
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`herald_schema_violations_total{event_type="${eventType}",mode="${mode}"}`));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

for (const backend of BACKENDS) {
  describe(`${backend}: payloads are checked against the catalog at publish`, () => {
    let herald: TestHerald;

    beforeAll(async () => {
      herald = await startTestHerald(backend, { worker: false });
      await setUp(herald, [{ name: 'invoice.paid', description: 'x', schemas: { '1': invoiceSchema } }]);
    });
    afterAll(async () => {
      await herald?.stop();
    });

    it('refuses a non-conforming payload with the JSON pointer and rule of each violation, storing nothing', async () => {
      const answer = await publish(herald, 'invoice.paid', { amount: 'ten', customer: 'cus_1' });
      expect(answer.status).toBe(422);
      expect(answer.body.detail).toEqual(
        expect.arrayContaining([
          {
            loc: ['body', 'payload', 'id'],
            msg: 'payload/id: is required',
            type: 'value_error.jsonschema.required',
          },
          expect.objectContaining({
            loc: ['body', 'payload', 'amount'],
            type: 'value_error.jsonschema.type',
          }),
          expect.objectContaining({
            loc: ['body', 'payload', 'customer'],
            type: 'value_error.jsonschema.type',
          }),
        ]),
      );
      expect(answer.body.detail).toHaveLength(3);
      const messages = await herald.api('GET', '/api/v1/app/acme/msg');
      expect(messages.body.data).toEqual([]);
      expect(await schemaViolationCount(herald, 'invoice.paid', 'enforce')).toBe(1);
    });

    it('accepts a conforming payload', async () => {
      expect((await publish(herald, 'invoice.paid', { id: 'in_1', amount: 10 })).status).toBe(202);
    });

    it('applies a schema change made through the API to the very next message', async () => {
      expect((await publish(herald, 'invoice.paid', { id: 'in_2', amount: 10 })).status).toBe(202);
      const stricter = { ...invoiceSchema, required: ['id', 'amount', 'currency'] };
      const patched = await herald.api('PATCH', '/api/v1/event-type/invoice.paid', {
        schemas: { '1': invoiceSchema, '2': stricter },
      });
      expect(patched.status).toBe(200);
      const refused = await publish(herald, 'invoice.paid', { id: 'in_3', amount: 10 });
      expect(refused.status).toBe(422);
      expect(refused.body.detail).toEqual([
        expect.objectContaining({
          loc: ['body', 'payload', 'currency'],
          type: 'value_error.jsonschema.required',
        }),
      ]);
      expect(
        (await publish(herald, 'invoice.paid', { id: 'in_3', amount: 10, currency: 'usd' })).status,
      ).toBe(202);
    });

    it('in warn mode accepts the payload, logs the violations without the payload, and counts them', async () => {
      await herald.api('POST', '/api/v1/event-type', {
        name: 'invoice.warned',
        description: 'x',
        schemas: { '1': invoiceSchema },
        schemaMode: 'warn',
      });
      const before = await schemaViolationCount(herald, 'invoice.warned', 'warn');
      const answer = await publish(herald, 'invoice.warned', { amount: 'ten', card: SECRET_VALUE });
      expect(answer.status).toBe(202);
      expect(await schemaViolationCount(herald, 'invoice.warned', 'warn')).toBe(before + 1);
      const warnings = herald.logs.filter((l) => l.includes('does not match its event type schema'));
      expect(warnings).toHaveLength(1);
      const entry = JSON.parse(warnings[0]!);
      expect(entry.level).toBe(40);
      expect(entry.eventType).toBe('invoice.warned');
      expect(entry.violations).toEqual(
        expect.arrayContaining([expect.objectContaining({ pointer: '/id', rule: 'required' })]),
      );
      expect(herald.logs.join('\n')).not.toContain(SECRET_VALUE);
    });

    it('in off mode does not check the payload', async () => {
      await herald.api('PATCH', '/api/v1/event-type/invoice.warned', { schemaMode: 'off' });
      const before = await schemaViolationCount(herald, 'invoice.warned', 'warn');
      expect((await publish(herald, 'invoice.warned', { amount: 'ten' })).status).toBe(202);
      expect(await schemaViolationCount(herald, 'invoice.warned', 'warn')).toBe(before);
    });

    it('accepts any payload for an event type without a schema', async () => {
      await herald.api('POST', '/api/v1/event-type', { name: 'note.added', description: 'x' });
      expect((await publish(herald, 'note.added', { anything: [1, 2] })).status).toBe(202);
    });

    it('accepts an event type that is not in the catalog by default', async () => {
      expect((await publish(herald, 'not.in.catalog', { x: 1 })).status).toBe(202);
    });

    it('refuses messages of an archived event type, and accepts them again once it is recreated', async () => {
      await herald.api('POST', '/api/v1/event-type', { name: 'invoice.old', description: 'x' });
      await herald.api('DELETE', '/api/v1/event-type/invoice.old');
      const refused = await publish(herald, 'invoice.old', { id: 'x' });
      expect(refused.status).toBe(422);
      expect(refused.body.detail).toEqual([
        expect.objectContaining({ loc: ['body', 'eventType'], type: 'value_error.event_type.archived' }),
      ]);
      await herald.api('POST', '/api/v1/event-type', { name: 'invoice.old', description: 'x' });
      expect((await publish(herald, 'invoice.old', { id: 'x' })).status).toBe(202);
    });

    it('accepts messages of a deprecated event type and logs a warning once', async () => {
      await herald.api('POST', '/api/v1/event-type', {
        name: 'invoice.legacy',
        description: 'x',
        deprecated: true,
      });
      expect((await publish(herald, 'invoice.legacy', { id: 'x' })).status).toBe(202);
      expect((await publish(herald, 'invoice.legacy', { id: 'y' })).status).toBe(202);
      const warnings = herald.logs
        .filter((l) => l.includes('deprecated event type'))
        .map((l) => JSON.parse(l) as { eventType: string; level: number });
      expect(warnings).toEqual([expect.objectContaining({ eventType: 'invoice.legacy', level: 40 })]);
    });
  });

  describe(`${backend}: the global schema mode and HERALD_REQUIRE_KNOWN_EVENT_TYPES`, () => {
    let herald: TestHerald;

    beforeAll(async () => {
      herald = await startTestHerald(backend, {
        worker: false,
        config: { HERALD_SCHEMA_MODE: 'warn', HERALD_REQUIRE_KNOWN_EVENT_TYPES: 'true' },
      });
      await setUp(herald, [
        { name: 'invoice.paid', description: 'x', schemas: { '1': invoiceSchema } },
        { name: 'invoice.strict', description: 'x', schemas: { '1': invoiceSchema }, schemaMode: 'enforce' },
      ]);
    });
    afterAll(async () => {
      await herald?.stop();
    });

    it('refuses an event type that is not in the catalog, naming eventType', async () => {
      const answer = await publish(herald, 'not.in.catalog', { x: 1 });
      expect(answer.status).toBe(422);
      expect(answer.body.detail).toEqual([
        expect.objectContaining({ loc: ['body', 'eventType'], type: 'value_error.event_type.unknown' }),
      ]);
      expect(answer.body.detail[0].msg).toContain('not.in.catalog');
    });

    it('follows HERALD_SCHEMA_MODE=warn for event types without a mode of their own', async () => {
      expect((await publish(herald, 'invoice.paid', { amount: 'ten' })).status).toBe(202);
      expect(await schemaViolationCount(herald, 'invoice.paid', 'warn')).toBe(1);
    });

    it("lets an event type's own mode override the global one", async () => {
      const answer = await publish(herald, 'invoice.strict', { amount: 'ten' });
      expect(answer.status).toBe(422);
      expect(answer.body.detail[0].loc[0]).toBe('body');
      expect(answer.body.detail[0].loc[1]).toBe('payload');
    });
  });

  describe(`${backend}: HERALD_SCHEMA_MODE=off`, () => {
    let herald: TestHerald;

    beforeAll(async () => {
      herald = await startTestHerald(backend, { worker: false, config: { HERALD_SCHEMA_MODE: 'off' } });
      await setUp(herald, [{ name: 'invoice.paid', description: 'x', schemas: { '1': invoiceSchema } }]);
    });
    afterAll(async () => {
      await herald?.stop();
    });

    it('accepts non-conforming payloads without counting them', async () => {
      expect((await publish(herald, 'invoice.paid', { amount: 'ten' })).status).toBe(202);
      expect(await schemaViolationCount(herald, 'invoice.paid', 'enforce')).toBe(0);
      expect(await schemaViolationCount(herald, 'invoice.paid', 'warn')).toBe(0);
    });
  });

  describe(`${backend}: wildcard endpoint filters`, () => {
    let herald: TestHerald;
    let receiver: Receiver;

    beforeAll(async () => {
      herald = await startTestHerald(backend);
      receiver = await startReceiver();
      await setUp(
        herald,
        ['invoice.paid', 'invoice.voided', 'customer.created'].map((name) => ({ name, description: name })),
      );
    });
    afterAll(async () => {
      await herald?.stop();
      await receiver?.close();
    });

    it('delivers the event types that match invoice.* and no others', async () => {
      const endpoint = await herald.api('POST', '/api/v1/app/acme/endpoint', {
        url: receiver.url('/hook'),
        filterTypes: ['invoice.*'],
      });
      expect(endpoint.status).toBe(201);
      expect(endpoint.body.filterTypes).toEqual(['invoice.*']);
      for (const eventType of ['customer.created', 'invoice.paid', 'invoicex.paid', 'invoice.voided']) {
        expect((await publish(herald, eventType, { type: eventType })).status).toBe(202);
      }
      // Deliveries are written with the message, so these are all the receiver will ever get.
      const deliveries = await herald.ctx.store.db.selectFrom('delivery').select('msg_id').execute();
      expect(deliveries).toHaveLength(2);
      const requests = await receiver.waitForRequests(2);
      expect(requests.map((r) => JSON.parse(r.body).type).sort()).toEqual(['invoice.paid', 'invoice.voided']);
    });

    it('refuses a filter naming an event type that does not exist, and a malformed wildcard', async () => {
      const unknown = await herald.api('POST', '/api/v1/app/acme/endpoint', {
        url: receiver.url('/hook'),
        filterTypes: ['invoice.refunded'],
      });
      expect(unknown.status).toBe(422);
      expect(unknown.body.detail[0].loc).toEqual(['body', 'filterTypes']);
      const malformed = await herald.api('POST', '/api/v1/app/acme/endpoint', {
        url: receiver.url('/hook'),
        filterTypes: ['invoice*'],
      });
      expect(malformed.status).toBe(422);
    });
  });
}
