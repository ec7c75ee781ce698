/**
 * The event catalog as code: a YAML or JSON file kept in the platform's repository, reviewed like
 * any other change and imported with `herald event-types import <file>`.
 *
 * File shape (YAML shown; JSON is the same structure):
 *
 * ```yaml
 * eventTypes:
 *   - name: invoice.paid            # required, ^[a-zA-Z0-9\-_.]+$, at most 256 characters
 *     description: An invoice ...   # required
 *     groupName: invoice            # optional, same rule as name
 *     featureFlag: beta-invoices    # optional, same rule as name
 *     deprecated: false             # optional
 *     archived: false               # optional
 *     schemaMode: enforce           # optional: enforce | warn | off
 *     schemas:                      # optional: version ("1", "2", …) → JSON Schema
 *       "1": { type: object, ... }
 * ```
 *
 * Top-level keys starting with `x-` are ignored, so a YAML file can keep shared schema fragments
 * there and reuse them through anchors (`&money` / `*money`). Names must be unique. Every schema
 * must be a valid JSON Schema and every `examples` entry of a schema must match that schema.
 */
import YAML from 'yaml';
import { isPlainObject } from './schema-refs.js';
import { checkJsonSchema, EVENT_TYPE_NAME_PATTERN, PayloadValidators } from './schema-validation.js';
import type { EventTypeRecord, SchemaMode } from './types.js';

/** One event type as written in a catalog file. */
export interface CatalogEntry {
  name: string;
  description: string;
  schemas?: Record<string, Record<string, unknown>> | null;
  featureFlag?: string | null;
  groupName?: string | null;
  deprecated?: boolean;
  archived?: boolean;
  schemaMode?: SchemaMode;
}

/** The two file formats of a catalog. */
export type CatalogFormat = 'yaml' | 'json';

/** The outcome of parsing a catalog file: the entries, or every problem found, each naming its entry and field. */
export type CatalogParseResult = { ok: true; eventTypes: CatalogEntry[] } | { ok: false; errors: string[] };

const FIELDS = [
  'name',
  'description',
  'groupName',
  'featureFlag',
  'deprecated',
  'archived',
  'schemaMode',
  'schemas',
];
const SCHEMA_MODES: SchemaMode[] = ['enforce', 'warn', 'off'];
const MAX_NAME_LENGTH = 256;

/** The catalog format a file name implies (`.yaml`, `.yml`, `.json`, any case), or null. */
export function formatFromPath(path: string): CatalogFormat | null {
  const lower = path.toLowerCase();
  if (lower.endsWith('.yaml') || lower.endsWith('.yml')) return 'yaml';
  if (lower.endsWith('.json')) return 'json';
  return null;
}

/**
 * Parses and validates a catalog file. Nothing is half-accepted: either every entry is valid and
 * they are returned in file order, or the result lists all the problems, e.g.
 * `eventTypes[3] (invoice.paid): schemas.1 is not a valid JSON Schema: properties.amount.type: …`.
 */
export function parseCatalogFile(text: string, format: CatalogFormat): CatalogParseResult {
  let document: unknown;
  try {
    document = format === 'json' ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    return {
      ok: false,
      errors: [`the file is not valid ${format.toUpperCase()}: ${(err as Error).message}`],
    };
  }
  if (!isPlainObject(document))
    return { ok: false, errors: ['the file must hold an object with an "eventTypes" list'] };
  const errors: string[] = [];
  for (const key of Object.keys(document)) {
    if (key !== 'eventTypes' && !key.startsWith('x-')) {
      errors.push(
        `unknown top-level key "${key}" (expected "eventTypes"; keys starting with "x-" are ignored)`,
      );
    }
  }
  const list = document.eventTypes;
  if (!Array.isArray(list)) return { ok: false, errors: [...errors, '"eventTypes" must be a list'] };

  // A JSON copy, so entries never share objects through YAML aliases (structuredClone would keep
  // the sharing) and hold nothing JSON cannot (YAML's .inf becomes null and is then refused).
  const entries = JSON.parse(JSON.stringify(list)) as unknown[];
  const firstIndex = new Map<string, number>();
  const validators = new PayloadValidators();
  entries.forEach((entry, index) => {
    const label =
      isPlainObject(entry) && typeof entry.name === 'string'
        ? `eventTypes[${index}] (${entry.name})`
        : `eventTypes[${index}]`;
    const problems = checkEntry(entry, validators);
    errors.push(...problems.map((p) => `${label}: ${p}`));
    if (isPlainObject(entry) && typeof entry.name === 'string') {
      const first = firstIndex.get(entry.name);
      if (first !== undefined)
        errors.push(`${label}: duplicate name, already defined by eventTypes[${first}]`);
      else firstIndex.set(entry.name, index);
    }
  });
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, eventTypes: entries as CatalogEntry[] };
}

function parseYaml(text: string): unknown {
  const document = YAML.parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const first = document.errors[0];
  if (first) throw first;
  // The default alias budget stops "billion laughs" files; shared fragments used a few dozen times fit.
  return document.toJS({ maxAliasCount: 100 });
}

/** The problems of one entry, each starting with the field at fault. */
function checkEntry(entry: unknown, validators: PayloadValidators): string[] {
  if (!isPlainObject(entry)) return ['must be an object with at least "name" and "description"'];
  const problems: string[] = [];
  for (const key of Object.keys(entry)) {
    if (!FIELDS.includes(key)) problems.push(`unknown field "${key}"${suggestion(key)}`);
  }
  problems.push(...checkName('name', entry.name, true));
  if (typeof entry.description !== 'string') problems.push('description is required and must be a string');
  problems.push(...checkName('groupName', entry.groupName, false));
  problems.push(...checkName('featureFlag', entry.featureFlag, false));
  for (const flag of ['deprecated', 'archived'] as const) {
    if (entry[flag] !== undefined && typeof entry[flag] !== 'boolean')
      problems.push(`${flag} must be true or false`);
  }
  if (entry.schemaMode !== undefined && !SCHEMA_MODES.includes(entry.schemaMode as SchemaMode)) {
    problems.push(
      `schemaMode must be one of ${SCHEMA_MODES.join(', ')}, not ${JSON.stringify(entry.schemaMode)}`,
    );
  }
  problems.push(...checkSchemas(entry, validators));
  return problems;
}

function checkName(field: string, value: unknown, required: boolean): string[] {
  if (value === undefined || (value === null && !required)) return required ? [`${field} is required`] : [];
  if (typeof value !== 'string') return [`${field} must be a string`];
  if (value.length > MAX_NAME_LENGTH) return [`${field} must be at most ${MAX_NAME_LENGTH} characters`];
  if (!EVENT_TYPE_NAME_PATTERN.test(value)) {
    return [`${field} ${JSON.stringify(value)} may only contain letters, digits, "-", "_" and "."`];
  }
  return [];
}

function checkSchemas(entry: Record<string, unknown>, validators: PayloadValidators): string[] {
  const schemas = entry.schemas;
  if (schemas === undefined || schemas === null) return [];
  if (!isPlainObject(schemas)) return ['schemas must map versions ("1", "2", …) to JSON Schemas'];
  const problems: string[] = [];
  for (const [version, schema] of Object.entries(schemas)) {
    if (!/^[1-9][0-9]*$/.test(version)) {
      problems.push(`schemas.${version}: versions are positive integers such as "1"`);
      continue;
    }
    const issues = checkJsonSchema(schema, []);
    if (issues.length > 0) {
      const details = issues
        .map((i) => (i.loc.length > 0 ? `${i.loc.join('.')}: ${i.msg}` : i.msg))
        .join('; ');
      problems.push(`schemas.${version} is not a valid JSON Schema: ${details}`);
      continue;
    }
    problems.push(
      ...checkSchemaExamples(String(entry.name), version, schema as Record<string, unknown>, validators),
    );
  }
  return problems;
}

/** A schema's own `examples` must match it, or the docs would show payloads Herald refuses. */
function checkSchemaExamples(
  name: string,
  version: string,
  schema: Record<string, unknown>,
  validators: PayloadValidators,
): string[] {
  if (!Array.isArray(schema.examples)) return [];
  const record: EventTypeRecord = {
    name: `${name}@${version}`,
    description: '',
    schemas: { '1': schema },
    featureFlag: null,
    groupName: null,
    deprecated: false,
    archived: false,
    createdAt: new Date(0),
    updatedAt: new Date(0),
  };
  return schema.examples.flatMap((example, i) =>
    (validators.validate(record, example) ?? []).map(
      (v) =>
        `schemas.${version}.examples[${i}] does not match the schema: ${v.pointer || '(root)'} ${v.message}`,
    ),
  );
}

function suggestion(key: string): string {
  const lower = key.toLowerCase();
  if (lower === 'schema') return ' (did you mean "schemas"?)';
  if (lower === 'featureflags') return ' (a catalog entry has one "featureFlag")';
  const match = FIELDS.find((f) => f.toLowerCase() === lower);
  return match ? ` (did you mean "${match}"?)` : '';
}

/**
 * A stored event type as a catalog entry, leaving out its timestamps and the fields at their
 * defaults (no group, no flag, not deprecated, not archived, no schema). A catalog entry is
 * copied field for field, so what was written explicitly stays explicit.
 */
export function toCatalogEntry(eventType: EventTypeRecord | CatalogEntry): CatalogEntry {
  if ('createdAt' in eventType && eventType.createdAt instanceof Date) {
    const entry: CatalogEntry = { name: eventType.name, description: eventType.description };
    if (eventType.groupName !== null) entry.groupName = eventType.groupName;
    if (eventType.featureFlag !== null) entry.featureFlag = eventType.featureFlag;
    if (eventType.deprecated) entry.deprecated = true;
    if (eventType.archived) entry.archived = true;
    if (eventType.schemas !== null) entry.schemas = structuredClone(eventType.schemas);
    return entry;
  }
  const source = eventType as unknown as Record<string, unknown>;
  const entry: Record<string, unknown> = {};
  for (const field of FIELDS) {
    if (source[field] !== undefined) entry[field] = structuredClone(source[field]);
  }
  return entry as unknown as CatalogEntry;
}

/**
 * Writes a catalog file that `parseCatalogFile` reads back to the same entries. Stored event
 * types lose their timestamps and the fields left at their defaults (no group, not deprecated…);
 * catalog entries are written field for field.
 */
export function serializeCatalog(
  eventTypes: EventTypeRecord[] | CatalogEntry[],
  format: CatalogFormat,
): string {
  const document = { eventTypes: eventTypes.map((et) => toCatalogEntry(et)) };
  if (format === 'json') return `${JSON.stringify(document, null, 2)}\n`;
  const header = '# Herald event catalog. Import with: herald event-types import <this file>\n';
  return header + YAML.stringify(document, { aliasDuplicateObjects: false, lineWidth: 0 });
}
