/**
 * Compares an operation of Herald's OpenAPI document with the same operation of the Svix
 * reference, the way a client generated from the reference would notice a difference: a
 * request property it may send that Herald does not accept, a response property it relies
 * on that Herald does not promise. Both OpenAPI 3.0 (`nullable: true`) and 3.1 (type unions,
 * `anyOf` with `{type: 'null'}`) spellings are understood, and `$ref`s are resolved on both sides.
 */

// biome-ignore lint/suspicious/noExplicitAny: OpenAPI documents are arbitrary JSON
export type Json = any;

export interface Operation {
  method: string;
  /** Path with `{param}` placeholders. */
  path: string;
  operationId: string | undefined;
  op: Json;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

/** Every operation of a document, keyed `METHOD /path/{param}` (`:param` spellings normalized). */
export function operationsOf(doc: Json): Map<string, Operation> {
  const out = new Map<string, Operation>();
  for (const [rawPath, item] of Object.entries<Json>(doc.paths ?? {})) {
    const path = rawPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      out.set(`${method.toUpperCase()} ${path}`, { method, path, operationId: op.operationId, op });
    }
  }
  return out;
}

/** The two documents being compared, for the `$ref`s met while recursing. */
interface Docs {
  herald: Json;
  reference: Json;
}

/** A schema flattened to what compatibility depends on. */
interface View {
  /** null: any type is allowed. */
  types: Set<string> | null;
  properties: Map<string, Json>;
  required: Set<string>;
  items: Json | undefined;
  enumValues: unknown[] | null;
}

function resolve(doc: Json, schema: Json, seen = new Set<string>()): Json {
  let current = schema ?? {};
  while (current && typeof current.$ref === 'string') {
    const ref: string = current.$ref;
    if (seen.has(ref)) break;
    seen.add(ref);
    const name = ref.replace(/^#\/components\/schemas\//, '');
    const target = doc.components?.schemas?.[name];
    if (!target) throw new Error(`unresolvable $ref ${ref}`);
    const { $ref: _ignored, ...siblings } = current;
    current = { ...target, ...siblings };
  }
  return current;
}

function inferType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function view(doc: Json, raw: Json): View {
  const schema = resolve(doc, raw);
  const result: View = {
    types: null,
    properties: new Map(),
    required: new Set(schema.required ?? []),
    items: schema.items,
    enumValues: null,
  };
  for (const [name, prop] of Object.entries<Json>(schema.properties ?? {})) result.properties.set(name, prop);
  const addTypes = (types: Iterable<string>) => {
    result.types ??= new Set();
    for (const t of types) result.types.add(t);
  };
  if (schema.type !== undefined) addTypes(Array.isArray(schema.type) ? schema.type : [schema.type]);
  if (schema.const !== undefined) {
    addTypes([inferType(schema.const)]);
    result.enumValues = [schema.const];
  }
  if (Array.isArray(schema.enum)) {
    addTypes(schema.enum.map(inferType));
    result.enumValues = [...schema.enum];
  }
  const union: Json[] = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(union)) {
    const members = union.map((m) => view(doc, m));
    if (members.some((m) => m.types === null)) result.types = null;
    else addTypes(members.flatMap((m) => [...(m.types ?? [])]));
    const valued = members.filter((m) => !(m.types?.size === 1 && m.types.has('null')));
    for (const m of valued)
      for (const [k, v] of m.properties) if (!result.properties.has(k)) result.properties.set(k, v);
    if (valued.length > 0 && !schema.required) {
      const [first, ...rest] = valued;
      for (const name of first?.required ?? [])
        if (rest.every((m) => m.required.has(name))) result.required.add(name);
    }
    result.items ??= valued.find((m) => m.items !== undefined)?.items;
    if (members.every((m) => m.enumValues !== null || m.types?.has('null')))
      result.enumValues = members.flatMap((m) => m.enumValues ?? [null]);
  }
  if (Array.isArray(schema.allOf)) {
    for (const member of schema.allOf.map((m: Json) => view(doc, m))) {
      if (member.types) addTypes(member.types);
      for (const [k, v] of member.properties) result.properties.set(k, v);
      for (const r of member.required) result.required.add(r);
      result.items ??= member.items;
      result.enumValues ??= member.enumValues;
    }
  }
  if (schema.nullable === true && result.types) result.types.add('null');
  if (result.types && result.enumValues && schema.nullable === true) result.enumValues.push(null);
  return result;
}

const fmt = (types: Set<string> | null) => (types ? [...types].sort().join('|') : 'any');

/** Whether a value of type `t` fits `types` (an integer is a number). */
function fits(t: string, types: Set<string>): boolean {
  return types.has(t) || (t === 'integer' && types.has('number'));
}

/** Herald must accept whatever the reference lets a client send. */
function checkAccepts(
  docs: Docs,
  herald: Json,
  reference: Json,
  where: string,
  diffs: string[],
  depth = 0,
  nullMeansAbsent = false,
): void {
  const h = view(docs.herald, herald);
  const r = view(docs.reference, reference);
  if (nullMeansAbsent) {
    // A query string cannot carry a null: a nullable parameter just means it may be left out.
    r.types?.delete('null');
    if (r.enumValues) r.enumValues = r.enumValues.filter((v) => v !== null);
  }
  if (h.types !== null) {
    if (r.types === null) diffs.push(`${where}: the reference accepts any type, Herald only ${fmt(h.types)}`);
    else {
      const missing = [...r.types].filter((t) => !fits(t, h.types as Set<string>));
      if (missing.length > 0)
        diffs.push(
          `${where}: Herald does not accept ${missing.join('|')} (reference ${fmt(r.types)}, Herald ${fmt(h.types)})`,
        );
    }
  }
  if (h.enumValues && r.enumValues) {
    const missing = r.enumValues.filter((v) => !h.enumValues?.includes(v));
    if (missing.length > 0)
      diffs.push(`${where}: Herald does not accept the values ${JSON.stringify(missing)}`);
  }
  if (depth > 6) return;
  for (const [name, prop] of r.properties) {
    const heraldProp = h.properties.get(name);
    if (heraldProp === undefined) {
      if (h.properties.size > 0 || h.types?.has('object'))
        diffs.push(`${where}.${name}: defined by the reference, not accepted by Herald`);
      continue;
    }
    if (h.required.has(name) && !r.required.has(name))
      diffs.push(`${where}.${name}: required by Herald, optional in the reference`);
    checkAccepts(docs, heraldProp, prop, `${where}.${name}`, diffs, depth + 1);
  }
  for (const name of h.required)
    if (!r.properties.has(name) && r.properties.size > 0)
      diffs.push(`${where}.${name}: required by Herald, unknown to the reference`);
  if (r.items !== undefined && h.items !== undefined)
    checkAccepts(docs, h.items, r.items, `${where}[]`, diffs, depth + 1);
}

/** Herald must return everything the reference promises, in a type the reference allows. */
function checkReturns(
  docs: Docs,
  herald: Json,
  reference: Json,
  where: string,
  diffs: string[],
  depth = 0,
): void {
  const h = view(docs.herald, herald);
  const r = view(docs.reference, reference);
  if (h.types !== null && r.types !== null) {
    const extra = [...h.types].filter((t) => !fits(t, r.types as Set<string>));
    if (extra.length > 0)
      diffs.push(
        `${where}: Herald may answer ${extra.join('|')} (reference ${fmt(r.types)}, Herald ${fmt(h.types)})`,
      );
  }
  if (h.enumValues && r.enumValues) {
    const extra = h.enumValues.filter((v) => !r.enumValues?.includes(v));
    if (extra.length > 0) diffs.push(`${where}: Herald may answer the values ${JSON.stringify(extra)}`);
  }
  if (depth > 6) return;
  for (const name of r.required) {
    const heraldProp = h.properties.get(name);
    if (heraldProp === undefined) {
      diffs.push(`${where}.${name}: required by the reference, missing from Herald's response schema`);
      continue;
    }
    if (!h.required.has(name)) diffs.push(`${where}.${name}: required by the reference, optional in Herald`);
    checkReturns(docs, heraldProp, r.properties.get(name), `${where}.${name}`, diffs, depth + 1);
  }
  for (const [name, prop] of r.properties) {
    const heraldProp = h.properties.get(name);
    if (!r.required.has(name) && heraldProp !== undefined)
      checkReturns(docs, heraldProp, prop, `${where}.${name}`, diffs, depth + 1);
  }
  if (r.items !== undefined && h.items !== undefined)
    checkReturns(docs, h.items, r.items, `${where}[]`, diffs, depth + 1);
}

const jsonSchemaOf = (content: Json) => content?.['application/json']?.schema;

/** Every way Herald's operation differs from the reference's, as readable lines (empty when compatible). */
export function compareOperation(
  heraldDoc: Json,
  referenceDoc: Json,
  herald: Operation,
  reference: Operation,
): string[] {
  const docs: Docs = { herald: heraldDoc, reference: referenceDoc };
  const diffs: string[] = [];
  const name = `${reference.method.toUpperCase()} ${reference.path}`;
  if (herald.operationId !== reference.operationId)
    diffs.push(`${name}: operationId is ${herald.operationId}, the reference says ${reference.operationId}`);

  // Query parameters a client may send.
  const heraldParams = new Map<string, Json>(
    (herald.op.parameters ?? []).filter((p: Json) => p.in === 'query').map((p: Json) => [p.name, p]),
  );
  for (const param of reference.op.parameters ?? []) {
    if (param.in !== 'query') continue;
    const mine = heraldParams.get(param.name);
    if (!mine) diffs.push(`${name}: query parameter ${param.name} is not accepted`);
    else checkAccepts(docs, mine.schema, param.schema, `${name} query ${param.name}`, diffs, 0, true);
  }
  for (const [paramName, param] of heraldParams) {
    const theirs = (reference.op.parameters ?? []).find(
      (p: Json) => p.in === 'query' && p.name === paramName,
    );
    if (param.required && !theirs?.required)
      diffs.push(`${name}: query parameter ${paramName} is required by Herald only`);
  }

  // Request body.
  const refBody = jsonSchemaOf(reference.op.requestBody?.content);
  const heraldBody = jsonSchemaOf(herald.op.requestBody?.content);
  if (refBody && !heraldBody) diffs.push(`${name}: the reference takes a JSON body, Herald declares none`);
  if (refBody && heraldBody) checkAccepts(docs, heraldBody, refBody, `${name} body`, diffs);
  if (herald.op.requestBody?.required && !reference.op.requestBody?.required)
    diffs.push(`${name}: Herald requires a body the reference makes optional`);

  // 2xx responses.
  const heraldSuccess = Object.keys(herald.op.responses ?? {}).filter((s) => /^2\d\d$/.test(s));
  const referenceSuccess = Object.keys(reference.op.responses ?? {}).filter((s) => /^2\d\d$/.test(s));
  if (referenceSuccess.length > 0 && heraldSuccess.length === 0)
    diffs.push(`${name}: Herald declares no 2xx response`);
  for (const [status, response] of Object.entries<Json>(reference.op.responses ?? {})) {
    if (!/^2\d\d$/.test(status)) continue;
    const refSchema = jsonSchemaOf(response.content);
    if (!refSchema) continue;
    const matching = herald.op.responses?.[status] ? status : heraldSuccess[0];
    const heraldSchema = matching ? jsonSchemaOf(herald.op.responses[matching]?.content) : undefined;
    if (!heraldSchema) {
      diffs.push(`${name}: the reference answers ${status} with JSON, Herald declares no JSON 2xx body`);
      continue;
    }
    checkReturns(docs, heraldSchema, refSchema, `${name} ${status}`, diffs);
  }
  return diffs;
}
