import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  type CatalogEntry,
  formatFromPath,
  parseCatalogFile,
  serializeCatalog,
  toCatalogEntry,
} from './catalog-file.js';
import { eventTypeRecord } from './test-fixtures.js';

const MINIMAL_YAML = `
eventTypes:
  - name: invoice.paid
    description: An invoice was paid.
    groupName: invoice
    schemaMode: warn
    schemas:
      1:
        type: object
        required: [id]
        properties:
          id: { type: string }
        examples:
          - id: in_1
  - name: user.signed_up
    description: A user signed up.
`;

function errorsOf(text: string, format: 'yaml' | 'json' = 'yaml'): string[] {
  const result = parseCatalogFile(text, format);
  if (result.ok) throw new Error('expected the file to be refused');
  return result.errors;
}

function entries(text: string, format: 'yaml' | 'json' = 'yaml'): CatalogEntry[] {
  const result = parseCatalogFile(text, format);
  if (!result.ok) throw new Error(result.errors.join('\n'));
  return result.eventTypes;
}

describe('formatFromPath', () => {
  it('knows .yaml, .yml and .json in any case, and nothing else', () => {
    expect(formatFromPath('catalog/billing.yaml')).toBe('yaml');
    expect(formatFromPath('BILLING.YML')).toBe('yaml');
    expect(formatFromPath('/tmp/catalog.json')).toBe('json');
    expect(formatFromPath('catalog.toml')).toBeNull();
    expect(formatFromPath('yaml')).toBeNull();
  });
});

describe('parseCatalogFile', () => {
  it('reads entries in file order, with version keys as strings', () => {
    const parsed = entries(MINIMAL_YAML);
    expect(parsed.map((e) => e.name)).toEqual(['invoice.paid', 'user.signed_up']);
    expect(parsed[0]).toMatchObject({ groupName: 'invoice', schemaMode: 'warn' });
    expect(Object.keys(parsed[0]!.schemas!)).toEqual(['1']);
    expect(parsed[1]).toEqual({ name: 'user.signed_up', description: 'A user signed up.' });
  });

  it('reads the same catalog from JSON', () => {
    const json = JSON.stringify({
      eventTypes: [{ name: 'a.b', description: 'x', schemas: { '1': { type: 'object' } } }],
    });
    expect(entries(json, 'json')).toEqual([
      { name: 'a.b', description: 'x', schemas: { '1': { type: 'object' } } },
    ]);
  });

  it('names the entry, its name and the schema location of an invalid schema', () => {
    const errors = errorsOf(`
eventTypes:
  - { name: a.one, description: ok }
  - name: invoice.paid
    description: bad schema
    schemas: { "1": { type: object, properties: { amount: { type: integr } } } }
`);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      /^eventTypes\[1\] \(invoice\.paid\): schemas\.1 is not a valid JSON Schema: properties\.amount\.type: "integr" is not a JSON type/,
    );
  });

  it('refuses a schema whose own example does not match it', () => {
    const errors = errorsOf(`
eventTypes:
  - name: invoice.paid
    description: example is wrong
    schemas:
      "1": { type: object, required: [id], properties: { id: { type: string } }, examples: [{ id: 7 }] }
`);
    expect(errors).toEqual([
      'eventTypes[0] (invoice.paid): schemas.1.examples[0] does not match the schema: /id must be a string',
    ]);
  });

  it('names every wrong field of an entry', () => {
    const errors = errorsOf(`
eventTypes:
  - name: "bad name!"
    schema: {}
    deprecated: "yes"
    schemaMode: strict
    groupName: 12
    schemas: { v1: { type: object } }
`);
    expect(errors).toEqual([
      'eventTypes[0] (bad name!): unknown field "schema" (did you mean "schemas"?)',
      'eventTypes[0] (bad name!): name "bad name!" may only contain letters, digits, "-", "_" and "."',
      'eventTypes[0] (bad name!): description is required and must be a string',
      'eventTypes[0] (bad name!): groupName must be a string',
      'eventTypes[0] (bad name!): deprecated must be true or false',
      'eventTypes[0] (bad name!): schemaMode must be one of enforce, warn, off, not "strict"',
      'eventTypes[0] (bad name!): schemas.v1: versions are positive integers such as "1"',
    ]);
  });

  it('refuses duplicate names, pointing at the first definition', () => {
    const errors = errorsOf(`
eventTypes:
  - { name: invoice.paid, description: one }
  - { name: invoice.created, description: two }
  - { name: invoice.paid, description: three }
`);
    expect(errors).toEqual([
      'eventTypes[2] (invoice.paid): duplicate name, already defined by eventTypes[0]',
    ]);
  });

  it('refuses a file that is not YAML, saying where', () => {
    const errors = errorsOf('eventTypes:\n  - name: a\n    description: [unclosed\n');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^the file is not valid YAML: .*line/s);
  });

  it('refuses duplicate keys in a YAML mapping', () => {
    expect(errorsOf('eventTypes:\n  - name: a\n    name: b\n    description: x\n')[0]).toMatch(
      /not valid YAML/,
    );
  });

  it('refuses a file that is not JSON, or has the wrong top-level shape', () => {
    expect(errorsOf('{ "eventTypes": [', 'json')[0]).toMatch(/^the file is not valid JSON/);
    expect(errorsOf('[]', 'json')).toEqual(['the file must hold an object with an "eventTypes" list']);
    expect(errorsOf('{ "eventTypes": {} }', 'json')).toEqual(['"eventTypes" must be a list']);
    expect(errorsOf('{ "eventTypes": [], "events": [] }', 'json')).toEqual([
      'unknown top-level key "events" (expected "eventTypes"; keys starting with "x-" are ignored)',
    ]);
  });

  it('ignores x- keys and gives every entry its own copy of an aliased fragment', () => {
    const parsed = entries(`
x-shared:
  id: &id { type: string }
eventTypes:
  - { name: a.one, description: x, schemas: { "1": { type: object, properties: { id: *id } } } }
  - { name: a.two, description: x, schemas: { "1": { type: object, properties: { id: *id } } } }
`);
    const first = parsed[0]!.schemas!['1']!.properties as Record<string, Record<string, unknown>>;
    const second = parsed[1]!.schemas!['1']!.properties as Record<string, Record<string, unknown>>;
    expect(first.id).toEqual({ type: 'string' });
    first.id!.type = 'integer';
    expect(second.id).toEqual({ type: 'string' });
  });

  it('stops a YAML alias bomb', () => {
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 8; i++) {
      const prev = String.fromCharCode(96 + i);
      const next = String.fromCharCode(97 + i);
      lines.push(`${next}: &${next} [${Array(10).fill(`*${prev}`).join(',')}]`);
    }
    lines.push('eventTypes: []');
    expect(errorsOf(lines.join('\n'))[0]).toMatch(/not valid YAML/);
  });
});

describe('serializeCatalog', () => {
  const catalog: CatalogEntry[] = [
    {
      name: 'invoice.paid',
      description: 'An invoice was paid: "quotes", colons and\nnew lines survive.',
      groupName: 'invoice',
      featureFlag: null,
      deprecated: false,
      archived: true,
      schemaMode: 'off',
      schemas: {
        '1': { type: 'object', properties: { id: { type: 'string', pattern: '^in_[0-9]+$' } } },
        '10': { type: 'object', examples: [{ id: 'in_1', at: '2024-05-01T00:00:00Z', n: null }] },
      },
    },
    { name: 'user.signed_up', description: '' },
  ];

  for (const format of ['yaml', 'json'] as const) {
    it(`round-trips catalog entries through ${format}`, () => {
      expect(entries(serializeCatalog(catalog, format), format)).toEqual(catalog);
    });
  }

  it('writes stored event types without timestamps or default fields, and reads them back', () => {
    const records = [
      eventTypeRecord('a.b', null, { description: 'd' }),
      eventTypeRecord(
        'c.d',
        { '1': { type: 'object' } },
        { description: 'e', featureFlag: 'beta', groupName: 'c', deprecated: true },
      ),
    ];
    const yaml = serializeCatalog(records, 'yaml');
    expect(yaml).not.toContain('createdAt');
    expect(entries(yaml)).toEqual([
      { name: 'a.b', description: 'd' },
      {
        name: 'c.d',
        description: 'e',
        groupName: 'c',
        featureFlag: 'beta',
        deprecated: true,
        schemas: { '1': { type: 'object' } },
      },
    ]);
    expect(entries(yaml)).toEqual(records.map(toCatalogEntry));
  });

  it('writes shared fragments out in full rather than as YAML aliases', () => {
    const shared = { type: 'string' };
    const yaml = serializeCatalog(
      [
        { name: 'a.one', description: 'x', schemas: { '1': { properties: { id: shared } } } },
        { name: 'a.two', description: 'x', schemas: { '1': { properties: { id: shared } } } },
      ],
      'yaml',
    );
    expect(yaml).not.toMatch(/[&*]a\d/);
    expect(yaml.match(/type: string/g)).toHaveLength(2);
  });

  it('round-trips the billing example catalog', () => {
    const original = entries(
      readFileSync(new URL('../../../examples/catalog/billing.yaml', import.meta.url), 'utf8'),
    );
    expect(entries(serializeCatalog(original, 'yaml'))).toEqual(original);
    expect(entries(serializeCatalog(original, 'json'), 'json')).toEqual(original);
  });
});
