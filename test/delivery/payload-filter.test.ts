import { describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/backends.js';
import { eventually } from '../support/herald.js';
import { heraldWithReceiver } from '../support/scenario.js';

const CURRENCIES = ['eur', 'usd', 'gbp', 'chf'];
const TYPES = ['invoice.paid', 'invoice.voided', 'order.updated'];

/** Message `n` of the mixed set: every type, currency, amount and status in turn. */
function mixed(n: number) {
  return {
    eventType: TYPES[n % TYPES.length]!,
    payload: {
      n,
      data: {
        amount: (n * 37) % 20_000,
        currency: CURRENCIES[n % CURRENCIES.length],
        status: n % 5 === 0 ? 'shipped' : 'pending',
        ...(n % 7 === 0 ? { items: [{ sku: `sku-${n % 3}` }] } : {}),
      },
    },
    channels: n % 2 === 0 ? ['eu'] : ['us'],
  };
}

const filter = {
  'data.currency': { $in: ['eur', 'chf'] },
  'data.amount': { $gte: 10_000 },
  $or: [{ $eventType: 'invoice.paid' }, { 'data.items.sku': 'sku-1' }],
};
/** The filter above, written out by hand: what the filtered endpoint must receive. */
function wanted(m: ReturnType<typeof mixed>): boolean {
  const { currency, amount, items } = m.payload.data as {
    currency: string;
    amount: number;
    items?: { sku: string }[];
  };
  return (
    ['eur', 'chf'].includes(currency) &&
    amount >= 10_000 &&
    (m.eventType === 'invoice.paid' || (items ?? []).some((i) => i.sku === 'sku-1'))
  );
}

for (const backend of BACKENDS) {
  describe(`${backend}: payload filters at fan-out`, () => {
    const scenario = heraldWithReceiver(backend);

    it('gives a filtered endpoint exactly the matching subset of 1,000 mixed messages, and an unfiltered one all', async () => {
      const { herald, receiver } = scenario;
      receiver.reset();
      await herald.api('POST', '/api/v1/app', { name: 'Mixed', uid: 'mixed' });
      const all = await herald.api('POST', '/api/v1/app/mixed/endpoint', { url: receiver.url('/all') });
      const some = await herald.api('POST', '/api/v1/app/mixed/endpoint', {
        url: receiver.url('/some'),
        filter,
      });
      expect([all.status, some.status]).toEqual([201, 201]);

      const messages = Array.from({ length: 1_000 }, (_, n) => mixed(n));
      const batch = await herald.api('POST', '/api/v1/app/mixed/msg/batch', { messages });
      expect(batch.status).toBe(200);
      const ids: string[] = batch.body.data.map((r: { status: number; message: { id: string } }) => {
        expect(r.status).toBe(202);
        return r.message.id;
      });
      const expected = ids.filter((_, n) => wanted(messages[n]!)).sort();
      expect(expected.length).toBeGreaterThan(20);
      expect(expected.length).toBeLessThan(200);

      await receiver.waitForRequests(1_000 + expected.length, 60_000);
      const received = (path: string) =>
        receiver.requests.filter((r) => r.path === path).map((r) => r.headers['webhook-id']!);
      await eventually(
        () => received('/all').length === 1_000 && received('/some').length === expected.length,
      );
      expect(new Set(received('/all')).size).toBe(1_000);
      expect([...received('/some')].sort()).toEqual(expected);

      // A filtered-out message left no delivery: nothing in the endpoint's message list or attempts.
      const listed: string[] = [];
      let iterator: string | null = null;
      for (;;) {
        const q: string = iterator ? `?limit=250&iterator=${iterator}` : '?limit=250';
        const page = await herald.api('GET', `/api/v1/app/mixed/endpoint/${some.body.id}/msg${q}`);
        listed.push(...page.body.data.map((m: { id: string }) => m.id));
        if (page.body.done) break;
        iterator = page.body.iterator;
      }
      expect(listed.sort()).toEqual(expected);
      const skipped = ids.find((_, n) => !wanted(messages[n]!))!;
      const attempts = await herald.api('GET', `/api/v1/app/mixed/msg/${skipped}/endpoint`);
      expect(attempts.body.data.map((e: { id: string }) => e.id)).toEqual([all.body.id]);
    });

    it('applies every operator and combinator as stored, unicode and deep payloads included', async () => {
      const { herald, receiver } = scenario;
      receiver.reset();
      await herald.api('POST', '/api/v1/app', { name: 'Operators', uid: 'operators' });
      let deep: Record<string, unknown> = { leaf: 'bottom' };
      for (let i = 0; i < 30; i++) deep = { n: deep };
      const payloads: Record<string, Record<string, unknown>> = {
        eur: {
          data: { amount: 12_000, currency: 'eur', tags: ['vip'], name: 'Zoë 🚀', items: [{ sku: 'A1' }] },
        },
        usd: { data: { amount: 50, currency: 'usd', tags: [], name: 'Bob', coupon: null } },
        text: { data: { amount: '12000', currency: 'EUR' } },
        deep: { deep },
      };
      const cases: Array<[string, Record<string, unknown>, string[]]> = [
        ['eq', { 'data.currency': 'eur' }, ['eur']],
        ['neq', { 'data.currency': { $neq: 'eur' } }, ['usd', 'text', 'deep']],
        ['gt-mismatch', { 'data.amount': { $gt: 100 } }, ['eur']],
        ['gte-lte', { 'data.amount': { $gte: 50, $lte: 50 } }, ['usd']],
        ['lt-string', { 'data.currency': { $lt: 'a' } }, ['text']],
        ['in', { 'data.currency': { $in: ['usd', 'EUR'] } }, ['usd', 'text']],
        ['nin', { 'data.currency': { $nin: ['usd', 'EUR'] } }, ['eur', 'deep']],
        ['exists-null', { 'data.coupon': { $exists: true } }, ['usd']],
        ['missing', { 'data.amount': { $exists: false } }, ['deep']],
        ['unicode', { 'data.name': { $startsWith: 'Zoë', $endsWith: '🚀' } }, ['eur']],
        ['contains', { 'data.tags': { $contains: 'vip' } }, ['eur']],
        ['any-element', { 'data.items.sku': 'A1' }, ['eur']],
        ['deep', { [`deep.${'n.'.repeat(30)}leaf`]: 'bottom' }, ['deep']],
        [
          'or-not',
          { $or: [{ 'data.currency': 'usd' }, { $not: { 'data.amount': { $exists: true } } }] },
          ['usd', 'deep'],
        ],
        [
          'and-event',
          { $and: [{ $eventType: { $endsWith: '.paid' } }, { 'data.currency': { $in: ['eur', 'usd'] } }] },
          ['eur', 'usd'],
        ],
      ];
      const endpoints = new Map<string, string>();
      for (const [name, filter] of cases) {
        const res = await herald.api('POST', '/api/v1/app/operators/endpoint', {
          url: receiver.url(`/${name}`),
          filter,
        });
        expect(res.status).toBe(201);
        expect(res.body.filter).toEqual(filter);
      }
      for (const [label, payload] of Object.entries(payloads)) {
        const res = await herald.api('POST', '/api/v1/app/operators/msg', {
          eventType: 'invoice.paid',
          payload,
        });
        expect(res.status).toBe(202);
        endpoints.set(res.body.id, label);
      }
      const expected = cases.reduce((sum, [, , wanted]) => sum + wanted.length, 0);
      await receiver.waitForRequests(expected);
      await new Promise((r) => setTimeout(r, 300));
      for (const [name, , wanted] of cases) {
        const got = receiver.requests
          .filter((r) => r.path === `/${name}`)
          .map((r) => endpoints.get(r.headers['webhook-id']!))
          .sort();
        expect({ name, got }).toEqual({ name, got: [...wanted].sort() });
      }
    });

    it('applies a filter changed since to the very next message', async () => {
      const { herald, receiver } = scenario;
      receiver.reset();
      await herald.api('POST', '/api/v1/app', { name: 'Changing', uid: 'changing' });
      const ep = await herald.api('POST', '/api/v1/app/changing/endpoint', {
        url: receiver.url('/changing'),
        filter: { 'data.region': 'eu' },
      });
      const send = async (region: string) =>
        (
          await herald.api('POST', '/api/v1/app/changing/msg', {
            eventType: 'x.y',
            payload: { data: { region } },
          })
        ).body.id as string;
      const eu = await send('eu');
      await send('us');
      await herald.api('PATCH', `/api/v1/app/changing/endpoint/${ep.body.id}`, {
        filter: { 'data.region': 'us' },
      });
      await send('eu');
      const us = await send('us');
      await receiver.waitForRequests(2);
      await new Promise((r) => setTimeout(r, 300));
      expect(receiver.requests.map((r) => r.headers['webhook-id'])).toEqual([eu, us]);
    });

    it('still sends a filtered-out message that is resent to the endpoint explicitly', async () => {
      const { herald, receiver } = scenario;
      receiver.reset();
      await herald.api('POST', '/api/v1/app', { name: 'Resend', uid: 'resend' });
      const ep = await herald.api('POST', '/api/v1/app/resend/endpoint', {
        url: receiver.url('/resend'),
        filter: { 'data.amount': { $gt: 100 } },
      });
      const small = await herald.api('POST', '/api/v1/app/resend/msg', {
        eventType: 'x.y',
        payload: { data: { amount: 5 } },
      });
      // Filtered out at fan-out: the message has no delivery to the endpoint at all.
      const before = await herald.api('GET', `/api/v1/app/resend/msg/${small.body.id}/endpoint`);
      expect(before.body.data).toEqual([]);
      const resend = await herald.api(
        'POST',
        `/api/v1/app/resend/msg/${small.body.id}/endpoint/${ep.body.id}/resend`,
      );
      expect(resend.status).toBe(202);
      const [request] = await receiver.waitForRequests(1);
      expect(request!.headers['webhook-id']).toBe(small.body.id);
    });
  });
}
