import { describe, expect, it } from 'vitest';
import {
  checkEventTypeSchemas,
  checkJsonSchema,
  isValidEventTypeFilter,
  latestSchema,
  PayloadValidators,
} from './schema-validation.js';
import { eventTypeRecord } from './test-fixtures.js';
import type { EventTypeRecord } from './types.js';

/** `invoice.paid` with `schemas`, the event type most of these tests validate against. */
const eventType = (schemas: EventTypeRecord['schemas'], fields: Partial<EventTypeRecord> = {}) =>
  eventTypeRecord('invoice.paid', schemas, fields);

const customerSchema = {
  type: 'object',
  required: ['customer'],
  properties: {
    customer: {
      type: 'object',
      required: ['id'],
      additionalProperties: false,
      properties: {
        id: { type: 'string', pattern: '^cus_' },
        email: { type: 'string', format: 'email' },
        created_at: { type: 'string', format: 'date-time' },
      },
    },
    amount: { type: 'integer', minimum: 0 },
  },
};

describe('checkJsonSchema', () => {
  it('accepts a valid draft 2020-12 schema, with annotations other tools add', () => {
    expect(
      checkJsonSchema({ ...customerSchema, example: { customer: { id: 'cus_1' } }, 'x-internal': true }),
    ).toEqual([]);
  });

  it('names the location and the allowed values of an unknown type', () => {
    const issues = checkJsonSchema({ type: 'object', properties: { amount: { type: 'strin' } } }, [
      'body',
      'schemas',
      '1',
    ]);
    expect(issues).toEqual([
      {
        loc: ['body', 'schemas', '1', 'properties', 'amount', 'type'],
        msg: expect.stringContaining('"strin" is not a JSON type'),
        type: 'value_error.jsonschema',
      },
    ]);
    expect(issues[0]?.msg).toContain('integer');
  });

  it('says what a keyword should have been when its value has the wrong type', () => {
    const issues = checkJsonSchema({ type: 'object', required: 'id', properties: { n: { minimum: '3' } } });
    expect(issues).toContainEqual({
      loc: ['required'],
      msg: 'must be an array, not a string',
      type: 'value_error.jsonschema',
    });
    expect(issues).toContainEqual({
      loc: ['properties', 'n', 'minimum'],
      msg: 'must be a number, not a string',
      type: 'value_error.jsonschema',
    });
  });

  it('refuses a $ref that leads nowhere and points at it', () => {
    const issues = checkJsonSchema({ type: 'object', properties: { money: { $ref: '#/$defs/money' } } }, [
      'body',
    ]);
    expect(issues).toEqual([
      {
        loc: ['body', 'properties', 'money', '$ref'],
        msg: expect.stringContaining('cannot resolve "#/$defs/money"'),
        type: 'value_error.jsonschema.ref',
      },
    ]);
  });

  it('accepts references to $defs, anchors and the root', () => {
    const schema = {
      $defs: {
        money: { $anchor: 'money', type: 'integer' },
        node: { type: 'object', properties: { next: { $ref: '#' } } },
      },
      properties: { a: { $ref: '#/$defs/money' }, b: { $ref: '#money' }, c: { $ref: '#/$defs/node' } },
    };
    expect(checkJsonSchema(schema)).toEqual([]);
  });

  it('refuses a pattern that is not a valid regular expression', () => {
    const issues = checkJsonSchema({ properties: { id: { type: 'string', pattern: '([a-z' } } });
    expect(issues).toEqual([
      {
        loc: ['properties', 'id', 'pattern'],
        msg: expect.stringContaining('is not a valid regular expression'),
        type: 'value_error.jsonschema.pattern',
      },
    ]);
  });

  it('checks a schema that declares draft-07 by draft-07 rules', () => {
    const tuple = {
      items: [{ type: 'string' }, { type: 'integer' }],
      definitions: { a: { type: 'string' } },
    };
    expect(checkJsonSchema({ $schema: 'http://json-schema.org/draft-07/schema#', ...tuple })).toEqual([]);
    expect(checkJsonSchema({ $schema: 'https://json-schema.org/draft-07/schema', ...tuple })).toEqual([]);
    const as2020 = checkJsonSchema(tuple);
    expect(as2020).toHaveLength(1);
    expect(as2020[0]?.loc).toEqual(['items']);
    expect(as2020[0]?.msg).toContain('prefixItems');
  });

  it('refuses a dialect it does not support, naming the supported ones', () => {
    const issues = checkJsonSchema({ $schema: 'http://json-schema.org/draft-04/schema#', type: 'object' });
    expect(issues).toHaveLength(1);
    expect(issues[0]?.loc).toEqual(['$schema']);
    expect(issues[0]?.msg).toContain('draft/2020-12');
  });

  it('refuses something that is not a schema object', () => {
    expect(checkJsonSchema('object', ['body', 'schemas', '1'])).toEqual([
      { loc: ['body', 'schemas', '1'], msg: 'must be a JSON Schema object', type: 'type_error.dict' },
    ]);
    expect(checkJsonSchema([])).toHaveLength(1);
  });

  it('checks the same $id twice without complaining that it already exists', () => {
    const schema = { $id: 'https://billing.example.com/invoice', type: 'object' };
    expect(checkJsonSchema(schema)).toEqual([]);
    expect(checkJsonSchema({ ...schema })).toEqual([]);
  });
});

describe('checkEventTypeSchemas', () => {
  it('refuses version keys that are not positive integers and prefixes every location', () => {
    const issues = checkEventTypeSchemas({ v1: { type: 'object' }, '2': { type: 'nope' } });
    expect(issues.map((i) => i.loc)).toEqual(
      expect.arrayContaining([
        ['body', 'schemas', 'v1'],
        ['body', 'schemas', '2', 'type'],
      ]),
    );
    expect(issues).toHaveLength(2);
  });

  it('accepts no schema at all', () => {
    expect(checkEventTypeSchemas(null)).toEqual([]);
  });
});

describe('latestSchema', () => {
  it('picks the highest version by number, not by string order', () => {
    const latest = latestSchema({ '9': { title: 'nine' }, '10': { title: 'ten' }, '2': { title: 'two' } });
    expect(latest).toEqual({ version: '10', schema: { title: 'ten' } });
  });

  it('is null without schemas', () => {
    expect(latestSchema(null)).toBeNull();
    expect(latestSchema({})).toBeNull();
  });
});

describe('PayloadValidators', () => {
  it('answers null for an event type without a schema', () => {
    expect(new PayloadValidators().validate(eventType(null), { anything: true })).toBeNull();
  });

  it('answers an empty list for a payload that conforms', () => {
    const payload = {
      customer: { id: 'cus_1', email: 'a@example.com', created_at: '2024-05-01T10:00:00Z' },
      amount: 5,
    };
    expect(new PayloadValidators().validate(eventType({ '1': customerSchema }), payload)).toEqual([]);
  });

  it('points at a missing property, an unknown one, a bad format and a wrong type', () => {
    const violations = new PayloadValidators().validate(eventType({ '1': customerSchema }), {
      customer: { email: 'not-an-email', nickname: 'x' },
      amount: 1.5,
    });
    expect(violations).toEqual(
      expect.arrayContaining([
        { pointer: '/customer/id', rule: 'required', message: 'is required' },
        {
          pointer: '/customer/nickname',
          rule: 'additionalProperties',
          message: 'is not an allowed property',
        },
        { pointer: '/customer/email', rule: 'format', message: 'must be a valid email' },
        { pointer: '/amount', rule: 'type', message: 'must be an integer' },
      ]),
    );
  });

  it('validates against the latest version only', () => {
    const et = eventType({
      '1': { type: 'object', required: ['old'] },
      '2': { type: 'object', required: ['new'] },
    });
    expect(new PayloadValidators().validate(et, { new: 1 })).toEqual([]);
  });

  it('keeps using the compiled schema until updatedAt changes, then recompiles', () => {
    const validators = new PayloadValidators();
    const schemas = { '1': { type: 'object', required: ['a'] } as Record<string, unknown> };
    const et = eventType(schemas);
    expect(validators.validate(et, {})).toHaveLength(1);
    schemas['1'] = { type: 'object' }; // edited in place without touching updatedAt: still cached
    expect(validators.validate(et, {})).toHaveLength(1);
    const edited = { ...et, updatedAt: new Date('2024-02-01T00:00:00Z') };
    expect(validators.validate(edited, {})).toEqual([]);
    expect(validators.size).toBe(1);
    validators.forget(et.name);
    expect(validators.size).toBe(0);
  });

  it('validates a draft-07 schema by draft-07 rules', () => {
    const et = eventType({
      '1': {
        $schema: 'http://json-schema.org/draft-07/schema#',
        type: 'array',
        items: [{ type: 'string' }],
        additionalItems: false,
      },
    });
    const validators = new PayloadValidators();
    expect(validators.validate(et, ['a'])).toEqual([]);
    expect(validators.validate(et, ['a', 'b'])).toEqual([
      expect.objectContaining({ pointer: '', rule: 'additionalItems' }),
    ]);
  });

  it('keeps two event types whose schemas share an $id apart', () => {
    const validators = new PayloadValidators();
    const a = eventType({ '1': { $id: 'https://x.example/s', required: ['a'] } }, { name: 'a.created' });
    const b = eventType({ '1': { $id: 'https://x.example/s', required: ['b'] } }, { name: 'b.created' });
    expect(validators.validate(a, { a: 1 })).toEqual([]);
    expect(validators.validate(b, { b: 1 })).toEqual([]);
    expect(validators.validate(a, { b: 1 })).toHaveLength(1);
  });

  it('reports an unusable stored schema as a violation instead of throwing', () => {
    const et = eventType({ '1': { properties: { a: { $ref: '#/$defs/missing' } } } });
    expect(new PayloadValidators().validate(et, { a: 1 })).toEqual([
      expect.objectContaining({ pointer: '', rule: 'schema' }),
    ]);
  });

  it('lists at most 50 violations', () => {
    const et = eventType({ '1': { type: 'array', items: { type: 'string' } } });
    expect(
      new PayloadValidators().validate(
        et,
        Array.from({ length: 200 }, (_, i) => i),
      ),
    ).toHaveLength(50);
  });

  it('costs microseconds per payload once compiled (measured, logged)', () => {
    const validators = new PayloadValidators();
    const et = eventType({ '1': customerSchema });
    const payload = {
      customer: { id: 'cus_1', email: 'a@example.com', created_at: '2024-05-01T10:00:00Z' },
      amount: 5,
    };
    const compileStart = process.hrtime.bigint();
    expect(validators.validate(et, payload)).toEqual([]);
    const compileNs = Number(process.hrtime.bigint() - compileStart);
    const rounds = 20_000;
    const start = process.hrtime.bigint();
    let failures = 0;
    for (let i = 0; i < rounds; i++) failures += validators.validate(et, payload)?.length ?? 0;
    const perCallUs = Number(process.hrtime.bigint() - start) / rounds / 1000;
    expect(failures).toBe(0);
    console.log(
      `PayloadValidators: first call (compile) ${(compileNs / 1e6).toFixed(2)} ms, cached ${perCallUs.toFixed(2)} µs/validation`,
    );
  });
});

describe('event type filters', () => {
  it('accepts names and prefix wildcards, refuses a lone star and misplaced stars', () => {
    for (const ok of ['invoice.paid', 'invoice.*', 'billing.invoice.*', 'user-signup']) {
      expect(isValidEventTypeFilter(ok), ok).toBe(true);
    }
    for (const bad of [
      '*',
      '.*',
      'invoice*',
      'invoice.*.paid',
      'inv*.paid',
      'invoice..*',
      '',
      'a b',
      'x'.repeat(257),
    ]) {
      expect(isValidEventTypeFilter(bad), bad).toBe(false);
    }
  });
});
