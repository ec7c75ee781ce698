/**
 * Example payloads for event types: what the docs, the consumer portal's "send example" button
 * and the OpenAPI document show. An operator's own example wins; otherwise one is generated from
 * the latest schema, realistic enough to read and valid against the schema it came from.
 */
import { formatValue, numberHint, stringHints, stringMatching } from './example-values.js';
import { isPlainObject, resolveLocalRef, valueAt } from './schema-refs.js';
import { latestSchema } from './schema-validation.js';
import type { EventTypeRecord } from './types.js';

type Schema = Record<string, unknown>;

interface Context {
  root: Schema;
  /** `$ref`s expanded on the way down to this point, to spot recursion. */
  refs: string[];
  depth: number;
  eventTypeName: string | undefined;
}

/** Below this depth, or once a `$ref` repeats, only required properties and minimum items are generated. */
const MAX_DEPTH = 8;

/**
 * An example payload for an event type: the latest schema's `examples[0]` (or OpenAPI-style
 * `example`) when the operator gave one, else one generated from that schema, else — no schema
 * at all — a `{ type, data: {} }` placeholder. Always a fresh object the caller may modify.
 */
export function exampleFor(eventType: EventTypeRecord): Record<string, unknown> {
  const placeholder = { type: eventType.name, data: {} };
  const latest = latestSchema(eventType.schemas);
  if (!latest) return placeholder;
  const { schema } = latest;
  if (Array.isArray(schema.examples) && isPlainObject(schema.examples[0]))
    return structuredClone(schema.examples[0]);
  if (isPlainObject(schema.example)) return structuredClone(schema.example);
  const generated = generateExample(schema, eventType.name);
  return isPlainObject(generated) ? generated : placeholder;
}

/**
 * A value generated from a JSON Schema (draft 2020-12 or draft-07): every property, required or
 * not; the first `enum` value; `const`; the first `oneOf`/`anyOf` branch (skipping a bare
 * `null` branch); `allOf` merged; local `$ref`s followed; one array item (or `minItems`);
 * numbers inside their bounds and multiples; realistic strings for formats, patterns and
 * well-known property names. `if`/`then`/`else` and `not` are not interpreted: give such
 * schemas an explicit `examples` entry.
 */
export function generateExample(schema: Schema, eventTypeName?: string): unknown {
  return generate(schema, { root: schema, refs: [], depth: 0, eventTypeName }, undefined, 0);
}

function generate(schema: unknown, ctx: Context, name: string | undefined, variant: number): unknown {
  if (schema === false) return undefined;
  if (!isPlainObject(schema)) return stringFor({}, ctx, name, variant);
  const refs: string[] = [];
  const node = flatten(schema, ctx.root, refs, 0);
  const recursive = refs.some((ref) => ctx.refs.includes(ref));
  const child: Context = { ...ctx, refs: [...ctx.refs, ...refs], depth: ctx.depth + 1 };
  const shallow = recursive || ctx.depth >= MAX_DEPTH;

  if ('const' in node) return structuredClone(node.const);
  if (Array.isArray(node.enum) && node.enum.length > 0)
    return structuredClone(node.enum[variant % node.enum.length]);
  if (Array.isArray(node.examples) && node.examples.length > variant)
    return structuredClone(node.examples[variant]);
  if (variant === 0 && 'example' in node) return structuredClone(node.example);
  if (variant === 0 && 'default' in node) return structuredClone(node.default);

  switch (typeOf(node)) {
    case 'object':
      return objectFor(node, child, shallow);
    case 'array':
      return arrayFor(node, child, shallow, name);
    case 'integer':
      return numberFor(node, name, variant, true);
    case 'number':
      return numberFor(node, name, variant, false);
    case 'boolean':
      return variant % 2 === 1;
    case 'null':
      return null;
    default:
      return stringFor(node, ctx, name, variant);
  }
}

/** Removes `$ref`, `allOf` and `oneOf`/`anyOf` from the top of a schema by merging what they stand for. */
function flatten(schema: Schema, root: Schema, refs: string[], depth: number): Schema {
  if (depth > 16) return {};
  if (typeof schema.$ref === 'string') {
    const { $ref, ...rest } = schema;
    const path = resolveLocalRef(root, $ref);
    const target = path ? valueAt(root, path) : undefined;
    refs.push($ref);
    const resolved = isPlainObject(target) ? flatten(target, root, refs, depth + 1) : {};
    return flatten(merge(resolved, rest), root, refs, depth + 1);
  }
  if (Array.isArray(schema.allOf)) {
    const { allOf, ...rest } = schema;
    const parts = allOf.filter(isPlainObject).map((part) => flatten(part, root, refs, depth + 1));
    return flatten(parts.reduce(merge, rest), root, refs, depth + 1);
  }
  const branches = Array.isArray(schema.oneOf)
    ? schema.oneOf
    : Array.isArray(schema.anyOf)
      ? schema.anyOf
      : null;
  if (branches) {
    const { oneOf: _one, anyOf: _any, ...rest } = schema;
    const flattened = branches.filter(isPlainObject).map((b) => flatten(b, root, refs, depth + 1));
    const choice = flattened.find((b) => typeOf(b) !== 'null') ?? flattened[0] ?? {};
    return flatten(merge(rest, choice), root, refs, depth + 1);
  }
  return schema;
}

const LOWER_BOUNDS = ['minimum', 'exclusiveMinimum', 'minLength', 'minItems', 'minProperties'];
const UPPER_BOUNDS = ['maximum', 'exclusiveMaximum', 'maxLength', 'maxItems', 'maxProperties'];

/** Both schemas' constraints in one (what `allOf` means), good enough to generate from. */
function merge(a: Schema, b: Schema): Schema {
  const out: Schema = { ...a };
  for (const [key, value] of Object.entries(b)) {
    const mine = out[key];
    if (mine === undefined) out[key] = value;
    else if (key === 'properties' && isPlainObject(mine) && isPlainObject(value)) {
      const props: Schema = { ...mine };
      for (const [p, s] of Object.entries(value)) props[p] = p in props ? { allOf: [props[p], s] } : s;
      out.properties = props;
    } else if (key === 'required' && Array.isArray(mine) && Array.isArray(value)) {
      out.required = [...new Set([...mine, ...value])];
    } else if (key === 'type') {
      const left = ([] as unknown[]).concat(mine);
      const right = ([] as unknown[]).concat(value);
      const both = left.filter((t) => right.includes(t) || (t === 'integer' && right.includes('number')));
      const extra = right.filter((t) => t === 'integer' && left.includes('number'));
      out.type = [...both, ...extra].length > 0 ? [...both, ...extra] : mine;
    } else if (key === 'enum' && Array.isArray(mine) && Array.isArray(value)) {
      const common = mine.filter((m) => value.some((v) => JSON.stringify(v) === JSON.stringify(m)));
      out.enum = common.length > 0 ? common : mine;
    } else if (LOWER_BOUNDS.includes(key) && typeof mine === 'number' && typeof value === 'number') {
      out[key] = Math.max(mine, value);
    } else if (UPPER_BOUNDS.includes(key) && typeof mine === 'number' && typeof value === 'number') {
      out[key] = Math.min(mine, value);
    }
  }
  return out;
}

/** The type to generate: the declared one (the first non-null of a list), else inferred from keywords. */
function typeOf(schema: Schema): string | undefined {
  const type = schema.type;
  if (typeof type === 'string') return type;
  if (Array.isArray(type)) return (type.find((t) => t !== 'null') ?? type[0]) as string | undefined;
  const has = (...keys: string[]) => keys.some((k) => k in schema);
  if (has('properties', 'required', 'additionalProperties', 'patternProperties', 'minProperties'))
    return 'object';
  if (has('items', 'prefixItems', 'minItems', 'maxItems', 'contains')) return 'array';
  if (has('minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf')) return 'number';
  return undefined;
}

function objectFor(schema: Schema, ctx: Context, shallow: boolean): Record<string, unknown> {
  const properties = isPlainObject(schema.properties) ? schema.properties : {};
  const required = Array.isArray(schema.required) ? schema.required.filter((r) => typeof r === 'string') : [];
  const extra = schema.additionalProperties;
  const out: Record<string, unknown> = {};
  for (const [key, sub] of Object.entries(properties)) {
    if (shallow && !required.includes(key)) continue;
    const value = generate(sub, ctx, key, 0);
    if (value !== undefined) out[key] = value;
  }
  for (const key of required) {
    if (!(key in out)) out[key] = generate(isPlainObject(extra) ? extra : {}, ctx, key, 0);
  }
  const isMap = Object.keys(properties).length === 0 && !shallow;
  if (isMap && isPlainObject(schema.patternProperties)) {
    const [pattern, sub] = Object.entries(schema.patternProperties)[0] ?? [];
    const key = pattern === undefined ? undefined : stringMatching(pattern, 0);
    if (key !== undefined) out[key] = generate(sub, ctx, key, 0);
  } else if (isMap && isPlainObject(extra)) {
    out.key = generate(extra, ctx, 'value', 0);
  }
  const minProperties = typeof schema.minProperties === 'number' ? schema.minProperties : 0;
  for (let i = 1; Object.keys(out).length < minProperties && extra !== false; i++) {
    out[`key_${i}`] = generate(isPlainObject(extra) ? extra : {}, ctx, 'value', i);
  }
  const maxProperties = typeof schema.maxProperties === 'number' ? schema.maxProperties : Infinity;
  for (const key of Object.keys(out).reverse()) {
    if (Object.keys(out).length <= maxProperties) break;
    if (!required.includes(key)) delete out[key];
  }
  return out;
}

function arrayFor(schema: Schema, ctx: Context, shallow: boolean, name: string | undefined): unknown[] {
  const tuple = Array.isArray(schema.prefixItems)
    ? schema.prefixItems
    : Array.isArray(schema.items)
      ? schema.items
      : [];
  const rest = Array.isArray(schema.items) ? schema.additionalItems : schema.items;
  const min = typeof schema.minItems === 'number' ? schema.minItems : 0;
  const max = typeof schema.maxItems === 'number' ? schema.maxItems : Infinity;
  let count = shallow ? Math.max(min, 0) : Math.max(min, tuple.length, rest === false ? 0 : 1);
  if (rest === false) count = Math.min(count, tuple.length);
  count = Math.min(count, max);
  const unique = schema.uniqueItems === true;
  const items: unknown[] = [];
  for (let i = 0; i < count; i++) {
    let itemSchema = i < tuple.length ? tuple[i] : (rest ?? schema.contains ?? {});
    if (i === tuple.length && isPlainObject(schema.contains) && isPlainObject(itemSchema)) {
      itemSchema = { allOf: [itemSchema, schema.contains] };
    }
    items.push(generate(itemSchema, ctx, singular(name), unique ? i : 0));
  }
  return items;
}

/** `line_items` → `line_item`, so hints for the item's name still apply. */
function singular(name: string | undefined): string | undefined {
  return name?.endsWith('s') ? name.slice(0, -1) : name;
}

function numberFor(schema: Schema, name: string | undefined, variant: number, integer: boolean): number {
  const num = (k: string) => (typeof schema[k] === 'number' ? (schema[k] as number) : undefined);
  const exclusiveMin = num('exclusiveMinimum');
  const exclusiveMax = num('exclusiveMaximum');
  let lo = Math.max(num('minimum') ?? -Infinity, exclusiveMin ?? -Infinity);
  let hi = Math.min(num('maximum') ?? Infinity, exclusiveMax ?? Infinity);
  const fits = (v: number) =>
    v >= lo && v <= hi && v !== exclusiveMin && v !== exclusiveMax && (!integer || Number.isInteger(v));
  if (integer) {
    lo = lo === exclusiveMin ? Math.floor(lo) + 1 : Math.ceil(lo);
    hi = hi === exclusiveMax ? Math.ceil(hi) - 1 : Math.floor(hi);
  }
  let value = (numberHint(name, integer) ?? (integer ? 1 : 1.5)) + variant;
  if (!fits(value)) {
    const middle = Number.isFinite(lo) && Number.isFinite(hi) ? (lo + hi) / 2 : undefined;
    if (integer) value = value < lo ? lo : hi;
    else if (middle !== undefined) value = middle;
    else value = value <= lo ? lo + 1 : hi - 1;
  }
  const step = num('multipleOf');
  if (step && step > 0) {
    const isMultiple = (v: number) => Number.isInteger(v / step);
    const start = Math.ceil(value / step);
    for (let tries = 0; tries < 1000; tries++) {
      for (const k of [start + tries, start - tries - 1]) {
        const candidate = Number((k * step).toPrecision(12));
        if (isMultiple(candidate) && fits(candidate)) return candidate;
      }
    }
  }
  return value;
}

function stringFor(schema: Schema, ctx: Context, name: string | undefined, variant: number): string {
  const pattern = typeof schema.pattern === 'string' ? schema.pattern : undefined;
  const minLength = typeof schema.minLength === 'number' ? schema.minLength : 0;
  const maxLength = typeof schema.maxLength === 'number' ? schema.maxLength : Infinity;
  const formatted = typeof schema.format === 'string' ? formatValue(schema.format, variant) : undefined;
  const candidates: string[] = [];
  if (formatted !== undefined) candidates.push(formatted);
  else {
    if (
      ctx.eventTypeName &&
      ctx.depth <= 1 &&
      (name === 'type' || name === 'event_type' || name === 'eventType')
    ) {
      candidates.push(ctx.eventTypeName);
    }
    candidates.push(...stringHints(name).map((hint) => (variant > 0 ? `${hint}-${variant}` : hint)));
  }
  const regex = pattern === undefined ? undefined : safeRegex(pattern);
  const fitsLength = (s: string) => [...s].length >= minLength && [...s].length <= maxLength;
  const accepted = candidates.find((c) => (!regex || regex.test(c)) && fitsLength(c));
  if (accepted !== undefined) return accepted;
  if (pattern !== undefined) {
    const matching = stringMatching(pattern, variant);
    if (matching !== undefined) return matching;
  }
  let text = formatted ?? (variant > 0 ? `example-${variant}` : 'example');
  while ([...text].length < minLength) text += 'x';
  return [...text].slice(0, maxLength).join('');
}

function safeRegex(pattern: string): RegExp | undefined {
  try {
    return new RegExp(pattern, 'u');
  } catch {
    return undefined;
  }
}
