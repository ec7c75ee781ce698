import { describe, expect, it } from 'vitest';
import {
  checkPayload,
  compileSchema,
  latestSchema,
  payloadPath,
  schemaExample,
  syntaxPosition,
} from './json-check.js';

const INVOICE = compileSchema({
  type: 'object',
  required: ['invoiceId', 'amount'],
  properties: {
    invoiceId: { type: 'string' },
    amount: { type: 'integer', minimum: 0 },
    currency: { enum: ['usd', 'eur'] },
    customer: {
      type: 'object',
      properties: { email: { type: 'string', format: 'email' } },
      additionalProperties: false,
    },
    lines: { type: 'array', items: { type: 'object', properties: { qty: { type: 'integer' } } } },
  },
});

describe('payload checking as you type', () => {
  it('accepts a payload that matches the schema', () => {
    expect(checkPayload('{"invoiceId":"in_1","amount":5}', INVOICE)).toEqual({
      kind: 'ok',
      value: { invoiceId: 'in_1', amount: 5 },
    });
  });

  it('points at the line and column of a syntax error', () => {
    const check = checkPayload('{\n  "a": 1,\n}', null);
    expect(check.kind).toBe('syntax');
    if (check.kind === 'syntax') {
      expect(check.line).toBe(3);
      expect(check.column).toBe(1);
    }
    const unfinished = checkPayload('{"a": ', null);
    expect(unfinished.kind === 'syntax' && unfinished.message).toMatch(/ends too early/);
  });

  it('asks for an object, since a webhook payload is one', () => {
    expect(checkPayload('[1, 2]', null).kind).toBe('not-object');
    expect(checkPayload('"text"', null).kind).toBe('not-object');
  });

  it('says in plain words where the payload breaks the schema', () => {
    const check = checkPayload(
      JSON.stringify({
        amount: 'ten',
        currency: 'gbp',
        customer: { email: 'nope', nickname: 'x' },
        lines: [{ qty: 1 }, { qty: 'two' }],
      }),
      INVOICE,
    );
    expect(check.kind).toBe('invalid');
    if (check.kind !== 'invalid') return;
    expect(check.violations).toEqual(
      expect.arrayContaining([
        { path: 'invoiceId', message: 'is required but missing' },
        { path: 'amount', message: 'should be an integer, not a string' },
        { path: 'customer.email', message: 'should be a valid email' },
        { path: 'customer.nickname', message: 'is not a property this event type has' },
        { path: 'lines[1].qty', message: 'should be an integer, not a string' },
      ]),
    );
    expect(check.violations.some((v) => v.path === 'currency')).toBe(true);
    // Wrapper errors ("property x does not match") are not repeated next to the real cause.
    expect(check.violations.some((v) => /does not match schema/.test(v.message))).toBe(false);
  });

  it('validates draft-07 schemas as draft-07', () => {
    const draft7 = compileSchema({
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      properties: { tags: { type: 'array', items: [{ type: 'string' }], additionalItems: false } },
    });
    expect(checkPayload('{"tags":["a"]}', draft7).kind).toBe('ok');
    expect(checkPayload('{"tags":["a", 2]}', draft7).kind).toBe('invalid');
  });

  it('reads positions from either engine message style', () => {
    expect(syntaxPosition('{\n"a" 1}', 'Unexpected number in JSON at position 6')).toEqual({
      line: 2,
      column: 5,
    });
    expect(syntaxPosition('', 'Unexpected token (line 4 column 9)')).toEqual({ line: 4, column: 9 });
  });

  it('names payload locations the way people write them', () => {
    expect(payloadPath('#')).toBe('(payload)');
    expect(payloadPath('#/a/0/b~1c')).toBe('a[0].b/c');
  });
});

describe('event type schemas and examples', () => {
  it('uses the highest schema version, as Herald does', () => {
    expect(latestSchema({ '1': { title: 'v1' }, '10': { title: 'v10' }, '2': { title: 'v2' } })).toEqual({
      title: 'v10',
    });
    expect(latestSchema(null)).toBeNull();
    expect(latestSchema({})).toBeNull();
  });

  it("offers the schema's own example when it has one", () => {
    expect(schemaExample({ examples: [{ a: 1 }, { a: 2 }] })).toEqual({ a: 1 });
    expect(schemaExample({ example: { b: 1 } })).toEqual({ b: 1 });
    expect(schemaExample({ examples: ['not an object'] })).toBeNull();
  });
});
