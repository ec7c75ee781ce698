import { describe, expect, it } from 'vitest';
import { CompiledFilters, compileFilter, explainFilter, type FilterInput } from './filter-evaluation.js';
import { parseFilter } from './filter-language.js';

function compiled(filter: unknown) {
  const parsed = parseFilter(filter, ['body', 'filter']);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return compileFilter(parsed.filter);
}

const invoice = {
  type: 'invoice.paid',
  data: {
    amount: 12_000,
    currency: 'eur',
    paid: true,
    coupon: null,
    customer: { email: 'ana@example.com', name: 'Zoë Ærø 🚀' },
    tags: ['vip', 'annual'],
    items: [
      { sku: 'A1', qty: 2 },
      { sku: 'B7', qty: 1 },
    ],
  },
};
const message = (
  payload: unknown = invoice,
  eventType = 'invoice.paid',
  channels: string[] | null = ['eu'],
) => ({ payload, eventType, channels }) satisfies FilterInput;

const matches = (filter: unknown, input: FilterInput = message()) => compiled(filter)(input);

describe('payload filters: comparisons', () => {
  it('compares equal values with a bare value or $eq, and unequal ones with $neq', () => {
    expect(matches({ 'data.currency': 'eur' })).toBe(true);
    expect(matches({ 'data.currency': { $eq: 'usd' } })).toBe(false);
    expect(matches({ 'data.paid': true, 'data.coupon': null })).toBe(true);
    expect(matches({ 'data.currency': { $neq: 'usd' } })).toBe(true);
    expect(matches({ 'data.currency': { $neq: 'eur' } })).toBe(false);
  });

  it('orders numbers and strings, and never a number against a string', () => {
    expect(matches({ 'data.amount': { $gte: 12_000 } })).toBe(true);
    expect(matches({ 'data.amount': { $gt: 12_000 } })).toBe(false);
    expect(matches({ 'data.amount': { $lt: 12_000.5, $lte: 12_000 } })).toBe(true);
    expect(matches({ 'data.currency': { $gt: 'dkk', $lt: 'gbp' } })).toBe(true);
    expect(matches({ 'data.amount': { $gt: '100' } })).toBe(false);
    expect(matches({ 'data.currency': { $gt: 5 } })).toBe(false);
    expect(matches({ 'data.paid': { $gte: 0 } })).toBe(false);
  });

  it('checks membership with $in and $nin', () => {
    expect(matches({ 'data.currency': { $in: ['eur', 'usd'] } })).toBe(true);
    expect(matches({ 'data.currency': { $in: ['gbp'] } })).toBe(false);
    expect(matches({ 'data.currency': { $nin: ['gbp', 'usd'] } })).toBe(true);
    expect(matches({ 'data.amount': { $in: ['12000'] } })).toBe(false);
  });

  it('matches string prefixes, suffixes and substrings, only on strings', () => {
    expect(matches({ 'data.customer.email': { $endsWith: '@example.com', $startsWith: 'ana' } })).toBe(true);
    expect(matches({ 'data.customer.email': { $contains: 'example' } })).toBe(true);
    expect(matches({ 'data.customer.email': { $startsWith: 'bob' } })).toBe(false);
    expect(matches({ 'data.amount': { $startsWith: '12' } })).toBe(false);
  });

  it('tells present fields (null included) from missing ones with $exists', () => {
    expect(matches({ 'data.coupon': { $exists: true } })).toBe(true);
    expect(matches({ 'data.refund': { $exists: false } })).toBe(true);
    expect(matches({ 'data.refund': { $exists: true } })).toBe(false);
  });

  it('treats a missing path as matching no positive comparison and every negative one', () => {
    expect(matches({ 'data.refund.amount': { $gt: 0 } })).toBe(false);
    expect(matches({ 'data.refund.amount': null })).toBe(false);
    expect(matches({ 'data.refund.amount': { $neq: 5 } })).toBe(true);
    expect(matches({ 'data.amount.cents': 1 })).toBe(false);
    expect(matches({ 'data.currency.length': 3 })).toBe(false);
  });
});

describe('payload filters: arrays', () => {
  it('matches an array when any element does, and $contains asks for an equal element', () => {
    expect(matches({ 'data.tags': 'vip' })).toBe(true);
    expect(matches({ 'data.tags': { $in: ['annual', 'trial'] } })).toBe(true);
    expect(matches({ 'data.tags': { $contains: 'annual' } })).toBe(true);
    expect(matches({ 'data.tags': { $contains: 'ann' } })).toBe(false);
    expect(matches({ 'data.tags': { $neq: 'vip' } })).toBe(false);
    expect(matches({ 'data.tags': { $nin: ['trial'] } })).toBe(true);
  });

  it('reads every element when a path crosses an array, or one when it names an index', () => {
    expect(matches({ 'data.items.sku': 'B7' })).toBe(true);
    expect(matches({ 'data.items.qty': { $gt: 1 } })).toBe(true);
    expect(matches({ 'data.items.0.sku': 'B7' })).toBe(false);
    expect(matches({ 'data.items.1.sku': 'B7' })).toBe(true);
    expect(matches({ 'data.items.5.sku': { $exists: true } })).toBe(false);
    expect(matches({ 'data.items.0': { $exists: true } })).toBe(true);
  });

  it('reads a payload that is an array at its root', () => {
    expect(matches({ '0.id': 'x' }, message([{ id: 'x' }]))).toBe(true);
    expect(matches({ id: 'x' }, message([{ id: 'x' }]))).toBe(true);
  });
});

describe('payload filters: combinators and message fields', () => {
  it('ands the keys of one object, and combines with $and, $or and $not', () => {
    expect(matches({ 'data.currency': 'eur', 'data.amount': { $gte: 10_000 } })).toBe(true);
    expect(matches({ 'data.currency': 'eur', 'data.amount': { $gte: 20_000 } })).toBe(false);
    expect(matches({ $or: [{ 'data.currency': 'usd' }, { 'data.amount': { $gt: 100 } }] })).toBe(true);
    expect(matches({ $or: [{ 'data.currency': 'usd' }, { 'data.amount': { $lt: 100 } }] })).toBe(false);
    expect(matches({ $and: [{ 'data.currency': 'eur' }, { 'data.paid': false }] })).toBe(false);
    expect(matches({ $not: { 'data.currency': 'usd' } })).toBe(true);
    expect(matches({ 'data.currency': { $not: { $in: ['eur'] } } })).toBe(false);
  });

  it('reads the message event type and channels', () => {
    expect(matches({ $eventType: { $startsWith: 'invoice.' } })).toBe(true);
    expect(matches({ $eventType: 'invoice.voided' })).toBe(false);
    expect(matches({ $channels: 'eu' })).toBe(true);
    expect(matches({ $channels: { $contains: 'us' } })).toBe(false);
    expect(matches({ $channels: { $exists: false } }, message(invoice, 'invoice.paid', null))).toBe(true);
  });

  it('matches everything with an empty filter', () => {
    expect(matches({}, message({}))).toBe(true);
  });
});

describe('payload filters: content', () => {
  it('compares unicode strings exactly', () => {
    expect(matches({ 'data.customer.name': 'Zoë Ærø 🚀' })).toBe(true);
    expect(matches({ 'data.customer.name': { $endsWith: '🚀', $contains: 'Ærø' } })).toBe(true);
    // The same letters decomposed (e + combining diaeresis) are a different string.
    expect(matches({ 'data.customer.name': { $startsWith: 'Zoe\u0308' } })).toBe(false);
    expect(matches({ 'données.état': 'prêt' }, message({ données: { état: 'prêt' } }))).toBe(true);
  });

  it('reads deeply nested payloads', () => {
    let payload: Record<string, unknown> = { leaf: 'found' };
    for (let i = 0; i < 30; i++) payload = { n: payload };
    const path = `${'n.'.repeat(30)}leaf`;
    expect(matches({ [path]: 'found' }, message(payload))).toBe(true);
    expect(matches({ [path]: 'lost' }, message(payload))).toBe(false);
  });

  it('reads no inherited properties', () => {
    expect(matches({ 'data.constructor': { $exists: true } })).toBe(false);
    expect(matches({ 'data.__proto__': { $exists: true } })).toBe(false);
  });

  it('takes keys named like Object.prototype members as field paths', () => {
    const filter = JSON.parse(
      '{"constructor": "x", "toString": {"$exists": false}, "__proto__": {"$exists": false}}',
    );
    expect(matches(filter, message({ constructor: 'x' }))).toBe(true);
    expect(matches(filter, message({ constructor: 'y' }))).toBe(false);
  });
});

describe('payload filter explanations', () => {
  it('say which clause failed and what was found there', () => {
    const parsed = parseFilter({ 'data.currency': 'eur', 'data.amount': { $gte: 20_000 } }, []);
    if (!parsed.ok) throw new Error('invalid');
    const explanation = explainFilter(parsed.filter, message());
    expect(explanation).toEqual({
      matched: false,
      op: '$and',
      clauses: [
        { matched: true, op: '$eq', path: 'data.currency', operand: 'eur', found: ['eur'] },
        { matched: false, op: '$gte', path: 'data.amount', operand: 20_000, found: [12_000] },
      ],
    });
  });

  it('agree with the compiled filter', () => {
    const filters = [
      { 'data.tags': { $neq: 'vip' } },
      { $or: [{ 'data.items.sku': 'B7' }, { $not: { $channels: 'eu' } }] },
      { 'data.missing': { $exists: false } },
    ];
    for (const filter of filters) {
      const parsed = parseFilter(filter, []);
      if (!parsed.ok) throw new Error('invalid');
      expect(explainFilter(parsed.filter, message()).matched).toBe(compileFilter(parsed.filter)(message()));
    }
  });
});

describe('compiled filter cache', () => {
  it('compiles an endpoint filter once and again only when its text changes', () => {
    const cache = new CompiledFilters();
    const first = cache.get('ep_1', '{"data.currency":"eur"}');
    expect(cache.get('ep_1', '{"data.currency":"eur"}')).toBe(first);
    const changed = cache.get('ep_1', '{"data.currency":"usd"}');
    expect(changed).not.toBe(first);
    expect(changed!(message())).toBe(false);
    expect(cache.get('ep_1', null)).toBeNull();
  });
});
