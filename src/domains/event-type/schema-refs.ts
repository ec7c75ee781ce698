/**
 * Walking a JSON Schema and resolving the `$ref`s that point inside it.
 *
 * Event type schemas are self-contained documents: Herald never fetches a remote schema, so
 * every reference must land inside the schema itself (`#/$defs/money`, `#/definitions/x`,
 * `#anchor`, or the `$id` of a subschema). The example generator, the schema checker and the
 * OpenAPI builder all need the same walk, so it lives here once.
 */

/** A JSON object (not an array, not null). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Keywords whose value is one subschema. */
const SINGLE = [
  'additionalProperties',
  'additionalItems',
  'contains',
  'propertyNames',
  'not',
  'if',
  'then',
  'else',
  'unevaluatedItems',
  'unevaluatedProperties',
  'contentSchema',
] as const;
/** Keywords whose value is an array of subschemas. */
const LISTS = ['allOf', 'anyOf', 'oneOf', 'prefixItems'] as const;
/** Keywords whose value maps names to subschemas. */
const MAPS = ['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas'] as const;

/**
 * Calls `visit` on the schema and on every subschema below it, depth first, with the path of
 * keys that leads there from the root. Only schema positions are visited: the values of
 * `enum`, `const`, `examples` or `default` are data, and a `$ref` inside them is not a reference.
 */
export function forEachSubschema(
  schema: unknown,
  visit: (node: Record<string, unknown>, path: string[]) => void,
  path: string[] = [],
): void {
  if (!isPlainObject(schema)) return;
  visit(schema, path);
  for (const key of SINGLE) forEachSubschema(schema[key], visit, [...path, key]);
  for (const key of LISTS) {
    const list = schema[key];
    if (!Array.isArray(list)) continue;
    for (const [i, sub] of list.entries()) forEachSubschema(sub, visit, [...path, key, String(i)]);
  }
  for (const key of MAPS) {
    const map = schema[key];
    if (!isPlainObject(map)) continue;
    for (const [name, sub] of Object.entries(map)) forEachSubschema(sub, visit, [...path, key, name]);
  }
  const items = schema.items;
  if (Array.isArray(items)) {
    for (const [i, sub] of items.entries()) forEachSubschema(sub, visit, [...path, 'items', String(i)]);
  } else forEachSubschema(items, visit, [...path, 'items']);
  // draft-07 `dependencies`: a value is either a subschema or a list of property names.
  const dependencies = schema.dependencies;
  if (isPlainObject(dependencies)) {
    for (const [name, sub] of Object.entries(dependencies)) {
      forEachSubschema(sub, visit, [...path, 'dependencies', name]);
    }
  }
}

/** Splits a JSON pointer fragment (`/a~1b/c`, already without `#`) into its segments. */
export function decodePointer(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((segment) => safeDecodeUri(segment).replaceAll('~1', '/').replaceAll('~0', '~'));
}

/** Builds a JSON pointer (`/a~1b/c`) from its segments. */
export function encodePointer(segments: readonly string[]): string {
  return segments.map((s) => '/' + s.replaceAll('~', '~0').replaceAll('/', '~1')).join('');
}

function safeDecodeUri(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Reads the value at `path` below `root`, or undefined when a step is missing. */
export function valueAt(root: unknown, path: readonly string[]): unknown {
  let node: unknown = root;
  for (const step of path) {
    if (Array.isArray(node)) node = node[Number(step)];
    else if (isPlainObject(node)) node = Object.hasOwn(node, step) ? node[step] : undefined;
    else return undefined;
  }
  return node;
}

/**
 * Resolves a `$ref` against the schema it appears in. Returns the path of the target from the
 * root, or undefined when the reference does not land inside this schema (a remote URL, a typo
 * in a pointer, an unknown anchor).
 */
export function resolveLocalRef(root: Record<string, unknown>, ref: string): string[] | undefined {
  let local = ref;
  const rootId = typeof root.$id === 'string' ? root.$id.replace(/#$/, '') : undefined;
  if (rootId && local.startsWith(rootId)) local = local.slice(rootId.length);
  if (local === '' || local === '#') return [];
  if (local.startsWith('#/')) {
    const path = decodePointer(local.slice(1));
    return valueAt(root, path) === undefined ? undefined : path;
  }
  let found: string[] | undefined;
  forEachSubschema(root, (node, path) => {
    if (found) return;
    if (local.startsWith('#') && (node.$anchor === local.slice(1) || node.$id === local)) found = path;
    else if (!local.startsWith('#') && path.length > 0 && node.$id === local) found = path;
  });
  return found;
}

/**
 * Every `$ref` in the schema that does not resolve inside it, with the path of the object that
 * holds it. Used to name the exact place of a broken reference in a 422 answer.
 */
export function unresolvedRefs(root: Record<string, unknown>): Array<{ path: string[]; ref: string }> {
  const broken: Array<{ path: string[]; ref: string }> = [];
  forEachSubschema(root, (node, path) => {
    if (typeof node.$ref === 'string' && resolveLocalRef(root, node.$ref) === undefined) {
      broken.push({ path, ref: node.$ref });
    }
  });
  return broken;
}
