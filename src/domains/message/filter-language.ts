/**
 * The payload filter language: an endpoint's `filter`, a JSON document that says which
 * messages it receives by their content. This file reads a filter into a checked tree and
 * refuses an invalid one with every problem, each at its place (`loc`); `filter-evaluation.ts`
 * turns the tree into a function.
 *
 * ```json
 * {"data.currency": "eur", "data.amount": {"$gte": 10000}, "$or": [{"$eventType": "invoice.paid"}, …]}
 * ```
 * Keys are field paths into the payload in dot notation (`data.amount`, `items.0.sku`), the
 * message's own `$eventType` and `$channels`, or the combinators `$and`, `$or`, `$not`; the keys
 * of one object must all hold (an implicit `$and`). A field's value is a scalar (equality) or
 * an object of operators, which must all hold too.
 */
import type { ValidationIssue } from '../../errors.js';

/** A value a filter compares with. */
export type Scalar = string | number | boolean | null;

/** The comparison operators, each with the operand it takes. */
export const OPERATORS = {
  $eq: 'scalar',
  $neq: 'scalar',
  $gt: 'ordered',
  $gte: 'ordered',
  $lt: 'ordered',
  $lte: 'ordered',
  $in: 'list',
  $nin: 'list',
  $exists: 'boolean',
  $startsWith: 'string',
  $endsWith: 'string',
  $contains: 'scalar',
} as const;
export type Operator = keyof typeof OPERATORS;

/** Where a comparison reads its value: the payload at a path, or the message's own fields. */
export type FilterField =
  | { kind: 'payload'; segments: string[] }
  | { kind: 'eventType' }
  | { kind: 'channels' };

/** A checked filter, as a tree. */
export type FilterNode =
  | { kind: 'all'; of: FilterNode[] }
  | { kind: 'any'; of: FilterNode[] }
  | { kind: 'not'; of: FilterNode }
  | { kind: 'test'; path: string; field: FilterField; op: Operator; operand: Scalar | Scalar[] };

/** What a filter may be at most: far beyond a readable filter, small enough to run per message cheaply. */
export const FILTER_LIMITS = {
  /** Its JSON text, in bytes. */
  bytes: 8_192,
  /** Objects nested in objects ($and, $or, $not and operator objects count). */
  depth: 8,
  /** Comparisons in all. */
  clauses: 64,
  /** Entries of one `$in` / `$nin` list, or of one `$and` / `$or`. */
  listItems: 256,
  /** Segments of one field path. */
  pathSegments: 32,
  /** Characters of one field path. */
  pathLength: 256,
} as const;

/** The outcome of reading a filter: its tree, or every problem with it. */
export type ParsedFilter = { ok: true; filter: FilterNode } | { ok: false; issues: ValidationIssue[] };

const MESSAGE_FIELDS: Record<string, FilterField> = {
  $eventType: { kind: 'eventType' },
  $channels: { kind: 'channels' },
};
/** Spellings other languages use, and Herald's for them: the error says which to write. */
const SPELLED_ELSEWHERE: Record<string, string> = {
  $exist: '$exists',
  $ne: '$neq',
  $regex: '$startsWith, $endsWith or $contains',
};

const KEYS_ALLOWED = 'a key is a field path (data.amount), $eventType, $channels, $and, $or or $not';
const OPERATORS_ALLOWED = `an operator is one of ${Object.keys(OPERATORS).join(' ')} or $not`;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isScalar(value: unknown): value is Scalar {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** Reads one filter, collecting every problem rather than stopping at the first. */
class FilterReader {
  readonly issues: ValidationIssue[] = [];
  clauses = 0;

  constructor(private readonly base: string[]) {}

  problem(at: string[], msg: string, type = 'value_error.filter'): void {
    const loc = [...this.base, ...at];
    this.issues.push({ loc, msg: `${loc.slice(1).join('.') || 'filter'}: ${msg}`, type });
  }

  /** A filter object: the implicit `$and` of its keys. */
  filter(value: unknown, at: string[], depth: number): FilterNode {
    if (!isObject(value)) {
      this.problem(at, `must be an object of conditions, not ${describe(value)}`, 'type_error.filter');
      return { kind: 'all', of: [] };
    }
    if (depth > FILTER_LIMITS.depth) {
      this.problem(at, `nests deeper than ${FILTER_LIMITS.depth} levels`, 'value_error.filter.depth');
      return { kind: 'all', of: [] };
    }
    const of: FilterNode[] = [];
    for (const [key, item] of Object.entries(value)) {
      const here = [...at, key];
      if (key === '$and' || key === '$or') of.push(this.list(key, item, here, depth));
      else if (key === '$not') of.push({ kind: 'not', of: this.filter(item, here, depth + 1) });
      else if (Object.hasOwn(MESSAGE_FIELDS, key))
        of.push(this.condition(key, MESSAGE_FIELDS[key]!, item, here, depth));
      else if (key.startsWith('$')) this.problem(here, `unknown key "${key}": ${KEYS_ALLOWED}`);
      else {
        const field = this.path(key, here);
        if (field) of.push(this.condition(key, field, item, here, depth));
      }
    }
    return of.length === 1 ? of[0]! : { kind: 'all', of };
  }

  list(key: '$and' | '$or', value: unknown, at: string[], depth: number): FilterNode {
    const kind = key === '$and' ? 'all' : 'any';
    if (!Array.isArray(value) || value.length === 0 || value.length > FILTER_LIMITS.listItems) {
      this.problem(
        at,
        `must be a list of 1 to ${FILTER_LIMITS.listItems} filter objects`,
        'type_error.filter',
      );
      return { kind, of: [] };
    }
    return { kind, of: value.map((item, i) => this.filter(item, [...at, String(i)], depth + 1)) };
  }

  path(key: string, at: string[]): FilterField | null {
    const segments = key.split('.');
    if (segments.some((s) => s === '')) {
      this.problem(at, `"${key}" is not a field path: segments are separated by single dots (data.amount)`);
      return null;
    }
    if (key.length > FILTER_LIMITS.pathLength || segments.length > FILTER_LIMITS.pathSegments) {
      this.problem(
        at,
        `field path is longer than ${FILTER_LIMITS.pathLength} characters or ${FILTER_LIMITS.pathSegments} segments`,
      );
      return null;
    }
    return { kind: 'payload', segments };
  }

  /** A field's condition: a scalar (equality) or an object of operators. */
  condition(path: string, field: FilterField, value: unknown, at: string[], depth: number): FilterNode {
    if (isScalar(value)) return this.test(path, field, '$eq', value, at);
    if (Array.isArray(value)) {
      this.problem(at, 'a list is compared through an operator: {"$in": [...]} or {"$contains": value}');
      return { kind: 'all', of: [] };
    }
    return this.operators(path, field, value as Record<string, unknown>, at, depth + 1);
  }

  operators(
    path: string,
    field: FilterField,
    value: Record<string, unknown>,
    at: string[],
    depth: number,
  ): FilterNode {
    if (depth > FILTER_LIMITS.depth) {
      this.problem(at, `nests deeper than ${FILTER_LIMITS.depth} levels`, 'value_error.filter.depth');
      return { kind: 'all', of: [] };
    }
    const entries = Object.entries(value);
    if (entries.length === 0) this.problem(at, `is an empty object: ${OPERATORS_ALLOWED}`);
    const of: FilterNode[] = [];
    for (const [op, operand] of entries) {
      const here = [...at, op];
      if (op === '$not') {
        if (isObject(operand))
          of.push({ kind: 'not', of: this.operators(path, field, operand, here, depth + 1) });
        else
          this.problem(here, 'must be an object of operators, e.g. {"$in": ["a", "b"]}', 'type_error.filter');
      } else if (Object.hasOwn(OPERATORS, op)) of.push(this.test(path, field, op as Operator, operand, here));
      else if (!op.startsWith('$'))
        this.problem(
          here,
          `nested objects are not matched field by field: write the whole path with dots ("${path}.${op}")`,
        );
      else {
        const instead = Object.hasOwn(SPELLED_ELSEWHERE, op) ? SPELLED_ELSEWHERE[op] : undefined;
        this.problem(
          here,
          `unknown operator "${op}"${instead ? ` (Herald writes ${instead})` : ''}: ${OPERATORS_ALLOWED}`,
        );
      }
    }
    return of.length === 1 ? of[0]! : { kind: 'all', of };
  }

  test(path: string, field: FilterField, op: Operator, operand: unknown, at: string[]): FilterNode {
    this.clauses++;
    const wrong = operandProblem(op, operand);
    if (wrong) this.problem(at, `${op} ${wrong}, not ${describe(operand)}`, 'type_error.filter');
    return { kind: 'test', path, field, op, operand: operand as Scalar | Scalar[] };
  }
}

/** What is wrong with an operator's operand, or null. */
function operandProblem(op: Operator, operand: unknown): string | null {
  switch (OPERATORS[op]) {
    case 'scalar':
      return isScalar(operand) ? null : 'takes a string, number, boolean or null';
    case 'ordered':
      return typeof operand === 'number' || typeof operand === 'string' ? null : 'takes a number or a string';
    case 'string':
      return typeof operand === 'string' ? null : 'takes a string';
    case 'boolean':
      return typeof operand === 'boolean' ? null : 'takes true or false';
    case 'list':
      return Array.isArray(operand) &&
        operand.length > 0 &&
        operand.length <= FILTER_LIMITS.listItems &&
        operand.every(isScalar)
        ? null
        : `takes a list of 1 to ${FILTER_LIMITS.listItems} strings, numbers, booleans or nulls`;
  }
}

/**
 * Reads a filter sent to the API (`base` is where it sits in the request, e.g.
 * `['body', 'filter']`): its tree, or every problem with it as 422 issues.
 */
export function parseFilter(value: unknown, base: string[]): ParsedFilter {
  const reader = new FilterReader(base);
  const bytes = Buffer.byteLength(JSON.stringify(value) ?? '');
  if (bytes > FILTER_LIMITS.bytes) {
    reader.problem(
      [],
      `is ${bytes} bytes as JSON, over the limit of ${FILTER_LIMITS.bytes}`,
      'value_error.filter.size',
    );
    return { ok: false, issues: reader.issues };
  }
  const filter = reader.filter(value, [], 1);
  if (reader.clauses > FILTER_LIMITS.clauses)
    reader.problem(
      [],
      `has ${reader.clauses} comparisons, over the limit of ${FILTER_LIMITS.clauses}`,
      'value_error.filter.clauses',
    );
  return reader.issues.length > 0 ? { ok: false, issues: reader.issues } : { ok: true, filter };
}

/** The payload paths a filter reads, once each: for the schema check. */
export function payloadPaths(filter: FilterNode): string[] {
  const paths = new Set<string>();
  const walk = (node: FilterNode): void => {
    if (node.kind === 'test') {
      if (node.field.kind === 'payload') paths.add(node.path);
    } else if (node.kind === 'not') walk(node.of);
    else node.of.forEach(walk);
  };
  walk(filter);
  return [...paths];
}
