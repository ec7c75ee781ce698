import type { HeraldContext } from '../../context.js';
import { newId } from '../../core/ids.js';
import { checkEndpointUrl } from '../../core/net/endpoint-url.js';
import { conflict, invalidField, ValidationError, type ValidationIssue } from '../../errors.js';
import { encryptPlaintextHeaders, storeHeaders } from '../../signing/endpoint-headers.js';
import { storeSecrets } from '../../signing/endpoint-secrets.js';
import { generateEndpointSecret, parseEndpointSecret } from '../../signing/secrets.js';
import type { EndpointOrdering, FifoOnExhausted } from '../../store/schema.js';
import { fromJson } from '../common/json.js';
import { isUniqueViolation } from '../common/sql-errors.js';
import { checkEventTypeFilter, requestedFilter } from '../event-type/filter-rule.js';
import { checkCustomHeaders } from './custom-headers.js';
import { disableEndpoint, enableEndpoint } from './disable.js';
import { type FilterWarning, filterWarnings, readRequestFilter, storedFilter } from './filter-check.js';
import { writeEndpoint } from './ordering.js';
import type { EndpointRow } from './repo.js';

/** An endpoint's settable fields, with either SDK major's spelling already folded into one. */
export interface EndpointFields {
  url?: string;
  description?: string;
  uid?: string | null;
  disabled?: boolean;
  eventTypes?: string[] | null;
  filterTypes?: string[] | null;
  channels?: string[] | null;
  throttleRate?: number | null;
  rateLimit?: number | null;
  metadata?: Record<string, string>;
  /** Svix's deprecated endpoint version: stored and answered, nothing depends on it. */
  version?: number;
  secret?: string | null;
  headers?: Record<string, string> | null;
  /** Herald's payload filter; null clears it, undefined keeps it (an SDK's PUT cannot send it). */
  filter?: Record<string, unknown> | null;
  ordering?: EndpointOrdering;
  fifoOnExhausted?: FifoOnExhausted;
  fifoBatchSize?: number;
}

/** An endpoint as written, with what its filter's schema check found. */
export interface WrittenEndpoint {
  row: EndpointRow;
  filterWarnings: FilterWarning[];
}

/** Every problem with an endpoint's fields, as 422 issues (empty when it is fine). */
async function check(ctx: HeraldContext, fields: EndpointFields): Promise<ValidationIssue[]> {
  if (fields.headers) checkCustomHeaders(fields.headers, ['body', 'headers']);
  const issues: ValidationIssue[] = [];
  if (fields.url !== undefined) {
    const problem = checkEndpointUrl(fields.url, {
      httpsOnly: ctx.config.httpsOnly,
      policy: ctx.networkPolicy,
    });
    if (problem) issues.push({ loc: ['body', 'url'], msg: `url: ${problem}`, type: 'value_error.url' });
  }
  const { field, filter } = requestedFilter(fields);
  issues.push(...(await checkEventTypeFilter(ctx.store.db, field, filter)));
  issues.push(...readRequestFilter(fields.filter).issues);
  if (fields.secret) {
    const parsed = parseEndpointSecret(fields.secret);
    if (!parsed.ok)
      issues.push({ loc: ['body', 'secret'], msg: `secret: ${parsed.reason}`, type: 'value_error' });
  }
  return issues;
}

/** The canonical form of a secret that `check` has already accepted. */
export function normalizedSecret(secret: string): string {
  const parsed = parseEndpointSecret(secret);
  if (!parsed.ok) throw invalidField(['body', 'secret'], `secret: ${parsed.reason}`);
  return parsed.secret.normalized;
}

function jsonOrNull(list: string[] | null | undefined): string | null {
  return list ? JSON.stringify(list) : null;
}

function uidConflict(err: unknown): never {
  if (isUniqueViolation(err)) throw conflict('An endpoint with this uid already exists in this application.');
  throw err;
}

/** The warnings of the filter an endpoint has after a write, against the event types it then receives. */
function warningsFor(ctx: HeraldContext, row: EndpointRow): Promise<FilterWarning[]> {
  const { tree } = readRequestFilter(fromJson<Record<string, unknown>>(row.filter));
  return tree ? filterWarnings(ctx.store.db, tree, fromJson<string[]>(row.event_types)) : Promise.resolve([]);
}

export async function createEndpoint(
  ctx: HeraldContext,
  appId: string,
  fields: EndpointFields & { url: string },
): Promise<WrittenEndpoint> {
  const issues = await check(ctx, fields);
  if (issues.length > 0) throw new ValidationError(issues);
  const now = ctx.now();
  const secret = fields.secret
    ? normalizedSecret(fields.secret)
    : generateEndpointSecret(ctx.config.defaultSignatureType);
  const row: EndpointRow = {
    id: newId('ep', now),
    app_id: appId,
    uid: fields.uid ?? null,
    url: fields.url,
    description: fields.description ?? '',
    event_types: jsonOrNull(requestedFilter(fields).filter),
    channels: jsonOrNull(fields.channels),
    headers: storeHeaders(ctx.keyring, fields.headers ?? {}),
    metadata: JSON.stringify(fields.metadata ?? {}),
    throttle_rate: fields.throttleRate ?? fields.rateLimit ?? null,
    disabled: fields.disabled ? 1 : 0,
    disabled_reason: fields.disabled ? 'Disabled by the API.' : null,
    disabled_at: fields.disabled ? now : null,
    secrets: storeSecrets(ctx.keyring, secret),
    first_failure_at: null,
    consecutive_failures: 0,
    last_success_at: null,
    last_failure_at: null,
    delivery_state: 0,
    delivery_state_at: null,
    created_at: now,
    updated_at: now,
    version: fields.version ?? 1,
    filter: storedFilter(fields.filter ?? null),
    ordering: fields.ordering ?? 'none',
    fifo_on_exhausted: fields.fifoOnExhausted ?? 'block',
    fifo_batch_size: fields.fifoBatchSize ?? 1,
  };
  await ctx.store.db.insertInto('endpoint').values(row).execute().catch(uidConflict);
  return { row, filterWarnings: await warningsFor(ctx, row) };
}

/**
 * Applies `fields` to an endpoint. Fields left undefined keep their value (PATCH); PUT
 * passes every field. Enabling a disabled endpoint releases the deliveries it held.
 */
export async function updateEndpoint(
  ctx: HeraldContext,
  row: EndpointRow,
  fields: EndpointFields,
): Promise<WrittenEndpoint> {
  const issues = await check(ctx, fields);
  if (issues.length > 0) throw new ValidationError(issues);
  const now = ctx.now();
  const { filter } = requestedFilter(fields);
  const rate = fields.throttleRate !== undefined ? fields.throttleRate : fields.rateLimit;
  // Only the columns this request sets are written: a concurrent headers write, or the
  // worker's health counters, landing between the read of `row` and this write are kept.
  const changes: Partial<EndpointRow> = { updated_at: now };
  if (fields.url != null) changes.url = fields.url;
  if (fields.description != null) changes.description = fields.description;
  if (fields.uid !== undefined) changes.uid = fields.uid;
  if (filter !== undefined) changes.event_types = jsonOrNull(filter);
  if (fields.channels !== undefined) changes.channels = jsonOrNull(fields.channels);
  if (rate !== undefined) changes.throttle_rate = rate || null;
  if (fields.metadata !== undefined) changes.metadata = JSON.stringify(fields.metadata);
  if (fields.version !== undefined) changes.version = fields.version;
  if (fields.filter !== undefined) changes.filter = storedFilter(fields.filter);
  if (fields.secret) changes.secrets = storeSecrets(ctx.keyring, normalizedSecret(fields.secret));
  // Herald's own fields keep their value when left out, on PUT too: an SDK that does not know them
  // must not turn ordering off by updating the URL.
  if (fields.ordering !== undefined) changes.ordering = fields.ordering;
  if (fields.fifoOnExhausted !== undefined) changes.fifo_on_exhausted = fields.fifoOnExhausted;
  if (fields.fifoBatchSize !== undefined) changes.fifo_batch_size = fields.fifoBatchSize;
  // Headers an earlier version kept in plaintext are encrypted on the endpoint's next write.
  const headers =
    fields.headers === undefined
      ? encryptPlaintextHeaders(ctx.keyring, row.headers)
      : storeHeaders(ctx.keyring, fields.headers ?? {});
  if (headers !== row.headers) changes.headers = headers;
  await writeEndpoint(ctx, row.id, changes).catch(uidConflict);
  const next = await applyDisabled(ctx, { ...row, ...changes }, row, fields.disabled, now);
  // Checked again only when this write changed what they compare: the filter or the event types
  // (the check reads the whole catalog's schemas).
  const rechecked = fields.filter !== undefined || filter !== undefined;
  return { row: next, filterWarnings: rechecked ? await warningsFor(ctx, next) : [] };
}

/** Disables or enables the endpoint when `disabled` changes it; answers the row as it now is. */
async function applyDisabled(
  ctx: HeraldContext,
  next: EndpointRow,
  row: EndpointRow,
  disabled: boolean | undefined,
  now: number,
): Promise<EndpointRow> {
  if (disabled === true && row.disabled === 0) {
    await disableEndpoint(ctx.store.db, row.id, 'Disabled by the API.', now);
    return { ...next, disabled: 1, disabled_reason: 'Disabled by the API.', disabled_at: now };
  }
  if (disabled === false && row.disabled === 1) {
    const released = await enableEndpoint(ctx.store.db, row.id, now);
    if (released > 0) ctx.store.notifyDue();
    return {
      ...next,
      disabled: 0,
      disabled_reason: null,
      disabled_at: null,
      first_failure_at: null,
      consecutive_failures: 0,
    };
  }
  return next;
}
