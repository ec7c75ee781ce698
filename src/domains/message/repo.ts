import type { FastifyRequest } from 'fastify';
import { type Expression, type Kysely, type Selectable, type SqlBool, sql } from 'kysely';
import type { HeraldContext } from '../../context.js';
import { type IdPrefix, idAtTime } from '../../core/ids.js';
import { notFound } from '../../errors.js';
import type { Database, MessageTable } from '../../store/schema.js';
import { resolveApplication } from '../application/access.js';
import type { ApplicationRow } from '../application/repo.js';
import { fromJson, iso } from '../common/json.js';
import { type Page, type PageRequest, pageQueryPlan, toPage } from '../common/pagination.js';

export type MessageRow = Selectable<MessageTable>;

/** What an expunged or expired payload reads as, as in Svix. */
export const EXPIRED_PAYLOAD: Readonly<Record<string, unknown>> = Object.freeze({ expired: true });

/**
 * The payload a message shows: `{}` without content (as Svix answers), `{"expired": true}` once
 * expunged or expired. A `transformationsParams.rawPayload` that is not a JSON object is sent
 * verbatim but shows as `{}` here (its text is at `/raw`).
 */
export function shownPayload(payload: string | null, withContent: boolean): Record<string, unknown> {
  if (!withContent) return {};
  if (payload === null) return { ...EXPIRED_PAYLOAD };
  try {
    const value: unknown = JSON.parse(payload);
    if (value !== null && typeof value === 'object' && !Array.isArray(value))
      return value as Record<string, unknown>;
  } catch {
    // not JSON: a raw payload
  }
  return {};
}

/** The API's view of a message (Svix's MessageOut). */
export function messageOut(row: MessageRow, withContent = true, deliverAt: number | null = null) {
  return {
    id: row.id,
    eventId: row.event_id,
    eventType: row.event_type,
    payload: shownPayload(row.payload, withContent),
    channels: fromJson<string[]>(row.channels),
    tags: fromJson<string[]>(row.tags),
    timestamp: iso(row.created_at),
    deliverAt: iso(deliverAt),
    ...(row.ordering_key !== null && { orderingKey: row.ordering_key }),
  };
}

/** Every message column but the payload, for lists that do not show it. */
export const MESSAGE_META_COLUMNS = [
  'message.id',
  'message.app_id',
  'message.event_type',
  'message.event_id',
  'message.channels',
  'message.tags',
  'message.created_at',
  'message.payload_expires_at',
  'message.trace_parent',
  'message.ordering_key',
] as const;

/**
 * The payload column, or NULL in its place when the caller asked for no content: lists
 * then never read payloads (often the bulk of a row) off disk.
 */
export function payloadColumn(withContent: boolean) {
  return withContent
    ? sql<string | null>`message.payload`.as('payload')
    : sql<string | null>`NULL`.as('payload');
}

/**
 * True when the JSON array text in `column` holds `value`. Channel and tag values are
 * pattern-restricted and cannot contain a quote, so the quoted value (`"value"`) only ever
 * matches a whole element. `replace(…) <> column` is a case-sensitive substring test that
 * reads the same on SQLite and PostgreSQL (SQLite's LIKE ignores case, and `_` is a wildcard).
 */
export function jsonArrayHas(
  column: 'message.channels' | 'message.tags',
  value: string,
): Expression<SqlBool> {
  const needle = JSON.stringify(value);
  return sql<SqlBool>`replace(${sql.ref(column)}, ${needle}, '') <> ${sql.ref(column)}`;
}

/** Time bounds of a list as epoch milliseconds, from the `before`/`after` query strings. */
export interface TimeRange {
  before?: number;
  after?: number;
}

export function timeRange(query: { before?: string; after?: string }): TimeRange {
  return {
    before: query.before === undefined ? undefined : Date.parse(query.before),
    after: query.after === undefined ? undefined : Date.parse(query.after),
  };
}

/**
 * `before`/`after` as bounds on time-sortable ids, so a time filter is a range on the
 * index the list walks anyway: created before T is an id below the first id of T, created
 * after T an id from the first id of T + 1 ms on. `slackMs` widens the upper bound for ids
 * minted some time after the row's timestamp (an attempt's id is made when it ends).
 * `afterInclusive` counts T itself as after T (Svix's attempt lists do).
 */
export function idRange(
  prefix: IdPrefix,
  range: TimeRange,
  slackMs = 0,
  afterInclusive = false,
): { below?: string; from?: string } {
  return {
    below: range.before === undefined ? undefined : idAtTime(prefix, range.before + slackMs),
    from: range.after === undefined ? undefined : idAtTime(prefix, range.after + (afterInclusive ? 0 : 1)),
  };
}

/** The message filters Svix documents for `v1.message.list` and the attempt lists. */
export interface MessageFilters {
  channel?: string;
  tag?: string;
  eventTypes?: string[];
}

/** Svix's message filters (event types, channel, tag) on a query that reads the message table. */
export function whereMessageMatches<Q extends { where(e: Expression<SqlBool>): Q }>(
  query: Q,
  filters: MessageFilters,
): Q {
  let q = query;
  if (filters.eventTypes?.length)
    q = q.where(sql<SqlBool>`${sql.ref('message.event_type')} in (${sql.join(filters.eventTypes)})`);
  if (filters.channel) q = q.where(jsonArrayHas('message.channels', filters.channel));
  if (filters.tag) q = q.where(jsonArrayHas('message.tags', filters.tag));
  return q;
}

/**
 * One page of an application's messages, newest first, walking the (app_id, id) index;
 * time bounds become id bounds on the same index. `condition` narrows it further.
 */
export async function listMessages(
  db: Kysely<Database>,
  appId: string,
  req: PageRequest,
  filters: MessageFilters & { range: TimeRange; withContent: boolean },
  condition?: Expression<SqlBool>,
): Promise<Page<MessageRow>> {
  const plan = pageQueryPlan(req);
  const bounds = idRange('msg', filters.range);
  let query = db
    .selectFrom('message')
    .select([...MESSAGE_META_COLUMNS, payloadColumn(filters.withContent)])
    .where('message.app_id', '=', appId);
  if (condition) query = query.where(condition);
  if (req.cursor) query = query.where('message.id', plan.op, req.cursor);
  if (bounds.below) query = query.where('message.id', '<', bounds.below);
  if (bounds.from) query = query.where('message.id', '>=', bounds.from);
  const rows = await whereMessageMatches(query, filters)
    .orderBy('message.id', plan.direction)
    .limit(plan.fetch)
    .execute();
  return toPage(req, rows, (r) => r.id);
}

/** The application's last `limit` messages that still have their payload, newest first. */
export function recentMessages(db: Kysely<Database>, appId: string, limit: number) {
  return db
    .selectFrom('message')
    .select(['id', 'event_type', 'channels', 'payload'])
    .where('app_id', '=', appId)
    .where('payload', 'is not', null)
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}

/** Where a page of the pull feed starts and what it keeps. */
export interface FeedWindow {
  /** Only ids below this one: the messages old enough to have settled. */
  settledBelow: string;
  /** Only ids after this one: the iterator the consumer passed back. */
  after?: string;
  /** Only ids from this one on: where the feed starts without an iterator. */
  from?: string | null;
  eventTypes?: string[];
  /** A message on any of these channels. */
  channels?: string[];
}

/**
 * The pull feed's next messages of `appId`, oldest first, at most `limit` (ask one more to know
 * whether the feed is done). Walks the (app_id, id) index from the window's start.
 */
export function listFeedMessages(
  db: Kysely<Database>,
  appId: string,
  window: FeedWindow,
  limit: number,
): Promise<MessageRow[]> {
  let query = db
    .selectFrom('message')
    .selectAll()
    .where('app_id', '=', appId)
    .where('id', '<', window.settledBelow);
  if (window.after) query = query.where('id', '>', window.after);
  if (window.from) query = query.where('id', '>=', window.from);
  if (window.eventTypes?.length) query = query.where('event_type', 'in', window.eventTypes);
  const channels = window.channels ?? [];
  if (channels.length > 0)
    query = query.where((eb) => eb.or(channels.map((c) => jsonArrayHas('message.channels', c))));
  return query.orderBy('id').limit(limit).execute();
}

/**
 * A message of `appId` by its id or by the platform's `eventId`, as Svix accepts either in
 * the path. Were one message's eventId another's id, the id wins.
 */
export async function findMessage(
  db: Kysely<Database>,
  appId: string,
  idOrEventId: string,
): Promise<MessageRow | undefined> {
  const rows = await db
    .selectFrom('message')
    .selectAll()
    .where('app_id', '=', appId)
    .where((eb) => eb.or([eb('id', '=', idOrEventId), eb('event_id', '=', idOrEventId)]))
    .limit(2)
    .execute();
  return rows.find((r) => r.id === idOrEventId) ?? rows[0];
}

/**
 * The application and message a request's path names, scoped to the caller: a message of
 * another application (or another tenant's) is a 404 like a missing one.
 */
export async function resolveMessage(
  ctx: HeraldContext,
  request: FastifyRequest,
  appIdOrUid: string,
  msgIdOrEventId: string,
): Promise<{ app: ApplicationRow; message: MessageRow }> {
  const app = await resolveApplication(ctx, request, appIdOrUid);
  const message = await findMessage(ctx.store.db, app.id, msgIdOrEventId);
  if (!message) throw notFound('Message not found.');
  return { app, message };
}

/**
 * Deletes a message's payload and keeps its metadata, deliveries and attempts. Deliveries
 * still owed will send `{}` from then on; resending it is refused.
 */
export async function expungeMessageContent(db: Kysely<Database>, msgId: string): Promise<void> {
  await db.updateTable('message').set({ payload: null }).where('id', '=', msgId).execute();
}
