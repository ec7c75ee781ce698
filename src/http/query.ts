/**
 * Query strings the way Svix reads them, in one place for every route.
 *
 * - A list parameter may come as repeated keys (`event_types=a&event_types=b`, what the SDKs
 *   send), with brackets (`event_types[]=a`, `event_types[0]=a&event_types[1]=b`) or as one
 *   comma-separated value (`event_types=a,b`); Svix accepts all three.
 * - Every list of the API has one vocabulary for `order`: a value other than `ascending` or
 *   `descending` is a 422 on any route, also one whose list has a fixed order, rather than
 *   a parameter silently ignored.
 * - A choice among literal values is checked as one `enum`, so a wrong value yields one issue
 *   naming the allowed values, not one "must be equal to constant" per choice.
 */

// biome-ignore lint/suspicious/noExplicitAny: JSON Schemas are walked generically
type Schema = any;

const BRACKETS = /^([^[\]]+)\[\d*\]$/;

/**
 * Fastify's query-string parser: `name[]` and `name[N]` keys fold into `name`, and a key given
 * more than once becomes an array (as Fastify's default parser does).
 */
export function parseQueryString(text: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = Object.create(null);
  for (const [rawKey, value] of new URLSearchParams(text)) {
    const key = BRACKETS.exec(rawKey)?.[1] ?? rawKey;
    const previous = out[key];
    if (previous === undefined) out[key] = BRACKETS.test(rawKey) ? [value] : value;
    else out[key] = Array.isArray(previous) ? [...previous, value] : [previous, value];
  }
  return out;
}

const ORDER = { type: 'string', enum: ['ascending', 'descending'] };

/** Finds a shared schema by its id (a `$ref`), or undefined. */
export type SchemaLookup = (id: string) => Schema | undefined;

/** `anyOf` of literals (TypeBox's `Union([Literal…])`, also nested or with `null`) as one `enum`. */
function asEnum(schema: Schema, lookup: SchemaLookup): Schema {
  if (!schema || typeof schema !== 'object' || !Array.isArray(schema.anyOf)) return schema;
  const values: unknown[] = [];
  const walk = (s: Schema): boolean => {
    if (typeof s?.$ref === 'string') {
      const target = lookup(s.$ref);
      return target !== undefined && walk(target);
    }
    if (Array.isArray(s?.anyOf)) return s.anyOf.every(walk);
    if (s && 'const' in s) return values.push(s.const) > 0;
    // A query value is text: `null` is never sent, so a nullable choice is the choice.
    return s?.type === 'null';
  };
  if (!walk(schema) || values.length === 0) return schema;
  const { anyOf: _anyOf, ...rest } = schema;
  return { ...rest, type: typeof values[0] === 'number' ? 'number' : 'string', enum: values };
}

/** The schema a route's querystring is validated with (its OpenAPI document keeps the original). */
export function queryValidationSchema(schema: Schema, lookup: SchemaLookup): Schema {
  if (schema?.type !== 'object' || !schema.properties) return schema;
  const properties: Record<string, Schema> = {};
  for (const [name, property] of Object.entries<Schema>(schema.properties))
    properties[name] = asEnum(property, lookup);
  properties.order ??= ORDER;
  return { ...schema, properties };
}

/** Names of the array-typed parameters of a querystring schema. */
export function listParameters(schema: Schema): string[] {
  return Object.entries<Schema>(schema?.properties ?? {})
    .filter(([, p]) => p?.type === 'array')
    .map(([name]) => name);
}

/** Splits comma-separated values of list parameters in place (`a,b` → `['a', 'b']`). */
export function splitCommaLists(query: Record<string, unknown>, names: string[]): void {
  for (const name of names) {
    const value = query[name];
    if (typeof value === 'string') query[name] = value.split(',').filter((v) => v !== '');
    else if (Array.isArray(value))
      query[name] = value.flatMap((v) =>
        typeof v === 'string' ? v.split(',').filter((x) => x !== '') : [v],
      );
  }
}
