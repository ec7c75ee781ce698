/**
 * Live checking of a JSON payload typed in the editor: first that it parses (with the line and
 * column of the mistake), then that it matches the event type's schema. Validation uses
 * @cfworker/json-schema, which interprets schemas instead of compiling code with `new Function`,
 * so the UI runs under a strict Content-Security-Policy (no 'unsafe-eval').
 */
import { type OutputUnit, type SchemaDraft, Validator } from '@cfworker/json-schema';

/** One place where the payload breaks the schema. */
export interface Violation {
  /** Where in the payload, as `customer.email` or `lines[0].amount`; `(payload)` for the root. */
  path: string;
  message: string;
}

export type PayloadCheck =
  | { kind: 'ok'; value: Record<string, unknown> }
  | { kind: 'syntax'; message: string; line: number; column: number }
  | { kind: 'not-object'; message: string }
  | { kind: 'invalid'; value: Record<string, unknown>; violations: Violation[] };

/** Errors that only say "a child failed"; the child's own error says what is wrong. */
const WRAPPERS = new Set([
  'properties',
  'patternProperties',
  'items',
  'prefixItems',
  'allOf',
  '$ref',
  '$dynamicRef',
  '$recursiveRef',
  'dependentSchemas',
  'if',
  'then',
  'else',
]);

/** A schema ready to check payloads against, or why it cannot be used. */
export interface CompiledSchema {
  validate(value: unknown): Violation[];
}

/** The JSON Schema dialect a schema declares (`$schema`); Herald's default is 2020-12. */
export function schemaDraft(schema: Record<string, unknown>): SchemaDraft {
  const declared = typeof schema.$schema === 'string' ? schema.$schema : '';
  if (declared.includes('draft-07')) return '7';
  if (declared.includes('draft-04')) return '4';
  if (declared.includes('2019-09')) return '2019-09';
  return '2020-12';
}

/** Prepares a schema once, so each keystroke only validates. */
export function compileSchema(schema: Record<string, unknown>): CompiledSchema {
  const validator = new Validator(schema as never, schemaDraft(schema), false);
  return {
    validate(value) {
      try {
        const result = validator.validate(value);
        return result.valid ? [] : plainViolations(result.errors);
      } catch (err) {
        return [{ path: '(schema)', message: `The schema could not be applied: ${(err as Error).message}` }];
      }
    },
  };
}

/** Parses and checks the editor's text. `schema` null means the event type has no schema. */
export function checkPayload(text: string, schema: CompiledSchema | null): PayloadCheck {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const { line, column } = syntaxPosition(text, (err as Error).message);
    return { kind: 'syntax', message: syntaxMessage((err as Error).message), line, column };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    return { kind: 'not-object', message: 'A webhook payload is a JSON object: wrap it in { }.' };
  const record = value as Record<string, unknown>;
  const violations = schema ? schema.validate(record) : [];
  return violations.length > 0
    ? { kind: 'invalid', value: record, violations }
    : { kind: 'ok', value: record };
}

/** The line and column (1-based) of a JSON.parse error, from the position engines report. */
export function syntaxPosition(text: string, message: string): { line: number; column: number } {
  const explicit = /line (\d+) column (\d+)/.exec(message);
  if (explicit) return { line: Number(explicit[1]), column: Number(explicit[2]) };
  const position = /position (\d+)/.exec(message);
  const offset = position ? Number(position[1]) : text.length;
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: (before[before.length - 1]?.length ?? 0) + 1 };
}

function syntaxMessage(message: string): string {
  const cleaned = message
    .replace(/^JSON\.parse: /, '')
    .replace(/ in JSON at position \d+.*$/, '')
    .replace(/ \(line \d+ column \d+\)$/, '');
  if (/Unexpected end of JSON input/i.test(cleaned))
    return 'The JSON ends too early: a bracket or quote is missing.';
  return cleaned.endsWith('.') ? cleaned : `${cleaned}.`;
}

/** `#/lines/0/amount` → `lines[0].amount`. */
export function payloadPath(instanceLocation: string): string {
  const parts = instanceLocation
    .replace(/^#\/?/, '')
    .split('/')
    .filter((p) => p !== '')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (parts.length === 0) return '(payload)';
  return parts.reduce(
    (path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : path ? `${path}.${part}` : part),
    '',
  );
}

function plainViolations(errors: OutputUnit[]): Violation[] {
  const seen = new Set<string>();
  const paths = new Set<string>();
  const out: Violation[] = [];
  const causes = errors.filter((error) => !WRAPPERS.has(error.keyword));
  for (const error of causes.length > 0 ? causes : errors.slice(-1)) {
    const violation = plainViolation(error);
    // A `false` schema repeats what additionalProperties/additionalItems already said for that place.
    if (error.keyword === 'false' && paths.has(violation.path)) continue;
    const key = `${violation.path}\u0000${violation.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    paths.add(violation.path);
    out.push(violation);
  }
  return out;
}

function plainViolation(error: OutputUnit): Violation {
  const path = payloadPath(error.instanceLocation);
  const text = error.error;
  const quoted = /"([^"]*)"/.exec(text)?.[1];
  switch (error.keyword) {
    case 'required':
      return {
        path: quoted ? payloadPath(`${error.instanceLocation}/${quoted}`) : path,
        message: 'is required but missing',
      };
    case 'type': {
      const match = /Instance type "(\w+)" is invalid\. Expected "([^"]+)"/.exec(text);
      return { path, message: match ? `should be ${article(match[2]!)}, not ${article(match[1]!)}` : text };
    }
    case 'false':
      return { path, message: 'is not allowed here' };
    case 'additionalItems':
      return { path, message: 'has more items than this event type allows' };
    case 'format':
      return { path, message: quoted ? `should be a valid ${quoted}` : text };
    case 'additionalProperties':
    case 'unevaluatedProperties':
      return {
        path: quoted ? payloadPath(`${error.instanceLocation}/${quoted}`) : path,
        message: 'is not a property this event type has',
      };
    default:
      return { path, message: lowerFirst(text.replace(/^Instance /, '')) };
  }
}

function article(type: string): string {
  const readable = type.replace(/,/g, ' or ');
  return /^[aeiou]/.test(readable) ? `an ${readable}` : `a ${readable}`;
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

/**
 * The latest schema of an event type (the highest numeric version key), as Herald picks the
 * one payloads are validated against.
 */
export function latestSchema(
  schemas: Record<string, Record<string, unknown>> | null | undefined,
): Record<string, unknown> | null {
  if (!schemas) return null;
  const versions = Object.keys(schemas)
    .filter((key) => /^\d+$/.test(key))
    .sort((a, b) => Number(b) - Number(a));
  const key = versions[0];
  return key === undefined ? null : (schemas[key] ?? null);
}

/** The example payload an event type shows: its schema's own `examples[0]`, else `example`. */
export function schemaExample(schema: Record<string, unknown> | null): Record<string, unknown> | null {
  if (!schema) return null;
  const isObject = (v: unknown): v is Record<string, unknown> =>
    v !== null && typeof v === 'object' && !Array.isArray(v);
  if (Array.isArray(schema.examples) && isObject(schema.examples[0])) return schema.examples[0];
  if (isObject(schema.example)) return schema.example;
  return null;
}
