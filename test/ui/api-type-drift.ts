import ts from 'typescript';

/**
 * Compares the UI's hand-written API types (ui/src/api/types.ts) with the JSON Schemas of
 * the OpenAPI document Herald serves. Both sides are reduced to the same small model of
 * JSON values; a difference is reported where the UI would misread what the API sends:
 * a field the UI reads that the API does not have, a field the UI counts on that the API
 * may leave out, or a value (null, a string, another enum member) the UI's type does not allow.
 * Fields the API has and the UI does not read are fine: the UI reads a subset.
 */

type Json = Record<string, unknown>;

/** One alternative of a JSON value; a union is an array of them. */
type Shape =
  | { kind: 'any' }
  | { kind: 'null' }
  | { kind: 'boolean' }
  | { kind: 'string'; literals?: string[] }
  | { kind: 'number'; literals?: number[]; min?: number; max?: number }
  | { kind: 'array'; items: Shape[] }
  | { kind: 'object'; props: Map<string, Field>; values?: Shape[] };

interface Field {
  required: boolean;
  shape: Shape[];
}

// The last program, handed to the next so it reuses the parsed lib files (3 s of a cold parse).
let previous: ts.Program | undefined;

/** The exported interfaces of `file`, each as the JSON value it describes. */
export function interfacesOf(file: string): Map<string, Shape[]> {
  const options = { strict: true, noEmit: true, target: ts.ScriptTarget.ES2022 };
  const program = ts.createProgram({ rootNames: [file], options, oldProgram: previous });
  previous = program;
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file);
  if (!source) throw new Error(`cannot read ${file}`);
  const found = new Map<string, Shape[]>();
  for (const statement of source.statements) {
    if (!ts.isInterfaceDeclaration(statement)) continue;
    if (!statement.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) continue;
    found.set(statement.name.text, fromType(checker, checker.getTypeAtLocation(statement.name), 0));
  }
  return found;
}

function fromType(checker: ts.TypeChecker, type: ts.Type, depth: number): Shape[] {
  if (depth > 12) throw new Error(`type nested too deeply: ${checker.typeToString(type)}`);
  const f = type.flags;
  if (f & (ts.TypeFlags.Any | ts.TypeFlags.Unknown | ts.TypeFlags.TypeParameter)) return [{ kind: 'any' }];
  if (type.isUnion()) return mergeLiterals(type.types.flatMap((t) => fromType(checker, t, depth + 1)));
  if (f & ts.TypeFlags.Undefined) return []; // optionality is the property's flag, not a value
  if (f & ts.TypeFlags.Null) return [{ kind: 'null' }];
  if (f & (ts.TypeFlags.Boolean | ts.TypeFlags.BooleanLiteral)) return [{ kind: 'boolean' }];
  if (type.isStringLiteral()) return [{ kind: 'string', literals: [type.value] }];
  if (f & ts.TypeFlags.String) return [{ kind: 'string' }];
  if (type.isNumberLiteral()) return [{ kind: 'number', literals: [type.value] }];
  if (f & ts.TypeFlags.Number) return [{ kind: 'number' }];
  if (checker.isArrayType(type)) {
    const [item] = checker.getTypeArguments(type as ts.TypeReference);
    return [{ kind: 'array', items: item ? fromType(checker, item, depth + 1) : [{ kind: 'any' }] }];
  }
  if (f & ts.TypeFlags.Object) {
    const props = new Map<string, Field>();
    for (const symbol of checker.getPropertiesOfType(type)) {
      props.set(symbol.name, {
        required: (symbol.flags & ts.SymbolFlags.Optional) === 0,
        shape: fromType(checker, checker.getTypeOfSymbol(symbol), depth + 1),
      });
    }
    const index = checker.getIndexInfosOfType(type).find((i) => i.keyType.flags & ts.TypeFlags.String);
    return [{ kind: 'object', props, values: index ? fromType(checker, index.type, depth + 1) : undefined }];
  }
  throw new Error(`no JSON value for the type ${checker.typeToString(type)}`);
}

/** `'a' | 'b'` is one string shape with two literals, as an enum is in a schema. */
function mergeLiterals(shapes: Shape[]): Shape[] {
  const out: Shape[] = [];
  for (const shape of shapes) {
    const same = out.find((s) => s.kind === shape.kind);
    if (same?.kind === 'string' && shape.kind === 'string') {
      same.literals = same.literals && shape.literals ? [...same.literals, ...shape.literals] : undefined;
    } else if (same?.kind === 'number' && shape.kind === 'number') {
      same.literals = same.literals && shape.literals ? [...same.literals, ...shape.literals] : undefined;
    } else if (!(same && (shape.kind === 'boolean' || shape.kind === 'null'))) {
      out.push(shape);
    }
  }
  return out;
}

/** The JSON values `schema` allows, with `$ref`s resolved in `document`. */
export function fromSchema(document: Json, schema: unknown, depth = 0): Shape[] {
  if (depth > 12) throw new Error('schema nested too deeply');
  if (schema === true || schema === undefined) return [{ kind: 'any' }];
  const s = schema as Json;
  if (typeof s.$ref === 'string') return fromSchema(document, resolve(document, s.$ref), depth + 1);
  const alternatives = (s.anyOf ?? s.oneOf) as unknown[] | undefined;
  if (alternatives) return mergeLiterals(alternatives.flatMap((a) => fromSchema(document, a, depth + 1)));
  if (s.allOf) throw new Error('allOf is not compared yet: teach fromSchema to merge it');
  const literals = s.const !== undefined ? [s.const] : (s.enum as unknown[] | undefined);
  const types = Array.isArray(s.type) ? (s.type as string[]) : s.type ? [s.type as string] : [];
  if (types.length === 0) return s.properties ? objectShape(document, s, depth) : [{ kind: 'any' }];
  return mergeLiterals(
    types.flatMap((type): Shape[] => {
      switch (type) {
        case 'null':
          return [{ kind: 'null' }];
        case 'boolean':
          return [{ kind: 'boolean' }];
        case 'string':
          return [{ kind: 'string', literals: literals?.filter((l): l is string => typeof l === 'string') }];
        case 'integer':
        case 'number':
          return [
            {
              kind: 'number',
              literals: literals?.filter((l): l is number => typeof l === 'number'),
              min: type === 'integer' ? (s.minimum as number | undefined) : undefined,
              max: type === 'integer' ? (s.maximum as number | undefined) : undefined,
            },
          ];
        case 'array':
          return [{ kind: 'array', items: fromSchema(document, s.items, depth + 1) }];
        case 'object':
          return objectShape(document, s, depth);
        default:
          throw new Error(`unknown JSON Schema type ${type}`);
      }
    }),
  );
}

function objectShape(document: Json, s: Json, depth: number): Shape[] {
  const required = new Set((s.required as string[] | undefined) ?? []);
  const props = new Map<string, Field>();
  for (const [name, sub] of Object.entries((s.properties as Json | undefined) ?? {})) {
    props.set(name, { required: required.has(name), shape: fromSchema(document, sub, depth + 1) });
  }
  const extra = s.additionalProperties;
  // Without `additionalProperties`, an object with properties carries only those (Fastify's
  // serializer drops the rest); one without properties may carry any.
  const values = extra === false || (extra === undefined && props.size > 0) ? undefined : (extra ?? true);
  return [
    {
      kind: 'object',
      props,
      values: values === undefined ? undefined : fromSchema(document, values, depth + 1),
    },
  ];
}

/** The schema at a local reference (`#/components/schemas/X`, or deeper). */
export function resolve(document: Json, ref: string): unknown {
  if (!ref.startsWith('#/')) throw new Error(`not a local reference: ${ref}`);
  let at: unknown = document;
  for (const part of ref.slice(2).split('/')) {
    at = (at as Json | undefined)?.[part.replaceAll('~1', '/').replaceAll('~0', '~')];
    if (at === undefined) throw new Error(`${ref} is not in the document`);
  }
  return at;
}

/** Where the UI's type `ui` would misread a value the API's schema `api` allows, one line each. */
export function driftBetween(api: Shape[], ui: Shape[], path: string): string[] {
  if (ui.some((s) => s.kind === 'any')) return [];
  const diffs: string[] = [];
  for (const sent of api) {
    if (sent.kind === 'any') continue; // the API promises nothing narrower to check against
    const candidates = ui.filter((s) => s.kind === sent.kind);
    if (candidates.length === 0) {
      diffs.push(
        `${path}: the API may send ${describe(sent)}; the UI’s type allows ${ui.map(describe).join(' | ')}`,
      );
      continue;
    }
    const best = candidates
      .map((read) => drift(sent, read, path))
      .sort((a, b) => a.length - b.length)[0] as string[];
    diffs.push(...best);
  }
  return diffs;
}

function drift(sent: Shape, read: Shape, path: string): string[] {
  if (sent.kind === 'string' && read.kind === 'string' && read.literals) {
    const outside = sent.literals ? sent.literals.filter((l) => !read.literals?.includes(l)) : null;
    if (outside === null)
      return [`${path}: the API may send any string; the UI expects one of ${read.literals}`];
    return outside.length
      ? [`${path}: the API may send ${outside.join(', ')}; the UI expects ${read.literals}`]
      : [];
  }
  if (sent.kind === 'number' && read.kind === 'number' && read.literals) {
    const range =
      sent.min !== undefined && sent.max !== undefined && sent.max - sent.min < 100
        ? Array.from({ length: sent.max - sent.min + 1 }, (_, i) => (sent.min as number) + i)
        : null;
    const values = sent.literals ?? range;
    const outside = values?.filter((v) => !read.literals?.includes(v));
    if (!outside) return [`${path}: the API may send any number; the UI expects one of ${read.literals}`];
    return outside.length
      ? [`${path}: the API may send ${outside.join(', ')}; the UI expects ${read.literals}`]
      : [];
  }
  if (sent.kind === 'array' && read.kind === 'array')
    return driftBetween(sent.items, read.items, `${path}[]`);
  if (sent.kind === 'object' && read.kind === 'object') return objectDrift(sent, read, path);
  return [];
}

function objectDrift(
  sent: Extract<Shape, { kind: 'object' }>,
  read: Extract<Shape, { kind: 'object' }>,
  path: string,
): string[] {
  const diffs: string[] = [];
  for (const [name, field] of read.props) {
    const at = `${path}.${name}`;
    const given = sent.props.get(name);
    if (!given) {
      if (sent.values) diffs.push(...driftBetween(sent.values, field.shape, at));
      else diffs.push(`${at}: the UI reads it; the API has no such field`);
      continue;
    }
    if (field.required && !given.required) diffs.push(`${at}: the UI counts on it; the API may leave it out`);
    diffs.push(...driftBetween(given.shape, field.shape, at));
  }
  if (read.values) {
    for (const [name, field] of sent.props) {
      if (!read.props.has(name)) diffs.push(...driftBetween(field.shape, read.values, `${path}.${name}`));
    }
    if (sent.values) diffs.push(...driftBetween(sent.values, read.values, `${path}[key]`));
  }
  return diffs;
}

function describe(shape: Shape): string {
  if (shape.kind === 'string' && shape.literals)
    return shape.literals.map((l) => JSON.stringify(l)).join(' | ');
  if (shape.kind === 'number' && shape.literals) return shape.literals.join(' | ');
  if (shape.kind === 'array') return `${shape.items.map(describe).join(' | ')}[]`;
  return shape.kind;
}
