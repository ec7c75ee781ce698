import { describe, expect, it } from 'vitest';
import { FILTER_LIMITS, parseFilter, payloadPaths } from './filter-language.js';

const base = ['body', 'filter'];

function issues(filter: unknown) {
  const parsed = parseFilter(filter, base);
  if (parsed.ok) throw new Error('expected the filter to be refused');
  return parsed.issues;
}

describe('reading a payload filter', () => {
  it('accepts every operator and combinator with the operand it takes', () => {
    const parsed = parseFilter(
      {
        'data.currency': 'eur',
        'data.amount': { $gte: 10_000, $lt: 1e9, $gt: 0, $lte: 5e8, $neq: 7 },
        'data.status': { $in: ['paid', null], $nin: [false] },
        'data.email': { $startsWith: 'a', $endsWith: '.com', $contains: '@', $exists: true },
        $eventType: { $eq: 'invoice.paid' },
        $channels: { $contains: 'eu' },
        $or: [{ 'items.0.sku': 'A1' }, { $not: { 'data.test': true } }],
        $and: [{ 'data.x': { $not: { $in: [1, 2] } } }],
      },
      base,
    );
    expect(parsed.ok).toBe(true);
  });

  it('points at an unknown key, an unknown operator and a misspelt one', () => {
    expect(issues({ $where: 'x' })).toEqual([
      expect.objectContaining({
        loc: ['body', 'filter', '$where'],
        msg: expect.stringContaining('$and, $or or $not'),
      }),
    ]);
    const [exist] = issues({ 'data.coupon': { $exist: true } });
    expect(exist!.loc).toEqual(['body', 'filter', 'data.coupon', '$exist']);
    expect(exist!.msg).toContain('(Herald writes $exists)');
    expect(issues({ 'data.a': { $regex: '^a' } })[0]!.msg).toContain('$startsWith, $endsWith or $contains');
  });

  it('refuses operands of the wrong type, saying what the operator takes', () => {
    const found = issues({
      'data.a': { $gt: true },
      'data.b': { $in: [] },
      'data.c': { $in: [{ x: 1 }] },
      'data.d': { $startsWith: 5 },
      'data.e': { $exists: 'yes' },
      'data.f': { $eq: [1] },
      'data.g': ['a'],
    });
    expect(found.map((i) => i.loc.slice(2))).toEqual([
      ['data.a', '$gt'],
      ['data.b', '$in'],
      ['data.c', '$in'],
      ['data.d', '$startsWith'],
      ['data.e', '$exists'],
      ['data.f', '$eq'],
      ['data.g'],
    ]);
    expect(found[0]!.msg).toBe('filter.data.a.$gt: $gt takes a number or a string, not a boolean');
    expect(found[6]!.msg).toContain('{"$in": [...]}');
  });

  it('refuses nested objects in place of dotted paths, and bad paths', () => {
    const [nested] = issues({ data: { customer: { tier: 'gold' } } });
    expect(nested!.loc).toEqual(['body', 'filter', 'data', 'customer']);
    expect(nested!.msg).toContain('"data.customer"');
    expect(issues({ 'data..amount': 1 })[0]!.loc).toEqual(['body', 'filter', 'data..amount']);
    expect(issues({ 'data.amount': {} })[0]!.msg).toContain('empty object');
  });

  it('refuses combinators that are not lists of filters', () => {
    expect(issues({ $or: { a: 1 } })[0]!.loc).toEqual(['body', 'filter', '$or']);
    expect(issues({ $and: [] })[0]!.loc).toEqual(['body', 'filter', '$and']);
    expect(issues({ $or: [{ a: 1 }, 'b'] })[0]!.loc).toEqual(['body', 'filter', '$or', '1']);
    expect(issues({ $not: [{ a: 1 }] })[0]!.loc).toEqual(['body', 'filter', '$not']);
    expect(issues('data.a = 1')[0]!.loc).toEqual(['body', 'filter']);
  });

  it('holds a filter to its limits of size, depth and clauses', () => {
    const big = { 'data.a': { $in: Array.from({ length: 600 }, (_, i) => `value-number-${i}`) } };
    expect(issues(big)[0]).toMatchObject({ loc: base, type: 'value_error.filter.size' });
    let deep: Record<string, unknown> = { a: 1 };
    for (let i = 0; i < FILTER_LIMITS.depth; i++) deep = { $not: deep };
    expect(issues(deep)[0]).toMatchObject({ type: 'value_error.filter.depth' });
    const many = Object.fromEntries(
      Array.from({ length: FILTER_LIMITS.clauses + 1 }, (_, i) => [`f${i}`, i]),
    );
    expect(issues(many)[0]).toMatchObject({ loc: base, type: 'value_error.filter.clauses' });
    const longPath = Array.from({ length: FILTER_LIMITS.pathSegments + 1 }, () => 'a').join('.');
    expect(issues({ [longPath]: 1 })[0]!.msg).toContain('longer than');
  });

  it('refuses Object.prototype members as operators', () => {
    expect(issues({ 'data.a': { constructor: 1 } })[0]!.loc).toEqual([
      'body',
      'filter',
      'data.a',
      'constructor',
    ]);
    expect(issues(JSON.parse('{"data.a": {"hasOwnProperty": 1}}'))).toHaveLength(1);
  });

  it('lists every problem at once', () => {
    expect(issues({ 'a..b': 1, $x: 2, c: { $gt: null } })).toHaveLength(3);
  });

  it('lists the payload paths a filter reads, once each', () => {
    const parsed = parseFilter(
      { 'data.a': 1, $or: [{ 'data.a': { $gt: 0 } }, { $not: { 'data.b': 2 } }], $eventType: 'x' },
      base,
    );
    if (!parsed.ok) throw new Error('invalid');
    expect(payloadPaths(parsed.filter)).toEqual(['data.a', 'data.b']);
  });
});
