import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { parseCatalogFile } from './catalog-file.js';
import { buildWebhooksDocument, type WebhooksDocument } from './openapi-webhooks.js';
import { decodePointer, valueAt } from './schema-refs.js';
import { eventTypeRecord, recordOfEntry } from './test-fixtures.js';

const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (
  ajv: Ajv2020,
) => Ajv2020;

/**
 * The part of the official OpenAPI 3.1 schema (spec.openapis.org/oas/3.1/schema) that covers
 * what the builder emits, closed with unevaluatedProperties so a misspelt field fails.
 */
const EXT = { '^x-': true };
const OPENAPI_31_SUBSET = {
  type: 'object',
  required: ['openapi', 'info'],
  anyOf: [{ required: ['paths'] }, { required: ['components'] }, { required: ['webhooks'] }],
  properties: {
    openapi: { type: 'string', pattern: '^3\\.1\\.\\d+(-.+)?$' },
    info: {
      type: 'object',
      required: ['title', 'version'],
      properties: { title: { type: 'string' }, version: { type: 'string' }, description: { type: 'string' } },
      patternProperties: EXT,
      unevaluatedProperties: false,
    },
    tags: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name'],
        properties: { name: { type: 'string' } },
        unevaluatedProperties: false,
      },
    },
    webhooks: { type: 'object', additionalProperties: { $ref: '#/$defs/pathItem' } },
    components: {
      type: 'object',
      properties: {
        schemas: {
          type: 'object',
          propertyNames: { pattern: '^[a-zA-Z0-9._-]+$' },
          additionalProperties: { type: ['object', 'boolean'] },
        },
        parameters: {
          type: 'object',
          propertyNames: { pattern: '^[a-zA-Z0-9._-]+$' },
          additionalProperties: { $ref: '#/$defs/parameter' },
        },
      },
      patternProperties: EXT,
      unevaluatedProperties: false,
    },
  },
  patternProperties: EXT,
  unevaluatedProperties: false,
  $defs: {
    reference: {
      type: 'object',
      required: ['$ref'],
      properties: { $ref: { type: 'string', format: 'uri-reference' } },
      unevaluatedProperties: false,
    },
    pathItem: {
      type: 'object',
      properties: { post: { $ref: '#/$defs/operation' } },
      patternProperties: EXT,
      unevaluatedProperties: false,
    },
    operation: {
      type: 'object',
      properties: {
        tags: { type: 'array', items: { type: 'string' } },
        summary: { type: 'string' },
        description: { type: 'string' },
        operationId: { type: 'string' },
        parameters: {
          type: 'array',
          items: { oneOf: [{ $ref: '#/$defs/parameter' }, { $ref: '#/$defs/reference' }] },
        },
        requestBody: { $ref: '#/$defs/requestBody' },
        responses: { $ref: '#/$defs/responses' },
        deprecated: { type: 'boolean' },
      },
      patternProperties: EXT,
      unevaluatedProperties: false,
    },
    parameter: {
      type: 'object',
      required: ['name', 'in', 'schema'],
      properties: {
        name: { type: 'string' },
        in: { enum: ['query', 'header', 'path', 'cookie'] },
        description: { type: 'string' },
        required: { type: 'boolean' },
        schema: { type: ['object', 'boolean'] },
      },
      patternProperties: EXT,
      unevaluatedProperties: false,
    },
    requestBody: {
      type: 'object',
      required: ['content'],
      properties: {
        description: { type: 'string' },
        required: { type: 'boolean' },
        content: {
          type: 'object',
          additionalProperties: {
            type: 'object',
            properties: { schema: { type: ['object', 'boolean'] }, example: true },
            unevaluatedProperties: false,
          },
        },
      },
      patternProperties: EXT,
      unevaluatedProperties: false,
    },
    responses: {
      type: 'object',
      minProperties: 1,
      propertyNames: { pattern: '^(default|[1-5](XX|[0-9]{2}))$' },
      additionalProperties: {
        type: 'object',
        required: ['description'],
        properties: { description: { type: 'string' } },
        unevaluatedProperties: false,
      },
    },
  },
};

const DOC_ID = 'https://herald.test/openapi.json';

/** Every `$ref` in the document, wherever it is, with whether it lands on a component. */
function allRefs(doc: unknown): Array<{ ref: string; resolves: boolean }> {
  const found: Array<{ ref: string; resolves: boolean }> = [];
  const walk = (node: unknown) => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if (key === '$ref' && typeof value === 'string') {
          const lands =
            value.startsWith('#/components/') && valueAt(doc, decodePointer(value.slice(1))) !== undefined;
          found.push({ ref: value, resolves: lands });
        } else walk(value);
      }
    }
  };
  walk(doc);
  return found;
}

/** Checks a document the way a consumer's tooling would, failing the test on any problem. */
function expectValidDocument(doc: WebhooksDocument) {
  expect(JSON.parse(JSON.stringify(doc))).toEqual(doc); // plain JSON, survives serialization
  const structure = addFormats(new Ajv2020({ allErrors: true, strict: false })).compile(OPENAPI_31_SUBSET);
  expect(structure(doc), JSON.stringify(structure.errors)).toBe(true);
  expect(allRefs(doc).filter((r) => !r.resolves)).toEqual([]);

  const ajv = addFormats(new Ajv2020({ strict: false, allErrors: true }));
  ajv.addSchema({ ...structuredClone(doc), $id: DOC_ID });
  for (const [name, item] of Object.entries(doc.webhooks)) {
    const pointer = `/webhooks/${name}/post/requestBody/content/application~1json`;
    const validate = ajv.compile({ $ref: `${DOC_ID}#${pointer}/schema` });
    const example = (item.post.requestBody as { content: Record<string, { example: unknown }> }).content[
      'application/json'
    ]!.example;
    expect(validate(example), `${name}: ${JSON.stringify(validate.errors)}`).toBe(true);
  }
}

describe('buildWebhooksDocument', () => {
  const money = {
    type: 'object',
    properties: { amount: { type: 'integer' }, currency: { type: 'string', pattern: '^[a-z]{3}$' } },
    required: ['amount', 'currency'],
  };
  const catalog = [
    eventTypeRecord(
      'invoice.paid',
      {
        '1': { type: 'object', required: ['old'] },
        '2': {
          $schema: 'https://json-schema.org/draft/2020-12/schema',
          $id: 'https://billing.example/invoice.paid',
          type: 'object',
          properties: { total: { $ref: '#/$defs/money' }, parent: { $ref: '#' } },
          required: ['total'],
          $defs: { money },
        },
      },
      { groupName: 'invoice', featureFlag: 'beta' },
    ),
    eventTypeRecord(
      'invoice.voided',
      { '1': { type: 'object', properties: { total: { $ref: '#/$defs/money' } }, $defs: { money } } },
      { groupName: 'invoice', deprecated: true },
    ),
    eventTypeRecord('refund.created', {
      '1': {
        type: 'object',
        properties: { amount: { $ref: '#/$defs/money/properties/amount' } },
        $defs: { money: { ...money, title: 'other' } },
      },
    }),
    eventTypeRecord('legacy.synced', {
      '1': {
        $schema: 'http://json-schema.org/draft-07/schema#',
        type: 'object',
        properties: {
          pair: { type: 'array', items: [{ $ref: '#/definitions/id' }], additionalItems: false },
        },
        required: ['pair'],
        definitions: { id: { type: 'string', pattern: '^[a-z]+$' } },
      },
    }),
    eventTypeRecord('user.signed_up', null),
    eventTypeRecord('user.deleted', { '1': { type: 'object' } }, { archived: true }),
  ];
  const doc = buildWebhooksDocument(catalog, { title: 'Acme webhooks', version: '2024-06-01' });

  it('is an OpenAPI 3.1.0 document that validates, resolves every $ref and whose examples match their schemas', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info).toMatchObject({ title: 'Acme webhooks', version: '2024-06-01' });
    expectValidDocument(doc);
  });

  it('has one webhook per event type that is not archived, keyed by name', () => {
    expect(Object.keys(doc.webhooks).sort()).toEqual([
      'invoice.paid',
      'invoice.voided',
      'legacy.synced',
      'refund.created',
      'user.signed_up',
    ]);
  });

  it('documents each event: summary, description, group tag, deprecation, flag, headers and 2XX', () => {
    const paid = doc.webhooks['invoice.paid']!.post;
    expect(paid).toMatchObject({
      summary: 'invoice.paid',
      description: 'invoice.paid happened',
      tags: ['invoice'],
      'x-feature-flag': 'beta',
      'x-schema-version': '2',
      responses: { '2XX': { description: expect.any(String) } },
    });
    expect(paid.deprecated).toBeUndefined();
    expect(doc.webhooks['invoice.voided']!.post.deprecated).toBe(true);
    expect(doc.tags).toEqual([{ name: 'invoice' }]);
    const headers = (paid.parameters as Array<{ $ref: string }>).map((p) =>
      valueAt(doc, decodePointer(p.$ref.slice(1))),
    );
    expect(headers).toEqual([
      expect.objectContaining({ name: 'webhook-id', in: 'header', required: true }),
      expect.objectContaining({ name: 'webhook-timestamp', in: 'header', required: true }),
      expect.objectContaining({ name: 'webhook-signature', in: 'header', required: true }),
    ]);
  });

  it('uses the latest schema, without $schema or $id, with $defs hoisted into components', () => {
    const paid = doc.components.schemas['invoice.paid']!;
    expect(paid).not.toHaveProperty('$schema');
    expect(paid).not.toHaveProperty('$id');
    expect(paid).not.toHaveProperty('$defs');
    expect(paid.properties).toEqual({
      total: { $ref: '#/components/schemas/money' },
      parent: { $ref: '#/components/schemas/invoice.paid' },
    });
    expect(JSON.stringify(doc)).not.toContain('$schema');
  });

  it('shares identical definitions and renames different ones that share a name', () => {
    expect(doc.components.schemas.money).toEqual(money);
    expect(doc.components.schemas.money_2).toEqual({ ...money, title: 'other' });
    expect(doc.components.schemas['refund.created']!.properties).toEqual({
      amount: { $ref: '#/components/schemas/money_2/properties/amount' },
    });
  });

  it('turns a draft-07 schema into its 2020-12 equivalent', () => {
    expect(doc.components.schemas['legacy.synced']!.properties).toEqual({
      pair: { type: 'array', prefixItems: [{ $ref: '#/components/schemas/id' }], items: false },
    });
  });

  it('documents an event type without a schema as any JSON object', () => {
    const content = doc.webhooks['user.signed_up']!.post.requestBody as { content: Record<string, unknown> };
    expect(content.content['application/json']).toMatchObject({
      schema: { type: 'object' },
      example: { type: 'user.signed_up', data: {} },
    });
  });

  it('documents the whole billing example catalog', () => {
    const text = readFileSync(new URL('../../../examples/catalog/billing.yaml', import.meta.url), 'utf8');
    const parsed = parseCatalogFile(text, 'yaml');
    if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
    const records = parsed.eventTypes.map(recordOfEntry);
    const billing = buildWebhooksDocument(records);
    expect(Object.keys(billing.webhooks)).toHaveLength(17);
    // Shared object schemas become single components.
    expect(Object.keys(billing.components.schemas)).toEqual(
      expect.arrayContaining(['customer', 'subscription', 'invoice', 'payment', 'payout']),
    );
    expect(Object.keys(billing.components.schemas).filter((n) => /_\d+$/.test(n))).toEqual([]);
    expectValidDocument(billing);
  });
});
