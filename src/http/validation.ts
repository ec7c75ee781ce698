import { Ajv, type Options } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchema, FastifySchemaCompiler } from 'fastify';
import { listParameters, queryValidationSchema, type SchemaLookup, splitCommaLists } from './query.js';
import type { HeraldApp } from './types.js';

// ajv-formats is CommonJS; its default export arrives wrapped under NodeNext.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

const COMMON: Options = { removeAdditional: true, useDefaults: true, allErrors: false, strict: false };

/**
 * Validators for request parts. Query strings and path parameters arrive as text, so they
 * are coerced ("10" → 10, a lone value → a one-item array). JSON bodies are not: coercion
 * there would let `["x"]` pass as a string or `null` become `""`, and store what the
 * client never meant.
 *
 * The ajv instances and what they compiled are kept for the life of the process: every app
 * built in it (the tests build hundreds) has the same routes and shared schemas, and compiling
 * them is most of what `app.ready()` costs (about 200 ms each time).
 */
const body = addFormats(new Ajv({ ...COMMON, coerceTypes: false }));
const text = addFormats(new Ajv({ ...COMMON, coerceTypes: 'array' }));
const known = new Set<string>();
const compiled = new Map<string, ReturnType<FastifySchemaCompiler<FastifySchema>>>();

export function installValidators(app: HeraldApp): void {
  const compiler: FastifySchemaCompiler<FastifySchema> = ({ schema, httpPart }) => {
    // Shared schemas are registered with app.addSchema before the routes compile.
    for (const [id, shared] of Object.entries(app.getSchemas())) {
      if (known.has(id)) continue;
      known.add(id);
      // A schema with its own $id is known by it; giving the same key again is an error in ajv.
      const key = (shared as { $id?: string }).$id ? undefined : id;
      body.addSchema(shared as object, key);
      text.addSchema(shared as object, key);
    }
    const key = `${httpPart}|${JSON.stringify(schema)}`;
    let validate = compiled.get(key);
    if (!validate) {
      validate = compile(schema, httpPart, (id) => (app.getSchemas() as Record<string, object>)[id]);
      compiled.set(key, validate);
    }
    return validate;
  };
  app.setValidatorCompiler(compiler);
}

function compile(schema: FastifySchema, httpPart: string | undefined, lookup: SchemaLookup) {
  if (httpPart === 'querystring') return queryValidator(text, schema, lookup);
  const ajv = httpPart === 'body' ? body : text;
  // A route may use a shared schema itself (not a $ref to it): reuse its compiled validator.
  const id = (schema as { $id?: string }).$id;
  return (id && ajv.getSchema(id)) || ajv.compile(schema as object);
}

/**
 * A querystring's validator: Svix's shared query rules applied (see `query.ts`), and list
 * parameters' comma-separated values split before ajv coerces them into arrays.
 */
function queryValidator(ajv: Ajv, schema: unknown, lookup: SchemaLookup) {
  const validate = ajv.compile(queryValidationSchema(schema, lookup));
  const lists = listParameters(schema);
  const check = (data: Record<string, unknown>) => {
    if (data && typeof data === 'object') splitCommaLists(data, lists);
    const ok = validate(data);
    check.errors = validate.errors;
    return ok;
  };
  check.errors = null as typeof validate.errors;
  return check;
}
