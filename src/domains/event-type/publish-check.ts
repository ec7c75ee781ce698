/**
 * The catalog's contract, enforced where messages come in: unknown, archived and deprecated
 * event types, and payloads checked against the latest schema of their type.
 *
 * This runs on every publish, so it must not cost a catalog query per message: event types are
 * looked up through a small per-process cache (a short TTL, plus invalidation on every write
 * this process makes), and each schema is compiled once by `PayloadValidators`.
 */
import type { HeraldContext } from '../../context.js';
import { ExpiringCache } from '../../core/expiring-cache.js';
import { ValidationError, type ValidationIssue } from '../../errors.js';
import type { Store } from '../../store/store.js';
import { findEventType, type StoredEventType } from './repo.js';
import { PayloadValidators, type PayloadViolation } from './schema-validation.js';
import type { SchemaMode } from './types.js';

/** Bound on cached names, so messages with ever-new unknown type names cannot grow memory. */
const MAX_CACHED_NAMES = 10_000;
/** A deprecated event type is logged at most this often per type, not once per message. */
const DEPRECATION_LOG_INTERVAL_MS = 60_000;

declare module '../../context.js' {
  interface HeraldContext {
    /** The publish path's view of the catalog; one per process, so each schema is compiled once. */
    readonly catalog: PublishCatalog;
  }
}

/** One process's view of the catalog for the publish path: lookups, compiled schemas, log throttling. */
export class PublishCatalog {
  readonly validators = new PayloadValidators();
  readonly #eventTypes = new ExpiringCache<StoredEventType | null>({
    maxEntries: MAX_CACHED_NAMES,
    cacheMisses: true,
  });
  readonly #deprecationLoggedAt = new Map<string, number>();

  constructor(private readonly store: Store) {}

  lookup(name: string): Promise<StoredEventType | null> {
    return this.#eventTypes.get(name, async () => (await findEventType(this.store.db, name)) ?? null);
  }

  /** Forgets what is cached about `name` (or everything), after a write to the catalog. */
  invalidate(name?: string): void {
    this.#eventTypes.invalidate(name);
  }

  /** True when a deprecation warning for `name` is due (at most one per interval). */
  shouldLogDeprecation(name: string): boolean {
    const now = Date.now();
    const last = this.#deprecationLoggedAt.get(name);
    if (last !== undefined && now - last < DEPRECATION_LOG_INTERVAL_MS) return false;
    if (this.#deprecationLoggedAt.size >= MAX_CACHED_NAMES) this.#deprecationLoggedAt.clear();
    this.#deprecationLoggedAt.set(name, now);
    return true;
  }
}

/**
 * Tells the publish path that the catalog changed (`name`, or every event type when omitted),
 * so the next message sees the change. Every write to `event_type` in this process calls it.
 */
export function invalidateEventType(ctx: HeraldContext, name?: string): void {
  const { catalog } = ctx;
  catalog.invalidate(name);
  if (name === undefined) return;
  // A deleted or rewritten type must not keep its compiled schema, even if `updatedAt` repeats.
  catalog.validators.forget(name);
}

/** The event type of a message, as found in the catalog (cached), or null when it is not there. */
export function lookupEventType(ctx: HeraldContext, name: string): Promise<StoredEventType | null> {
  return ctx.catalog.lookup(name);
}

/** What the publish path learned about a message's event type. */
export interface PublishCheck {
  /** The event type from the catalog, or null when it is not in it. */
  eventType: StoredEventType | null;
  /** The schema mode that applied (`off` when there was nothing to check). */
  mode: SchemaMode;
  /** Violations of the latest schema that were let through (`warn` mode). */
  violations: PayloadViolation[];
}

/**
 * Checks a message against the catalog before it is stored, and throws the 422 the API
 * answers with when it must be refused:
 * - not in the catalog: accepted, unless `HERALD_REQUIRE_KNOWN_EVENT_TYPES=true`;
 * - archived: refused;
 * - deprecated: accepted, and logged (once a minute per type);
 * - payload against the latest schema, in the type's `schemaMode`, else `HERALD_SCHEMA_MODE`:
 *   `enforce` refuses with one issue per violation (`loc` = `body.payload` + the JSON pointer's
 *   segments, `type` = `value_error.jsonschema.<rule>`), `warn` accepts and logs the violations
 *   (never the payload) and counts them, `off` skips the check.
 */
export async function checkPublish(
  ctx: HeraldContext,
  eventTypeName: string,
  payload: unknown,
): Promise<PublishCheck> {
  const { catalog } = ctx;
  const eventType = await catalog.lookup(eventTypeName);
  if (!eventType) {
    if (ctx.config.requireKnownEventTypes) {
      throw eventTypeIssue(
        `eventType: "${eventTypeName}" is not in the event catalog, and this Herald only accepts known event types`,
        'value_error.event_type.unknown',
      );
    }
    return { eventType: null, mode: 'off', violations: [] };
  }
  if (eventType.archived) {
    throw eventTypeIssue(
      `eventType: "${eventTypeName}" is archived and accepts no new messages (create it again to unarchive it)`,
      'value_error.event_type.archived',
    );
  }
  if (eventType.deprecated && catalog.shouldLogDeprecation(eventTypeName)) {
    ctx.logger.warn({ eventType: eventTypeName }, 'message published with a deprecated event type');
  }

  const mode = eventType.schemaMode ?? ctx.config.schemaMode;
  if (mode === 'off') return { eventType, mode, violations: [] };
  const violations = catalog.validators.validate(eventType, payload);
  if (!violations || violations.length === 0) return { eventType, mode, violations: [] };

  ctx.metrics.schemaViolations.inc({ event_type: eventTypeName, mode });
  if (mode === 'enforce') throw new ValidationError(violations.map(violationIssue));
  ctx.logger.warn(
    { eventType: eventTypeName, violations, schemaMode: mode },
    'payload does not match its event type schema (accepted: schema mode is warn)',
  );
  return { eventType, mode, violations };
}

function eventTypeIssue(msg: string, type: string): ValidationError {
  return new ValidationError([{ loc: ['body', 'eventType'], msg, type }]);
}

/** A violation as a Svix 422 issue, located inside `body.payload`. */
function violationIssue(violation: PayloadViolation): ValidationIssue {
  return {
    loc: ['body', 'payload', ...pointerSegments(violation.pointer)],
    msg: `payload${violation.pointer}: ${violation.message}`,
    type: `value_error.jsonschema.${violation.rule}`,
  };
}

/** The segments of an ajv instance path (a JSON pointer, not URI-encoded): `/a~1b/0` → `a/b`, `0`. */
function pointerSegments(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
}
