/**
 * Whether an event type's JSON Schema declares a payload path, for the warnings an endpoint's
 * payload filter gets when it reads a field no schema mentions (most often a typo).
 */
import { isPlainObject, resolveLocalRef, valueAt } from './schema-refs.js';

type Schema = Record<string, unknown>;

const INDEX = /^(0|[1-9][0-9]*)$/;
/** Keywords that say something about an object's or an array's contents. */
const STRUCTURE = ['properties', 'patternProperties', 'additionalProperties', 'items', 'prefixItems', '$ref'];
const BRANCHES = ['allOf', 'anyOf', 'oneOf'] as const;
const SCALAR_TYPES = new Set(['string', 'number', 'integer', 'boolean', 'null']);
/** `$ref` hops followed at most: a schema that refers to itself stops here. */
const MAX_HOPS = 64;

function says(node: Schema): boolean {
  return STRUCTURE.some((k) => node[k] !== undefined) || BRANCHES.some((k) => Array.isArray(node[k]));
}

function onlyScalars(node: Schema): boolean {
  const type = node.type;
  if (typeof type === 'string') return SCALAR_TYPES.has(type);
  return Array.isArray(type) && type.every((t) => SCALAR_TYPES.has(t as string));
}

/**
 * True when the schema declares the path `segments` (payload paths, as a filter reads them:
 * a segment crosses an array to its elements, a number segment indexes it). A part of the
 * schema that says nothing about its contents (`{}`, an object without `properties`) declares
 * every path below it; `additionalProperties: false` or simply not listing a property does not.
 */
export function declaresPath(root: Schema, segments: readonly string[]): boolean {
  const walk = (node: unknown, i: number, hops: number): boolean => {
    if (node === true) return true;
    if (!isPlainObject(node) || hops > MAX_HOPS) return false;
    if (typeof node.$ref === 'string') {
      const target = resolveLocalRef(root, node.$ref);
      if (target && walk(valueAt(root, target), i, hops + 1)) return true;
    }
    for (const key of BRANCHES) {
      const branches = node[key];
      if (Array.isArray(branches) && branches.some((b) => walk(b, i, hops + 1))) return true;
    }
    if (i === segments.length) return true;
    if (!says(node)) return !onlyScalars(node);
    const segment = segments[i]!;
    const items = node.items ?? node.additionalItems;
    if (items !== undefined || Array.isArray(node.prefixItems)) {
      const tuple = Array.isArray(node.prefixItems) ? node.prefixItems : Array.isArray(items) ? items : null;
      if (INDEX.test(segment) && tuple?.[Number(segment)] !== undefined)
        return walk(tuple[Number(segment)], i + 1, hops);
      const each = Array.isArray(items) ? undefined : items;
      if (each !== undefined && walk(each, INDEX.test(segment) ? i + 1 : i, hops)) return true;
    }
    const properties = node.properties;
    if (isPlainObject(properties) && Object.hasOwn(properties, segment))
      return walk(properties[segment], i + 1, hops);
    const patterns = node.patternProperties;
    if (isPlainObject(patterns)) {
      for (const [pattern, sub] of Object.entries(patterns)) {
        if (safeTest(pattern, segment) && walk(sub, i + 1, hops)) return true;
      }
    }
    const extra = node.additionalProperties;
    return extra !== undefined && extra !== false && walk(extra, i + 1, hops);
  };
  return walk(root, 0, 0);
}

function safeTest(pattern: string, value: string): boolean {
  try {
    return new RegExp(pattern, 'u').test(value);
  } catch {
    return false;
  }
}
