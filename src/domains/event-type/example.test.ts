import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCatalogFile } from './catalog-file.js';
import { exampleFor, generateExample } from './example.js';
import { stringMatching } from './example-values.js';
import { PayloadValidators } from './schema-validation.js';
import { eventTypeRecord } from './test-fixtures.js';

const validators = new PayloadValidators();
let counter = 0;
/** Generates an example for `schema` and returns it with the violations PayloadValidators finds in it. */
function generateAndCheck(schema: Record<string, unknown>) {
  const et = eventTypeRecord(`generated.${counter++}`, { '1': schema });
  const example = exampleFor(et);
  return { example, violations: validators.validate(et, example) };
}

const TRICKY: Record<string, Record<string, unknown>> = {
  'formats, patterns and names': {
    type: 'object',
    properties: {
      id: { type: 'string', pattern: '^in_[A-Za-z0-9]{14}$' },
      email: { type: 'string', format: 'email' },
      website: { type: 'string', format: 'uri' },
      uuid: { type: 'string', format: 'uuid' },
      at: { type: 'string', format: 'date-time' },
      day: { type: 'string', format: 'date' },
      currency: { type: 'string', pattern: '^[A-Z]{3}$' },
      short: { type: 'string', minLength: 12, maxLength: 12 },
      ip: { type: 'string', format: 'ipv4' },
    },
    required: ['id', 'email'],
    additionalProperties: false,
  },
  'numbers inside bounds and multiples': {
    type: 'object',
    properties: {
      amount: { type: 'integer', minimum: 5000, maximum: 6000 },
      ratio: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 },
      price: { type: 'number', multipleOf: 0.01, minimum: 100, maximum: 101 },
      odd: { type: 'integer', exclusiveMinimum: 7, multipleOf: 3 },
      negative: { type: 'integer', maximum: -10 },
    },
    required: ['amount', 'ratio', 'price', 'odd', 'negative'],
  },
  'refs, allOf and a oneOf discriminator': {
    $defs: {
      money: {
        type: 'object',
        properties: { amount: { type: 'integer' }, currency: { type: 'string' } },
        required: ['amount', 'currency'],
      },
      card: {
        type: 'object',
        properties: { kind: { const: 'card' }, last4: { type: 'string', pattern: '^\\d{4}$' } },
        required: ['kind', 'last4'],
      },
      bank: {
        type: 'object',
        properties: { kind: { const: 'bank' }, iban: { type: 'string' } },
        required: ['kind', 'iban'],
      },
    },
    type: 'object',
    properties: {
      total: { $ref: '#/$defs/money' },
      method: { oneOf: [{ $ref: '#/$defs/card' }, { $ref: '#/$defs/bank' }] },
      tagged: {
        allOf: [{ $ref: '#/$defs/money' }, { properties: { note: { type: 'string' } }, required: ['note'] }],
      },
    },
    required: ['total', 'method', 'tagged'],
  },
  'nullable types, enums and a null-first anyOf': {
    type: 'object',
    properties: {
      status: { enum: ['open', 'paid'] },
      canceled_at: { type: ['string', 'null'], format: 'date-time' },
      reason: { anyOf: [{ type: 'null' }, { type: 'string', enum: ['fraud', 'duplicate'] }] },
      kind: { const: 'invoice' },
    },
    required: ['status', 'canceled_at', 'reason', 'kind'],
  },
  'arrays: min, unique, tuples and contains': {
    type: 'object',
    properties: {
      emails: { type: 'array', items: { type: 'string', format: 'email' }, minItems: 3, uniqueItems: true },
      pair: { type: 'array', prefixItems: [{ type: 'string' }, { type: 'integer' }], items: false },
      some: { type: 'array', contains: { type: 'integer', minimum: 10 } },
      none: { type: 'array', maxItems: 0 },
    },
    required: ['emails', 'pair', 'some', 'none'],
  },
  'a recursive tree through $ref "#"': {
    type: 'object',
    properties: { name: { type: 'string' }, children: { type: 'array', items: { $ref: '#' } } },
    required: ['name'],
  },
  'maps, pattern properties and property counts': {
    type: 'object',
    properties: {
      metadata: { type: 'object', additionalProperties: { type: 'string', maxLength: 5 } },
      headers: {
        type: 'object',
        patternProperties: { '^x-[a-z]+$': { type: 'string' } },
        additionalProperties: false,
      },
      counted: { type: 'object', minProperties: 2, additionalProperties: { type: 'integer' } },
    },
    required: ['metadata', 'headers', 'counted'],
  },
  'draft-07 with definitions and tuple items': {
    $schema: 'http://json-schema.org/draft-07/schema#',
    definitions: { id: { type: 'string', pattern: '^cus_[a-z0-9]{8}$' } },
    type: 'object',
    properties: {
      customer: { $ref: '#/definitions/id' },
      point: { type: 'array', items: [{ type: 'number' }, { type: 'number' }], additionalItems: false },
    },
    required: ['customer', 'point'],
  },
};

describe('exampleFor', () => {
  it("returns the latest schema's examples[0], as a copy the caller may change", () => {
    const given = { type: 'invoice.paid', data: { id: 'in_1' } };
    const et = eventTypeRecord('invoice.paid', {
      '1': { examples: [{ old: true }] },
      '2': { type: 'object', examples: [given] },
    });
    const example = exampleFor(et);
    expect(example).toEqual(given);
    (example.data as Record<string, unknown>).id = 'changed';
    expect(exampleFor(et)).toEqual(given);
  });

  it('falls back to an OpenAPI-style "example"', () => {
    expect(exampleFor(eventTypeRecord('a.b', { '1': { type: 'object', example: { x: 1 } } }))).toEqual({
      x: 1,
    });
  });

  it('gives a placeholder naming the event type when there is no schema', () => {
    expect(exampleFor(eventTypeRecord('user.signed_up', null))).toEqual({ type: 'user.signed_up', data: {} });
  });

  it('fills a plain "type" property at the root with the event type name', () => {
    const schema = { type: 'object', properties: { type: { type: 'string' }, data: { type: 'object' } } };
    expect(exampleFor(eventTypeRecord('user.signed_up', { '1': schema }))).toEqual({
      type: 'user.signed_up',
      data: {},
    });
  });

  it('uses realistic values for formats and well-known names', () => {
    const { example } = generateAndCheck(TRICKY['formats, patterns and names']!);
    expect(example).toMatchObject({
      email: 'jane.doe@example.com',
      at: '2024-05-01T12:00:00Z',
      day: '2024-05-01',
      website: expect.stringMatching(/^https:\/\//),
      id: expect.stringMatching(/^in_[A-Za-z0-9]{14}$/),
    });
  });

  it('takes the first enum value, const values, and skips a null branch', () => {
    const { example } = generateAndCheck(TRICKY['nullable types, enums and a null-first anyOf']!);
    expect(example).toEqual({
      status: 'open',
      canceled_at: '2024-05-01T12:00:00Z',
      reason: 'fraud',
      kind: 'invoice',
    });
  });

  it('is deterministic', () => {
    const schema = TRICKY['formats, patterns and names']!;
    expect(generateExample(schema)).toEqual(generateExample(structuredClone(schema)));
  });

  for (const [title, schema] of Object.entries(TRICKY)) {
    it(`generates an example that validates: ${title}`, () => {
      const { example, violations } = generateAndCheck(schema);
      expect(violations, JSON.stringify(example)).toEqual([]);
    });
  }

  it('generates valid examples from random schemas (property-based)', () => {
    const leaf = fc.oneof(
      fc.record({
        type: fc.constant('string'),
        minLength: fc.nat(5),
        format: fc.constantFrom('email', 'uri', 'uuid', 'date-time'),
      }),
      fc.record({
        type: fc.constant('string'),
        pattern: fc.constantFrom('^[a-z]{3}$', '^cus_[0-9A-Za-z]{8,}$', '^\\+[1-9][0-9]{6,14}$'),
      }),
      fc.record({
        type: fc.constant('integer'),
        minimum: fc.integer({ min: -50, max: 50 }),
        multipleOf: fc.constantFrom(1, 2, 5),
      }),
      fc.record({
        type: fc.constant('number'),
        exclusiveMinimum: fc.integer({ min: 0, max: 10 }),
        maximum: fc.constant(20),
      }),
      fc.record({ enum: fc.uniqueArray(fc.string(), { minLength: 1, maxLength: 4 }) }),
      fc.record({ type: fc.constant(['boolean', 'null']) }),
    );
    const { schema } = fc.letrec((tie) => ({
      schema: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        leaf,
        fc.record({
          type: fc.constant('object'),
          properties: fc.dictionary(fc.stringMatching(/^[a-z_]{1,8}$/), tie('schema'), { maxKeys: 4 }),
          additionalProperties: fc.boolean(),
        }),
        fc.record({ type: fc.constant('array'), items: tie('schema'), minItems: fc.nat(2) }),
        fc.record({
          oneOf: fc.tuple(fc.record({ const: fc.constant('a') }), fc.record({ const: fc.constant('b') })),
        }),
      ),
    }));
    fc.assert(
      fc.property(schema, (generated) => {
        const root = { type: 'object', properties: { value: generated }, required: ['value'] };
        const { example, violations } = generateAndCheck(root);
        expect(violations, JSON.stringify({ root, example })).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });
});

describe('examples generated for the example catalogs', () => {
  for (const file of ['billing.yaml', 'operational.yaml']) {
    it(`validate against their own schema for every event type of ${file}`, () => {
      const parsed = parseCatalogFile(
        readFileSync(new URL(`../../../examples/catalog/${file}`, import.meta.url), 'utf8'),
        'yaml',
      );
      if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
      for (const entry of parsed.eventTypes) {
        const { examples: _given, ...schema } = entry.schemas!['1']!;
        const { example, violations } = generateAndCheck(schema);
        expect(violations, `${entry.name}: ${JSON.stringify(example)}`).toEqual([]);
        expect(example.type, entry.name).toBe(entry.name);
      }
    });
  }
});

describe('stringMatching', () => {
  it('builds strings for id, currency and phone patterns', () => {
    for (const pattern of [
      '^cus_[0-9A-Za-z]{14,32}$',
      '^[a-z]{3}$',
      '^\\+[1-9][0-9]{6,14}$',
      '^(evt|msg)_[0-9a-f]{8}$',
      '^[^@\\s]+@example\\.com$',
    ]) {
      const value = stringMatching(pattern, 0);
      expect(value, pattern).toBeDefined();
      expect(new RegExp(pattern, 'u').test(value!), `${pattern} → ${value}`).toBe(true);
    }
  });

  it('gives up on back-references rather than returning a wrong string', () => {
    expect(stringMatching('^(a)\\1$', 0)).toBeUndefined();
  });
});
