import { describe, expect, it } from 'vitest';
import { declaresPath } from './schema-paths.js';

const invoicePaid = {
  type: 'object',
  $defs: {
    money: { type: 'object', properties: { amount: { type: 'integer' }, currency: { type: 'string' } } },
  },
  properties: {
    type: { type: 'string' },
    data: {
      type: 'object',
      additionalProperties: false,
      properties: {
        total: { $ref: '#/$defs/money' },
        lines: { type: 'array', items: { type: 'object', properties: { sku: { type: 'string' } } } },
        metadata: { type: 'object' },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
        customer: {
          anyOf: [{ type: 'null' }, { type: 'object', properties: { email: { type: 'string' } } }],
        },
      },
    },
  },
};
const declares = (path: string) => declaresPath(invoicePaid, path.split('.'));

describe('which payload paths a schema declares', () => {
  it('follows properties, $refs and anyOf branches', () => {
    expect(declares('type')).toBe(true);
    expect(declares('data.total.amount')).toBe(true);
    expect(declares('data.customer.email')).toBe(true);
  });

  it('crosses arrays to their items, with or without an index', () => {
    expect(declares('data.lines.sku')).toBe(true);
    expect(declares('data.lines.0.sku')).toBe(true);
    expect(declares('data.lines.0.price')).toBe(false);
  });

  it('lets free-form objects and additionalProperties schemas hold anything', () => {
    expect(declares('data.metadata.anything.below')).toBe(true);
    expect(declares('data.labels.region')).toBe(true);
  });

  it('does not declare a property it does not list, nor a field below a scalar', () => {
    expect(declares('data.amout')).toBe(false);
    expect(declares('data.total.amount.cents')).toBe(false);
    expect(declares('nothing')).toBe(false);
  });

  it('stops on a schema that refers to itself', () => {
    const loop = { $ref: '#' };
    expect(declaresPath(loop, ['a'])).toBe(false);
  });
});
