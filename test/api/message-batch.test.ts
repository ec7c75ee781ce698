import { Webhook } from 'standardwebhooks';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { BACKENDS } from '../support/backends.js';
import { heraldWithReceiver } from '../support/scenario.js';

const BATCH = '/api/v1/app/shop/msg/batch';
const invoiceSchema = {
  type: 'object',
  required: ['amount'],
  properties: { amount: { type: 'integer' } },
};

/** `POST /api/v1/app/{app_id}/msg/batch`: many messages, one transaction, one answer per message. */
for (const backend of BACKENDS) {
  describe(`${backend}: batch publish`, () => {
    // The smallest request limit Herald takes, so a batch body's own limit (16 ×) is easy to pass.
    const scenario = heraldWithReceiver(backend, { config: { HERALD_MAX_PAYLOAD_BYTES: '1024' } });
    const secrets = new Map<string, string>();

    beforeAll(async () => {
      const { herald, receiver } = scenario;
      expect((await herald.api('POST', '/api/v1/app', { name: 'Shop', uid: 'shop' })).status).toBe(201);
      await herald.api('POST', '/api/v1/event-type', {
        name: 'invoice.paid',
        description: 'x',
        schemas: { '1': invoiceSchema },
        schemaMode: 'enforce',
      });
      for (const [path, extra] of [
        ['/all', {}],
        ['/eu', { channels: ['eu'] }],
      ] as const) {
        const ep = await herald.api('POST', '/api/v1/app/shop/endpoint', {
          url: receiver.url(path),
          ...extra,
        });
        expect(ep.status).toBe(201);
        const secret = await herald.api('GET', `/api/v1/app/shop/endpoint/${ep.body.id}/secret`);
        secrets.set(path, secret.body.key);
      }
    });

    it('answers one result per message in request order, and every stored message is delivered signed', async () => {
      const { herald, receiver } = scenario;
      receiver.reset();
      const wakeUps = vi.spyOn(herald.ctx.store, 'notifyDue');
      const messages = Array.from({ length: 20 }, (_, i) => ({
        eventType: 'invoice.paid',
        payload: { amount: i },
        tags: ['batch'],
        ...(i % 4 === 0 ? { channels: ['eu'] } : {}),
      }));
      const res = await herald.api('POST', BATCH, { messages });
      expect(res.status).toBe(200);
      expect(res.body.data).toHaveLength(20);
      expect(res.body.data.map((r: { status: number }) => r.status)).toEqual(messages.map(() => 202));
      expect(res.body.data.map((r: { message: { payload: unknown } }) => r.message.payload)).toEqual(
        messages.map((m) => m.payload),
      );
      expect(res.body.data[4].message).toMatchObject({
        eventType: 'invoice.paid',
        channels: ['eu'],
        tags: ['batch'],
      });
      // One transaction, so one wake-up for the workers, not twenty.
      expect(wakeUps).toHaveBeenCalledTimes(1);
      wakeUps.mockRestore();

      // 20 to /all, and the 5 messages on channel "eu" to /eu as well.
      const received = await receiver.waitForRequests(25);
      const ids = new Map<string, string[]>();
      for (const r of received) {
        const data = new Webhook(secrets.get(r.path)!).verify(r.body, r.headers) as { amount: number };
        ids.set(r.path, [...(ids.get(r.path) ?? []), `${r.headers['webhook-id']}:${data.amount}`]);
      }
      const sent = res.body.data.map((r: { message: { id: string } }, i: number) => `${r.message.id}:${i}`);
      expect(ids.get('/all')!.sort()).toEqual([...sent].sort());
      expect(ids.get('/eu')!.sort()).toEqual(sent.filter((_: string, i: number) => i % 4 === 0).sort());
    });

    it('answers a published message with the JSON text that reading it back gives', async () => {
      const { herald } = scenario;
      const message = {
        eventType: 'invoice.paid',
        eventId: 'same-text',
        payload: { amount: 5, note: 'é "quoted" \u2028', nested: { list: [1, null, true] } },
        channels: ['eu', 'us'],
        tags: ['t1'],
        // Not a MessageIn field: a client cannot lower (or raise) the payload limit with it.
        maxPayloadBytes: 1,
      };
      const single = await herald.api('POST', '/api/v1/app/shop/msg', message);
      expect(single.status).toBe(202);
      expect(single.headers.get('content-type')).toBe('application/json; charset=utf-8');
      const read = await herald.api('GET', `/api/v1/app/shop/msg/${single.body.id}`);
      expect(single.text).toBe(withoutDeliverySummary(read.text));
      const batch = await herald.api('POST', BATCH, { messages: [{ ...message, eventId: 'same-text-2' }] });
      const stored = batch.body.data[0].message;
      const again = await herald.api('GET', `/api/v1/app/shop/msg/${stored.id}`);
      expect(batch.text).toBe(`{"data":[{"status":202,"message":${withoutDeliverySummary(again.text)}}]}`);
      const bare = await herald.api('POST', '/api/v1/app/shop/msg?with_content=false', {
        ...message,
        eventId: null,
      });
      expect(bare.body).toMatchObject({ payload: {}, channels: ['eu', 'us'], eventId: null });
    });

    it('stores the good messages of a batch and answers each bad one as Create Message would', async () => {
      const { herald } = scenario;
      const res = await herald.api('POST', BATCH, {
        messages: [
          { eventType: 'invoice.paid', payload: { amount: 1 }, eventId: 'partial-1' },
          { eventType: 'invoice.paid', payload: { amount: 'ten' }, eventId: 'partial-2' },
          { payload: { amount: 3 }, eventId: 'partial-3' },
          { eventType: 'invoice.paid', payload: { amount: 4, note: 'y'.repeat(1100) }, eventId: 'partial-4' },
          { eventType: 'invoice.paid', payload: { amount: 5 }, eventId: 'partial-5' },
        ],
      });
      expect(res.status).toBe(200);
      expect(res.body.data.map((r: { status: number }) => r.status)).toEqual([202, 422, 422, 413, 202]);
      const single = await herald.api('POST', '/api/v1/app/shop/msg', {
        eventType: 'invoice.paid',
        payload: { amount: 'ten' },
      });
      expect(single.status).toBe(422);
      expect(res.body.data[1].error).toEqual({ code: 'validation_error', detail: single.body.detail });
      expect(res.body.data[2].error.detail).toEqual([
        expect.objectContaining({ loc: ['body', 'eventType'], type: 'value_error.missing' }),
      ]);
      expect(res.body.data[3].error).toEqual({
        code: 'payload_too_large',
        detail: expect.stringContaining('1024'),
      });
      for (const [eventId, status] of [
        ['partial-1', 200],
        ['partial-2', 404],
        ['partial-3', 404],
        ['partial-4', 404],
        ['partial-5', 200],
      ] as const) {
        expect((await herald.api('GET', `/api/v1/app/shop/msg/${eventId}`)).status).toBe(status);
      }
    });

    it('answers 409 for an eventId taken earlier, or by an earlier message of the same batch', async () => {
      const { herald } = scenario;
      const earlier = await herald.api('POST', '/api/v1/app/shop/msg', {
        eventType: 'invoice.paid',
        payload: { amount: 1 },
        eventId: 'taken-before',
      });
      expect(earlier.status).toBe(202);
      const res = await herald.api('POST', BATCH, {
        messages: [
          { eventType: 'invoice.paid', payload: { amount: 1 }, eventId: 'taken-before' },
          { eventType: 'invoice.paid', payload: { amount: 2 }, eventId: 'twice-in-batch' },
          { eventType: 'invoice.paid', payload: { amount: 3 }, eventId: 'twice-in-batch' },
          { eventType: 'invoice.paid', payload: { amount: 4 } },
        ],
      });
      expect(res.status).toBe(200);
      expect(res.body.data.map((r: { status: number }) => r.status)).toEqual([409, 202, 409, 202]);
      expect(res.body.data[0].error.code).toBe('conflict');
      expect(res.body.data[2].error).toEqual(res.body.data[0].error);
      const stored = await herald.api('GET', '/api/v1/app/shop/msg/twice-in-batch');
      expect(stored.body.payload).toEqual({ amount: 2 });
      expect((await herald.api('GET', '/api/v1/app/shop/msg/taken-before')).body.id).toBe(earlier.body.id);
    });

    it('refuses a batch of more than 1,000 messages, or of none, as a whole with a 422', async () => {
      const { herald } = scenario;
      const count = async () =>
        (
          await herald.ctx.store.db
            .selectFrom('message')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirst()
        )?.n;
      const before = await count();
      const tooMany = Array.from({ length: 1_001 }, () => ({}));
      for (const [messages, got] of [
        [tooMany, 1_001],
        [[], 0],
      ] as const) {
        const res = await herald.api('POST', BATCH, { messages });
        expect(res.status).toBe(422);
        expect(res.body.detail).toEqual([
          {
            loc: ['body', 'messages'],
            msg: `messages: a batch holds 1 to 1000 messages, got ${got}`,
            type: got === 0 ? 'value_error.list.min_items' : 'value_error.list.max_items',
          },
        ]);
      }
      const notABatch = await herald.api('POST', BATCH, { eventType: 'x.y', payload: {} });
      expect(notABatch.status).toBe(422);
      expect(notABatch.body.detail[0].loc).toEqual(['body', 'messages']);
      expect(await count()).toEqual(before);
    });

    it('refuses a body over 16 × HERALD_MAX_PAYLOAD_BYTES with a 413 that gives the limit', async () => {
      const { herald } = scenario;
      const messages = Array.from({ length: 20 }, () => ({
        eventType: 'x.y',
        payload: { note: 'z'.repeat(900) },
      }));
      const res = await herald.api('POST', BATCH, { messages });
      expect(res.status).toBe(413);
      expect(res.body).toEqual({ code: 'payload_too_large', detail: expect.stringContaining('16384 bytes') });
    });

    it('replays the first answer to a batch sent again with the same Idempotency-Key, storing nothing twice', async () => {
      const { herald } = scenario;
      const body = { messages: [{ eventType: 'invoice.paid', payload: { amount: 7007 } }] };
      const headers = { 'idempotency-key': `batch-${backend}` };
      const first = await herald.api('POST', BATCH, body, headers);
      const again = await herald.api('POST', BATCH, body, headers);
      expect(first.status).toBe(200);
      expect(again.status).toBe(200);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(again.body).toEqual(first.body);
      const id = first.body.data[0].message.id;
      const rows = await herald.ctx.store.db
        .selectFrom('message')
        .select('id')
        .where('payload', '=', JSON.stringify({ amount: 7007 }))
        .execute();
      expect(rows.map((r) => r.id)).toEqual([id]);
      const countMessages = async () =>
        (await herald.ctx.store.db.selectFrom('message').select('id').execute()).length;
      const stored = await countMessages();
      const other = await herald.api(
        'POST',
        BATCH,
        { messages: [...body.messages, ...body.messages] },
        headers,
      );
      // As Svix does: a key used again with another body gets the first answer back, and stores nothing.
      expect(other.status).toBe(200);
      expect(other.body).toEqual(first.body);
      expect(await countMessages()).toBe(stored);
    });

    it('answers 404 for an application that does not exist, storing nothing', async () => {
      const { herald } = scenario;
      const res = await herald.api('POST', '/api/v1/app/nope/msg/batch', {
        messages: [{ eventType: 'invoice.paid', payload: { amount: 1 } }],
      });
      expect(res.status).toBe(404);
      expect((await herald.api('GET', '/api/v1/app/nope')).status).toBe(404);
    });
  });
}

/**
 * A message read back carries Herald's delivery summary (`deliveryStatus`, `deliveries`: the
 * last two fields), which changes as the worker delivers; the 202 is the MessageOut before it.
 */
function withoutDeliverySummary(text: string): string {
  const at = text.indexOf(',"deliveryStatus":');
  expect(at).toBeGreaterThan(0);
  return `${text.slice(0, at)}}`;
}
