import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

/**
 * Checks Herald's answers against Svix's published OpenAPI document (Svix API 1.1.1), read from
 * `../shared/reference/svix-openapi.json` beside the repository (never copied into it). Every JSON
 * body Herald returns for an operation that document describes must satisfy that operation's
 * response schema for the status Herald answered with.
 *
 * When the document is not there (a clone without `../shared`), this says so loudly once and the
 * check is skipped; everything else in the tests still runs.
 */

// ajv-formats is CommonJS; its default export arrives wrapped under NodeNext.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

// biome-ignore lint/suspicious/noExplicitAny: OpenAPI documents are arbitrary JSON
type Json = any;

/**
 * Where Svix's own server tests and its OpenAPI document disagree, the tests win (they are what
 * Svix's server does); and where Herald deliberately goes further than Svix, its answers carry
 * values the document's patterns do not foresee. Each such case is listed here, once: an error
 * of `keyword` at a location matching `at` whose value passes `accepts` is not a violation.
 */
export const DOCUMENTED_EXCEPTIONS: {
  keyword: string;
  at: RegExp;
  accepts(value: unknown): boolean;
  why: string;
}[] = [
  {
    keyword: 'pattern',
    at: /^\/key$/,
    accepts: (v) => typeof v === 'string' && /^whpk_[A-Za-z0-9+/=]{32,100}$/.test(v),
    why:
      "Svix's tests (test_endpoint_secret_config, test_custom_endpoint_secret) expect `whpk_` public keys " +
      'for ed25519 endpoints, which the spec pattern `^(whsec_)?…` forbids.',
  },
  {
    keyword: 'pattern',
    at: /\/(eventTypes|filterTypes)\/\d+$/,
    accepts: (v) => typeof v === 'string' && /^[a-zA-Z0-9\-_.]+\*$/.test(v),
    why: 'Herald feature: an endpoint may subscribe to a trailing wildcard (`invoice.*`).',
  },
  {
    keyword: 'pattern',
    at: /\/channels\/\d+$/,
    accepts: (v) => typeof v === 'string' && /^[a-zA-Z0-9\-_.:+]+$/.test(v),
    why: "Herald accepts `:` and `+` in channels, as Svix's current API does (its 1.1.1 spec does not).",
  },
];

/** The repository's root and, for a git worktree, its main checkout: `../shared` sits beside one of them. */
function candidateRoots(): string[] {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
  const roots = [root];
  const dotGit = resolve(root, '.git');
  if (existsSync(dotGit) && statSync(dotGit).isFile()) {
    // A worktree's `.git` is a file: `gitdir: <main>/.git/worktrees/<name>`.
    const gitdir = /^gitdir:\s*(.+)$/m.exec(readFileSync(dotGit, 'utf8'))?.[1]?.trim();
    if (gitdir) roots.push(resolve(gitdir, '../../..'));
  }
  return roots;
}

function loadDocument(): { doc: Json; path: string } | null {
  for (const root of candidateRoots()) {
    const path = resolve(root, '../shared/reference/svix-openapi.json');
    if (existsSync(path)) return { doc: JSON.parse(readFileSync(path, 'utf8')), path };
  }
  const line = '!'.repeat(78);
  console.warn(
    `\n${line}\n!! Svix's OpenAPI document is NOT at ../shared/reference/svix-openapi.json (beside the repository).\n` +
      `!! Responses are NOT checked against it; every other assertion still runs.\n${line}\n`,
  );
  return null;
}

interface Operation {
  method: string;
  template: string;
  matcher: RegExp;
  responses: Record<string, Json>;
}

let loaded: { doc: Json; path: string } | null | undefined;
let ajv: Ajv;
let operations: Operation[] = [];
const validators = new Map<string, ValidateFunction>();

function init(): boolean {
  if (loaded !== undefined) return loaded !== null;
  loaded = loadDocument();
  if (!loaded) return false;
  ajv = addFormats(new Ajv({ strict: false, allErrors: true }));
  // The integer formats Svix's generator writes; ajv knows none of them.
  const range = (lo: number, hi: number) => ({
    type: 'number' as const,
    validate: (n: number) => Number.isInteger(n) && n >= lo && n <= hi,
  });
  ajv.addFormat('uint16', range(0, 65_535));
  ajv.addFormat('int16', range(-32_768, 32_767));
  ajv.addFormat('int32', range(-2_147_483_648, 2_147_483_647));
  ajv.addFormat('int64', range(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER));
  ajv.addFormat('uint64', range(0, Number.MAX_SAFE_INTEGER));
  ajv.addFormat('uint', range(0, Number.MAX_SAFE_INTEGER));
  ajv.addSchema({ ...loaded.doc, $id: 'svix' });
  operations = [];
  for (const [template, item] of Object.entries<Json>(loaded.doc.paths ?? {})) {
    const pattern = template
      .split('/')
      .map((seg) => (/^\{.+\}$/.test(seg) ? '[^/]+' : seg.replace(/[.*+?^$()|[\]\\]/g, '\\$&')))
      .join('/');
    for (const [method, op] of Object.entries<Json>(item)) {
      if (!op?.responses) continue;
      operations.push({
        method: method.toUpperCase(),
        template,
        matcher: new RegExp(`^${pattern}$`),
        responses: op.responses,
      });
    }
  }
  return true;
}

/** The operation of Svix's document that `method path` is (literal segments win over parameters). */
function operationFor(method: string, path: string): Operation | undefined {
  const bare = (path.split('?')[0] ?? '').replace(/(.)\/+$/, '$1');
  const matches = operations.filter((o) => o.method === method && o.matcher.test(bare));
  // `/event-type/export/openapi`-like literals beat `{param}` templates: fewer braces first.
  return matches.sort(
    (a, b) => (a.template.match(/\{/g)?.length ?? 0) - (b.template.match(/\{/g)?.length ?? 0),
  )[0];
}

function validatorFor(op: Operation, status: number): ValidateFunction | null {
  const key = `${op.method} ${op.template} ${status}`;
  const cached = validators.get(key);
  if (cached) return cached;
  const response = op.responses[String(status)];
  if (!response) return null;
  const resolved = response.$ref
    ? loaded?.doc.components.responses[String(response.$ref).split('/').pop() as string]
    : response;
  const schema = resolved?.content?.['application/json']?.schema;
  if (!schema) return null;
  const validate = ajv.compile(rewriteRefs(schema));
  validators.set(key, validate);
  return validate;
}

/** `#/components/…` refs inside an inline schema, pointed at the document registered as `svix`. */
function rewriteRefs(schema: Json): Json {
  if (Array.isArray(schema)) return schema.map(rewriteRefs);
  if (schema === null || typeof schema !== 'object') return schema;
  const out: Json = {};
  for (const [k, v] of Object.entries(schema)) {
    out[k] = k === '$ref' && typeof v === 'string' && v.startsWith('#') ? `svix${v}` : rewriteRefs(v);
  }
  return out;
}

function valueAt(body: unknown, pointer: string): unknown {
  let current: unknown = body;
  for (const part of pointer.split('/').slice(1)) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return current;
}

function excepted(error: ErrorObject, body: unknown): boolean {
  return DOCUMENTED_EXCEPTIONS.some(
    (e) =>
      e.keyword === error.keyword &&
      e.at.test(error.instancePath) &&
      e.accepts(valueAt(body, error.instancePath)),
  );
}

/**
 * What is wrong with one of Herald's answers by Svix's OpenAPI document: an empty list when it
 * conforms, or the operation is not Svix's (a Herald extension), or its status is not documented
 * there, or the document is absent (said loudly once).
 */
export function svixSchemaViolations(method: string, path: string, status: number, body: unknown): string[] {
  if (!init()) return [];
  const op = operationFor(method.toUpperCase(), path);
  if (!op || body === null || body === undefined || typeof body === 'string') return [];
  const validate = validatorFor(op, status);
  if (!validate || validate(body)) return [];
  return (validate.errors ?? [])
    .filter((e) => !excepted(e, body))
    .map(
      (e) => `${method} ${path} → ${status}: ${e.instancePath || '(body)'} ${e.message} (${e.schemaPath})`,
    );
}

/** True when Svix's document was found, so a caller can say whether responses were checked. */
export function svixDocumentAvailable(): boolean {
  return init();
}
