import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type CatalogEntry, parseCatalogFile } from '../../src/domains/event-type/catalog-file.js';
import { checkJsonSchema, PayloadValidators } from '../../src/domains/event-type/schema-validation.js';
import type { EventTypeRecord } from '../../src/domains/event-type/types.js';

/** Lowercase, dot-separated segments of `[a-z][a-z0-9_]*`: `invoice.paid`, `message.attempt.failing`. */
const NAME = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/;
/** The last segment reads as something that happened or is about to: past tense, `…ing`, or `…will_…`. */
const HAPPENED = /(ed|paid|_will_[a-z_]+|ing)$/;

function load(file: string): CatalogEntry[] {
  const result = parseCatalogFile(readFileSync(new URL(file, import.meta.url), 'utf8'), 'yaml');
  if (!result.ok) throw new Error(`${file}:\n${result.errors.join('\n')}`);
  return result.eventTypes;
}

function asRecord(entry: CatalogEntry): EventTypeRecord {
  const at = new Date('2024-06-01T00:00:00Z');
  return {
    name: entry.name,
    description: entry.description,
    schemas: entry.schemas ?? null,
    featureFlag: entry.featureFlag ?? null,
    groupName: entry.groupName ?? null,
    deprecated: entry.deprecated ?? false,
    archived: entry.archived ?? false,
    createdAt: at,
    updatedAt: at,
  };
}

const BILLING = [
  'customer.created',
  'customer.updated',
  'customer.deleted',
  'subscription.created',
  'subscription.updated',
  'subscription.canceled',
  'subscription.trial_will_end',
  'invoice.created',
  'invoice.finalized',
  'invoice.paid',
  'invoice.payment_failed',
  'invoice.voided',
  'payment.succeeded',
  'payment.failed',
  'payment.refunded',
  'payout.paid',
  'payout.failed',
];

for (const file of ['billing.yaml', 'operational.yaml']) {
  describe(file, () => {
    const catalog = load(file);
    const validators = new PayloadValidators();

    it('parses as a catalog file', () => {
      expect(catalog.length).toBeGreaterThan(0);
    });

    for (const entry of catalog) {
      describe(entry.name, () => {
        it('has a noun.past_tense_verb-style name, grouped by its first segment', () => {
          expect(entry.name).toMatch(NAME);
          expect(entry.name).toMatch(HAPPENED);
          expect(entry.groupName).toBe(entry.name.split('.')[0]);
        });

        it('has a description that says when it fires', () => {
          expect(entry.description.length).toBeGreaterThan(40);
        });

        it('has a valid JSON Schema for every version', () => {
          expect(Object.keys(entry.schemas ?? {})).not.toHaveLength(0);
          for (const [version, schema] of Object.entries(entry.schemas ?? {})) {
            expect(checkJsonSchema(schema, ['schemas', version])).toEqual([]);
          }
        });

        it('has examples that validate against their own schema and carry the event name', () => {
          const record = asRecord(entry);
          const examples = (entry.schemas?.['1']?.examples ?? []) as Array<{ type?: unknown }>;
          expect(examples).not.toHaveLength(0);
          for (const example of examples) {
            expect(validators.validate(record, example)).toEqual([]);
            expect(example.type).toBe(entry.name);
          }
        });

        it('refuses a payload of another event type', () => {
          const example =
            (entry.schemas?.['1']?.examples as Array<Record<string, unknown>> | undefined)?.[0] ?? {};
          expect(validators.validate(asRecord(entry), { ...example, type: 'other.happened' })).not.toEqual(
            [],
          );
        });
      });
    }
  });
}

describe('billing.yaml taxonomy', () => {
  const catalog = load('billing.yaml');

  it('holds the complete billing taxonomy', () => {
    expect(catalog.map((e) => e.name).sort()).toEqual([...BILLING].sort());
  });

  it('describes every property of every schema', () => {
    const undescribed: string[] = [];
    const visit = (node: unknown, where: string) => {
      if (!node || typeof node !== 'object') return;
      const schema = node as Record<string, unknown>;
      for (const [key, sub] of Object.entries(
        (schema.properties ?? {}) as Record<string, Record<string, unknown>>,
      )) {
        if (!sub.description && !sub.$ref) undescribed.push(`${where}.${key}`);
        visit(sub, `${where}.${key}`);
      }
      visit(schema.items, `${where}[]`);
      for (const [name, def] of Object.entries((schema.$defs ?? {}) as Record<string, unknown>))
        visit(def, `${where}.$defs.${name}`);
    };
    for (const entry of catalog) visit(entry.schemas?.['1'], entry.name);
    expect(undescribed).toEqual([]);
  });

  it('uses one envelope: id, type, api_version, created_at, data (+ previous_attributes on updates)', () => {
    for (const entry of catalog) {
      const example =
        (entry.schemas?.['1']?.examples as Array<Record<string, unknown>> | undefined)?.[0] ?? {};
      const expected = ['id', 'type', 'api_version', 'created_at', 'data'];
      if (entry.name.endsWith('.updated')) expected.push('previous_attributes');
      expect(Object.keys(example).sort(), entry.name).toEqual(expected.sort());
      expect((example.data as { object: string }).object, entry.name).toBe(entry.groupName);
    }
  });
});
