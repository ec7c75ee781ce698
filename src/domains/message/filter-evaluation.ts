/**
 * Running a payload filter (`filter-language.ts`): a checked tree becomes one function made of
 * closures, built once per endpoint version (`CompiledFilters`), so a message is never matched
 * by reading the filter's JSON again; and the same tests explain a match, clause by clause,
 * for the filter test route.
 *
 * Semantics, kept the same everywhere:
 * - a path that crosses an array reads every element (`items.sku`), a number segment indexes it
 *   (`items.0.sku`); a value that is an array matches when any element does;
 * - values of different types never compare: `"10" $gt 5` is false, not an error;
 * - `$neq`, `$nin` and `$exists: false` are the negations of `$eq`, `$in` and `$exists: true`, so a
 *   missing field is `$neq` anything;
 * - strings compare exactly (no case folding, no Unicode normalization), in UTF-16 order.
 */
import {
  type FilterField,
  type FilterNode,
  type Operator,
  parseFilter,
  type Scalar,
} from './filter-language.js';

/** What a filter reads from a message. */
export interface FilterInput {
  payload: unknown;
  eventType: string;
  channels: readonly string[] | null;
}

/** A compiled filter: true when the message passes. */
export type CompiledFilter = (input: FilterInput) => boolean;

/** How one clause fared, for people: the filter test route answers it. */
export interface Explanation {
  matched: boolean;
  /** `$and`, `$or`, `$not`, or the comparison's operator. */
  op: string;
  path?: string;
  operand?: Scalar | Scalar[];
  /** The values found at the path (none: it is missing). */
  found?: unknown[];
  clauses?: Explanation[];
}

type ValueTest = (value: unknown) => boolean;

const INDEX = /^(0|[1-9][0-9]*)$/;

/**
 * Whether any value at `segments` (from `i` on) below `node` passes `test`. Crossing an array
 * reads each element, unless the segment is an index.
 */
function anyAt(node: unknown, segments: readonly string[], i: number, test: ValueTest): boolean {
  if (i === segments.length) return test(node);
  if (node === null || typeof node !== 'object') return false;
  const segment = segments[i]!;
  if (Array.isArray(node)) {
    if (INDEX.test(segment)) {
      const index = Number(segment);
      return index < node.length && anyAt(node[index], segments, i + 1, test);
    }
    for (const element of node) {
      if (
        element !== null &&
        typeof element === 'object' &&
        !Array.isArray(element) &&
        Object.hasOwn(element, segment)
      )
        if (anyAt((element as Record<string, unknown>)[segment], segments, i + 1, test)) return true;
    }
    return false;
  }
  return (
    Object.hasOwn(node, segment) && anyAt((node as Record<string, unknown>)[segment], segments, i + 1, test)
  );
}

/** Whether a value of the field passes `test` (the message's own fields included). */
function reader(field: FilterField): (input: FilterInput, test: ValueTest) => boolean {
  switch (field.kind) {
    case 'eventType':
      return (input, test) => test(input.eventType);
    case 'channels':
      return (input, test) => input.channels !== null && test(input.channels);
    case 'payload': {
      const { segments } = field;
      return (input, test) => anyAt(input.payload, segments, 0, test);
    }
  }
}

function ordered(operand: Scalar, accept: (order: number) => boolean): ValueTest {
  return (value) =>
    typeof value === typeof operand &&
    accept((value as string | number) < (operand as string | number) ? -1 : value === operand ? 0 : 1);
}

/** The test of one value for a positive operator (the negative ones are negated around it). */
function scalarTest(op: Operator, operand: Scalar | Scalar[]): ValueTest {
  switch (op) {
    case '$eq':
    case '$neq':
      return (value) => value === operand;
    case '$in':
    case '$nin': {
      const set = new Set(operand as Scalar[]);
      return (value) => set.has(value as Scalar);
    }
    case '$gt':
      return ordered(operand as Scalar, (o) => o > 0);
    case '$gte':
      return ordered(operand as Scalar, (o) => o >= 0);
    case '$lt':
      return ordered(operand as Scalar, (o) => o < 0);
    case '$lte':
      return ordered(operand as Scalar, (o) => o <= 0);
    case '$startsWith':
      return (value) => typeof value === 'string' && value.startsWith(operand as string);
    case '$endsWith':
      return (value) => typeof value === 'string' && value.endsWith(operand as string);
    case '$contains':
      return (value) => typeof value === 'string' && typeof operand === 'string' && value.includes(operand);
    case '$exists':
      return () => true;
  }
}

const NEGATIVE: ReadonlySet<Operator> = new Set(['$neq', '$nin']);

/** One comparison: how to read the field, the test of a value, and whether the result is negated. */
function comparison(node: Extract<FilterNode, { kind: 'test' }>) {
  const one = scalarTest(node.op, node.operand);
  // An array matches when an element does; `$contains` on an array asks for an equal element.
  const test: ValueTest =
    node.op === '$contains'
      ? (value) => (Array.isArray(value) ? value.some((e) => e === node.operand) : one(value))
      : node.op === '$exists'
        ? one
        : (value) => (Array.isArray(value) ? value.some(one) : one(value));
  const negate = NEGATIVE.has(node.op) || (node.op === '$exists' && node.operand === false);
  return { read: reader(node.field), test, negate };
}

/** Compiles a checked filter into one function. */
export function compileFilter(node: FilterNode): CompiledFilter {
  switch (node.kind) {
    case 'test': {
      const { read, test, negate } = comparison(node);
      return negate ? (input) => !read(input, test) : (input) => read(input, test);
    }
    case 'not': {
      const inner = compileFilter(node.of);
      return (input) => !inner(input);
    }
    case 'all': {
      const parts = node.of.map(compileFilter);
      if (parts.length === 1) return parts[0]!;
      return (input) => {
        for (const part of parts) if (!part(input)) return false;
        return true;
      };
    }
    case 'any': {
      const parts = node.of.map(compileFilter);
      return (input) => {
        for (const part of parts) if (part(input)) return true;
        return false;
      };
    }
  }
}

/** Most values an explanation lists as found at one path. */
const FOUND_SHOWN = 10;

/** Matches a message clause by clause, saying how each clause fared. */
export function explainFilter(node: FilterNode, input: FilterInput): Explanation {
  switch (node.kind) {
    case 'test': {
      const { read, test, negate } = comparison(node);
      const found: unknown[] = [];
      read(input, (value) => {
        if (found.length < FOUND_SHOWN) found.push(value);
        return false;
      });
      const matched = read(input, test) !== negate;
      return { matched, op: node.op, path: node.path, operand: node.operand, found };
    }
    case 'not': {
      const inner = explainFilter(node.of, input);
      return { matched: !inner.matched, op: '$not', clauses: [inner] };
    }
    case 'all':
    case 'any': {
      const clauses = node.of.map((n) => explainFilter(n, input));
      const matched = node.kind === 'all' ? clauses.every((c) => c.matched) : clauses.some((c) => c.matched);
      return { matched, op: node.kind === 'all' ? '$and' : '$or', clauses };
    }
  }
}

/** Passes nothing: what a stored filter that no longer reads stands for (it was checked when written). */
const NOTHING: CompiledFilter = () => false;

/** Compiles a filter as stored (JSON text); null when the endpoint has none. */
export function compileStoredFilter(text: string | null): CompiledFilter | null {
  if (text === null) return null;
  const parsed = parseFilter(JSON.parse(text), []);
  return parsed.ok ? compileFilter(parsed.filter) : NOTHING;
}

/** Entries kept before the cache starts over (deleted endpoints leave theirs behind). */
const MAX_CACHED = 100_000;

/**
 * Compiled filters by endpoint, reused for as long as the endpoint's stored filter text is the
 * same: the outbox reads the endpoints in each transaction, and compiles only what changed.
 */
export class CompiledFilters {
  readonly #byEndpoint = new Map<string, { text: string; filter: CompiledFilter }>();

  /** The endpoint's compiled filter; null when it has none. */
  get(endpointId: string, text: string | null): CompiledFilter | null {
    if (text === null) return null;
    const cached = this.#byEndpoint.get(endpointId);
    if (cached?.text === text) return cached.filter;
    if (this.#byEndpoint.size >= MAX_CACHED) this.#byEndpoint.clear();
    const filter = compileStoredFilter(text)!;
    this.#byEndpoint.set(endpointId, { text, filter });
    return filter;
  }
}
