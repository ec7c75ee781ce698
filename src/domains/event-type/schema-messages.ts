/**
 * Turning ajv's error objects into plain English for people: the operator whose schema is not
 * a valid JSON Schema (meta-schema errors, grouped per location) and the platform whose payload
 * does not match its schema (one violation per failed rule, pointing at the value).
 */
import type { ErrorObject } from 'ajv';
import type { ValidationIssue } from '../../errors.js';
import { decodePointer, encodePointer, valueAt } from './schema-refs.js';
import type { PayloadViolation } from './schema-validation.js';

/** Most violations reported for one payload; past this the list stops helping. */
export const MAX_VIOLATIONS = 50;

const JSON_TYPES = ['array', 'boolean', 'integer', 'null', 'number', 'object', 'string'];

const ARTICLE: Record<string, string> = {
  array: 'an array',
  boolean: 'a boolean',
  integer: 'an integer',
  null: 'null',
  number: 'a number',
  object: 'an object',
  string: 'a string',
};

function joinOr(words: string[]): string {
  if (words.length <= 1) return words.join('');
  return `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}`;
}

/** `a string`, `an integer`, `null`… for the JSON type of a value. */
function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a number';
  return ARTICLE[typeof value] ?? typeof value;
}

function typeList(type: unknown): string[] {
  const names = Array.isArray(type) ? type : String(type).split(',');
  return names.map((t) => ARTICLE[String(t)] ?? String(t));
}

/**
 * Meta-schema errors as 422 issues: one per location in the schema, the most specific message
 * kept (ajv also reports the `anyOf` wrappers around the real problem, and 2020-12's dynamic
 * references repeat some errors).
 */
export function describeMetaErrors(
  errors: ErrorObject[],
  schema: Record<string, unknown>,
  at: string[],
): ValidationIssue[] {
  const groups = new Map<string, ErrorObject[]>();
  for (const error of errors) {
    const list = groups.get(error.instancePath) ?? [];
    list.push(error);
    groups.set(error.instancePath, list);
  }
  const issues: ValidationIssue[] = [];
  for (const [pointer, group] of groups) {
    const path = decodePointer(pointer);
    issues.push({
      loc: [...at, ...path],
      msg: metaMessage(group, path, valueAt(schema, path)),
      type: 'value_error.jsonschema',
    });
  }
  return issues;
}

function metaMessage(group: ErrorObject[], path: string[], value: unknown): string {
  const enumError = group.find((e) => e.keyword === 'enum');
  if (path[path.length - 1] === 'type' && enumError) {
    return `${JSON.stringify(value)} is not a JSON type: use one of ${JSON_TYPES.join(', ')}, or an array of them`;
  }
  if (enumError) {
    const allowed = (enumError.params as { allowedValues: unknown[] }).allowedValues;
    return `must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}, not ${JSON.stringify(value)}`;
  }
  const types = group.filter((e) => e.keyword === 'type').flatMap((e) => typeList(e.params.type));
  if (types.length > 0) {
    const unique = [...new Set(types)];
    const isSchemaSlot = unique.includes('an object') && unique.includes('a boolean');
    const expected = isSchemaSlot
      ? [
          'a schema (an object, true or false)',
          ...unique.filter((t) => t !== 'an object' && t !== 'a boolean'),
        ]
      : unique;
    const hint =
      isSchemaSlot && path[path.length - 1] === 'items' && Array.isArray(value)
        ? ' (draft 2020-12 spells tuples "prefixItems"; declare "$schema" draft-07 to keep the array form)'
        : '';
    return `must be ${joinOr(expected)}, not ${describeValue(value)}${hint}`;
  }
  const specific = group.filter((e) => !['anyOf', 'oneOf', 'allOf', 'if', '$dynamicRef'].includes(e.keyword));
  const chosen = specific.length > 0 ? specific : group;
  return [...new Set(chosen.map((e) => e.message ?? 'is invalid'))].join('; ');
}

/** One ajv error on a payload as a violation that points at the value at fault. */
export function describeViolation(error: ErrorObject): PayloadViolation {
  const params = error.params as Record<string, unknown>;
  let pointer = error.instancePath;
  let message: string;
  switch (error.keyword) {
    case 'required':
      pointer += encodePointer([String(params.missingProperty)]);
      message = 'is required';
      break;
    case 'dependentRequired':
    case 'dependencies':
      pointer += encodePointer([String(params.missingProperty)]);
      message = `is required when ${JSON.stringify(params.property)} is present`;
      break;
    case 'additionalProperties':
      pointer += encodePointer([String(params.additionalProperty)]);
      message = 'is not an allowed property';
      break;
    case 'unevaluatedProperties':
      pointer += encodePointer([String(params.unevaluatedProperty)]);
      message = 'is not an allowed property';
      break;
    case 'type':
      message = `must be ${joinOr(typeList(params.type))}`;
      break;
    case 'enum':
      message = `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
      break;
    case 'const':
      message = `must be ${JSON.stringify(params.allowedValue)}`;
      break;
    case 'format':
      message = `must be a valid ${String(params.format)}`;
      break;
    case 'pattern':
      message = `must match the pattern ${String(params.pattern)}`;
      break;
    default:
      message = error.message ?? 'is invalid';
  }
  return { pointer, rule: error.keyword, message };
}
