/**
 * Checking event type schemas and validating message payloads against them.
 *
 * Two jobs with different costs: `checkJsonSchema` runs when an operator writes an event type
 * (rare, may take milliseconds, must explain itself in a 422), `PayloadValidators` runs on every
 * message (hot, must cost microseconds, so each schema is compiled once and cached).
 */
import type { ErrorObject, ValidateFunction } from 'ajv';
import { Ajv } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { ValidationIssue } from '../../errors.js';
import { describeMetaErrors, describeViolation, MAX_VIOLATIONS } from './schema-messages.js';
import { forEachSubschema, isPlainObject, unresolvedRefs } from './schema-refs.js';
import type { EventTypeRecord } from './types.js';

/** One way a payload breaks its event type's schema. */
export interface PayloadViolation {
  /** JSON pointer to the offending value, e.g. `/customer/id` (empty string for the root). */
  pointer: string;
  /** The JSON Schema keyword that failed, e.g. `required`, `type`, `format`. */
  rule: string;
  /** Plain-English explanation, without the location (that is `pointer`). */
  message: string;
}

/** The JSON Schema dialects Herald accepts for event type schemas. */
export type SchemaDialect = '2020-12' | 'draft-07';

type AnyAjv = Ajv | Ajv2020;

// ajv-formats is CommonJS; under NodeNext its default import is the module object.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ??
  addFormatsModule) as unknown as (ajv: AnyAjv) => AnyAjv;

const DIALECT_URIS: Record<string, SchemaDialect> = {
  'json-schema.org/draft/2020-12/schema': '2020-12',
  'json-schema.org/draft-07/schema': 'draft-07',
};

/**
 * The dialect a schema declares with `$schema` (2020-12 when absent), or undefined when it
 * declares one Herald does not support.
 */
export function schemaDialect(schema: Record<string, unknown>): SchemaDialect | undefined {
  const declared = schema.$schema;
  if (declared === undefined) return '2020-12';
  if (typeof declared !== 'string') return undefined;
  const key = declared.replace(/^https?:\/\//, '').replace(/#$/, '');
  return DIALECT_URIS[key];
}

/**
 * A new ajv instance for a dialect. `strict: false` so that annotations other tools put in
 * schemas (`example`, `x-*`, `nullable`) are ignored instead of refused; formats are checked.
 */
function newAjv(dialect: SchemaDialect): AnyAjv {
  const options = { strict: false, allErrors: true, logger: false as const, validateFormats: true };
  const ajv = dialect === 'draft-07' ? new Ajv(options) : new Ajv2020(options);
  addFormats(ajv);
  return ajv;
}

/** The schema as ajv should see it: `$schema` removed, since the instance already fixes the dialect. */
function withoutDialect(schema: Record<string, unknown>): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = schema;
  return rest;
}

/**
 * Compiles with an ajv instance that may already hold other schemas: a root `$id` seen before is
 * dropped first, and the schema is unregistered afterwards so the instance does not grow with
 * every edit of an event type. The returned function keeps working after unregistering.
 */
function compileIsolated(ajv: AnyAjv, schema: Record<string, unknown>): ValidateFunction {
  const copy = withoutDialect(schema);
  if (typeof copy.$id === 'string') ajv.removeSchema(copy.$id);
  try {
    return ajv.compile(copy);
  } finally {
    ajv.removeSchema(copy);
  }
}

const checkers = new Map<SchemaDialect, AnyAjv>();
function checkerFor(dialect: SchemaDialect): AnyAjv {
  let ajv = checkers.get(dialect);
  if (!ajv) {
    ajv = newAjv(dialect);
    checkers.set(dialect, ajv);
  }
  return ajv;
}

/**
 * Checks that `schema` is a usable JSON Schema for an event type and says what is wrong if not.
 * Empty when fine. Draft 2020-12 unless `$schema` names draft-07. Beyond the meta-schema, the
 * schema is compiled, which catches `$ref`s that lead nowhere and patterns that are not valid
 * regular expressions. Unknown keywords (`example`, `x-…`) are allowed.
 *
 * `at` prefixes every `loc`, e.g. `['body', 'schemas', '1']`, so issues drop straight into a
 * 422 body.
 */
export function checkJsonSchema(schema: unknown, at: string[] = []): ValidationIssue[] {
  if (!isPlainObject(schema)) {
    return [{ loc: at, msg: 'must be a JSON Schema object', type: 'type_error.dict' }];
  }
  const dialect = schemaDialect(schema);
  if (!dialect) {
    return [
      {
        loc: [...at, '$schema'],
        msg:
          `unsupported JSON Schema dialect ${JSON.stringify(schema.$schema)}: use ` +
          '"https://json-schema.org/draft/2020-12/schema" (the default) or "http://json-schema.org/draft-07/schema#"',
        type: 'value_error.jsonschema.dialect',
      },
    ];
  }
  const ajv = checkerFor(dialect);
  const copy = withoutDialect(schema);
  if (!ajv.validateSchema(copy)) return describeMetaErrors(ajv.errors ?? [], copy, at);

  const problems: ValidationIssue[] = [
    ...unresolvedRefs(schema).map(({ path, ref }) => ({
      loc: [...at, ...path, '$ref'],
      msg: `cannot resolve ${JSON.stringify(ref)}: references must point inside this schema (e.g. "#/$defs/name")`,
      type: 'value_error.jsonschema.ref',
    })),
    ...invalidPatterns(schema).map(({ loc, reason }) => ({
      loc: [...at, ...loc],
      msg: `is not a valid regular expression: ${reason}`,
      type: 'value_error.jsonschema.pattern',
    })),
  ];
  if (problems.length > 0) return problems;
  try {
    compileIsolated(ajv, schema);
  } catch (err) {
    return [
      { loc: at, msg: `cannot be compiled: ${(err as Error).message}`, type: 'value_error.jsonschema' },
    ];
  }
  return [];
}

/** Patterns (`pattern` values and `patternProperties` keys) that JavaScript cannot compile with the `u` flag, as ajv does. */
function invalidPatterns(schema: Record<string, unknown>): Array<{ loc: string[]; reason: string }> {
  const found: Array<{ loc: string[]; reason: string }> = [];
  const tryCompile = (source: string, loc: string[]) => {
    try {
      new RegExp(source, 'u');
    } catch (err) {
      found.push({ loc, reason: (err as Error).message });
    }
  };
  forEachSubschema(schema, (node, path) => {
    if (typeof node.pattern === 'string') tryCompile(node.pattern, [...path, 'pattern']);
    if (isPlainObject(node.patternProperties)) {
      for (const key of Object.keys(node.patternProperties))
        tryCompile(key, [...path, 'patternProperties', key]);
    }
  });
  return found;
}

/**
 * Checks an event type's whole `schemas` map: version keys must be positive integers ("1",
 * "2", …) and every value a valid JSON Schema. `null`/absent is fine (no schema).
 */
export function checkEventTypeSchemas(
  schemas: unknown,
  at: string[] = ['body', 'schemas'],
): ValidationIssue[] {
  if (schemas === null || schemas === undefined) return [];
  if (!isPlainObject(schemas)) {
    return [
      { loc: at, msg: 'must be an object keyed by schema version ("1", "2", …)', type: 'type_error.dict' },
    ];
  }
  const issues: ValidationIssue[] = [];
  for (const [version, schema] of Object.entries(schemas)) {
    if (!/^[1-9][0-9]*$/.test(version)) {
      issues.push({
        loc: [...at, version],
        msg: 'schema versions are keyed by a positive integer such as "1"',
        type: 'value_error.jsonschema.version',
      });
      continue;
    }
    issues.push(...checkJsonSchema(schema, [...at, version]));
  }
  return issues;
}

/**
 * The latest schema of an event type: the one with the highest numeric version key, or null
 * when there is none.
 */
export function latestSchema(
  schemas: EventTypeRecord['schemas'],
): { version: string; schema: Record<string, unknown> } | null {
  if (!schemas) return null;
  let best: { version: string; schema: Record<string, unknown> } | null = null;
  for (const [version, schema] of Object.entries(schemas)) {
    if (!/^[0-9]+$/.test(version) || !isPlainObject(schema)) continue;
    if (!best || Number(version) > Number(best.version)) best = { version, schema };
  }
  return best;
}

interface CachedValidator {
  version: string;
  updatedAtMs: number;
  validate: ValidateFunction | null;
  compileError?: string;
}

/**
 * Validates message payloads against their event type's latest schema, compiling each schema
 * once and caching it by `(name, version, updatedAt)`: editing an event type bumps `updatedAt`
 * and the next message recompiles. One cache entry per event type name, so memory is bounded
 * by the size of the catalog.
 */
export class PayloadValidators {
  readonly #cache = new Map<string, CachedValidator>();
  readonly #ajv = new Map<SchemaDialect, AnyAjv>();

  /**
   * The violations of `payload` against the latest schema of `eventType`: `[]` when it
   * conforms, `null` when the event type has no schema. At most 50 violations are listed. A
   * stored schema that cannot be compiled yields one violation with rule `schema` rather than
   * an exception, so a bad catalog entry cannot crash the ingest path.
   */
  validate(eventType: EventTypeRecord, payload: unknown): PayloadViolation[] | null {
    const latest = latestSchema(eventType.schemas);
    if (!latest) return null;
    const entry = this.#entryFor(eventType, latest.version, latest.schema);
    if (!entry.validate) {
      return [
        {
          pointer: '',
          rule: 'schema',
          message: `the event type's schema is unusable: ${entry.compileError}`,
        },
      ];
    }
    if (entry.validate(payload)) return [];
    return (entry.validate.errors ?? [])
      .slice(0, MAX_VIOLATIONS)
      .map((e: ErrorObject) => describeViolation(e));
  }

  /** Drops the compiled schema of a deleted event type. */
  forget(name: string): void {
    this.#cache.delete(name);
  }

  /** How many event types have a compiled schema in the cache. */
  get size(): number {
    return this.#cache.size;
  }

  #entryFor(eventType: EventTypeRecord, version: string, schema: Record<string, unknown>): CachedValidator {
    const updatedAtMs = eventType.updatedAt.getTime();
    const cached = this.#cache.get(eventType.name);
    if (cached && cached.version === version && cached.updatedAtMs === updatedAtMs) return cached;
    const entry: CachedValidator = { version, updatedAtMs, validate: null };
    const dialect = schemaDialect(schema);
    if (!dialect) entry.compileError = `unsupported $schema ${JSON.stringify(schema.$schema)}`;
    else {
      try {
        entry.validate = compileIsolated(this.#ajvFor(dialect), schema);
      } catch (err) {
        entry.compileError = (err as Error).message;
      }
    }
    this.#cache.set(eventType.name, entry);
    return entry;
  }

  #ajvFor(dialect: SchemaDialect): AnyAjv {
    let ajv = this.#ajv.get(dialect);
    if (!ajv) {
      ajv = newAjv(dialect);
      this.#ajv.set(dialect, ajv);
    }
    return ajv;
  }
}

/** Svix's event type name rule: letters, digits, `-`, `_` and `.`, at most 256 characters. */
export const EVENT_TYPE_NAME_PATTERN = /^[a-zA-Z0-9\-_.]+$/;
const MAX_NAME_LENGTH = 256;

/**
 * Whether `entry` may appear in an endpoint's event type filter: an event type name, or a name
 * prefix ending in `.*` (`invoice.*`). A lone `*` is refused — "everything" is spelled `null`,
 * as in Svix — and so is a `*` anywhere but after the last dot.
 */
export function isValidEventTypeFilter(entry: string): boolean {
  if (typeof entry !== 'string' || entry.length === 0 || entry.length > MAX_NAME_LENGTH) return false;
  if (entry.endsWith('.*')) {
    const prefix = entry.slice(0, -2);
    return prefix.length > 0 && !prefix.endsWith('.') && EVENT_TYPE_NAME_PATTERN.test(prefix);
  }
  return EVENT_TYPE_NAME_PATTERN.test(entry);
}
