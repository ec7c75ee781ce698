import { type Kysely, type Selectable, sql } from 'kysely';
import {
  type AttemptTable,
  type Database,
  type EndpointTable,
  STATUS,
  STATUS_TEXT,
} from '../../store/schema.js';
import { fromJson, iso } from '../common/json.js';
import { type Page, type PageRequest, pageQueryPlan, toPage } from '../common/pagination.js';
import { endpointOut } from '../endpoint/repo.js';
import {
  idRange,
  jsonArrayHas,
  MESSAGE_META_COLUMNS,
  type MessageFilters,
  type MessageRow,
  messageOut,
  payloadColumn,
  type TimeRange,
} from '../message/repo.js';

export type AttemptRow = Selectable<AttemptTable>;

/** What Svix writes over an expunged attempt's response body; kept so clients see the same. */
const EXPUNGED_RESPONSE = 'EXPUNGED';

/**
 * Canceled (4) is newer than Svix's first SDKs, so unless a client asks for
 * `expanded_statuses` it reads as Success (0), as Svix answers.
 */
function shownStatus(status: number, expandedStatuses: boolean): number {
  return status === STATUS.canceled && !expandedStatuses ? STATUS.success : status;
}

function statusFields(status: number, expandedStatuses: boolean) {
  const shown = shownStatus(status, expandedStatuses);
  return { status: shown, statusText: STATUS_TEXT[shown] ?? 'pending' };
}

export interface AttemptView {
  withContent: boolean;
  expandedStatuses: boolean;
  /** The message to embed (`with_msg`), always without its payload. */
  msg?: MessageRow | null;
}

/** The API's view of one attempt (Svix's MessageAttemptOut, plus Herald's error and header fields). */
export function attemptOut(row: AttemptRow, view: AttemptView) {
  return {
    id: row.id,
    msgId: row.msg_id,
    endpointId: row.endpoint_id,
    url: row.url,
    // Svix answers `{}` for a response body left out of a list.
    response: view.withContent ? (row.response ?? '') : '{}',
    responseStatusCode: row.response_status_code,
    responseDurationMs: row.duration_ms,
    ...statusFields(row.status, view.expandedStatuses),
    triggerType: row.trigger_type,
    timestamp: iso(row.created_at),
    ...(view.msg !== undefined ? { msg: view.msg ? messageOut(view.msg, false) : null } : {}),
    errorClass: row.error_class,
    errorMessage: row.error_message,
    responseHeaders: fromJson<Record<string, string>>(row.response_headers),
    requestHeaders: fromJson<Record<string, string>>(row.request_headers),
    ...(row.batch_msg_ids && { batchMsgIds: fromJson<string[]>(row.batch_msg_ids) }),
  };
}

/**
 * An attempt's id is minted when the request ends, its timestamp when it began, so an
 * attempt made before T can have an id from a little after T. This much covers any request.
 */
export function attemptIdSlackMs(requestTimeoutMs: number): number {
  return requestTimeoutMs + 60_000;
}

export interface AttemptFilters extends MessageFilters {
  status?: number;
  statusCodeClass?: number;
  range: TimeRange;
  /** See attemptIdSlackMs. */
  idSlackMs: number;
}

/**
 * One page of attempts, newest first, for one endpoint (the (endpoint_id, id) index) or one
 * message (the (msg_id, id) index), optionally narrowed to one endpoint. Message filters
 * (channel, tag, event type) join the message by its primary key.
 */
export async function listAttempts(
  db: Kysely<Database>,
  scope: { endpointId: string; msgId?: undefined } | { msgId: string; endpointId?: string },
  req: PageRequest,
  filters: AttemptFilters,
): Promise<Page<AttemptRow>> {
  const plan = pageQueryPlan(req);
  let query = db.selectFrom('attempt').selectAll('attempt');
  if (scope.msgId === undefined) {
    query = query.where('attempt.endpoint_id', '=', scope.endpointId);
  } else {
    query = query.where('attempt.msg_id', '=', scope.msgId);
    // A message has a handful of attempts, an endpoint maybe millions; without statistics
    // SQLite may walk the endpoint's index instead. `|| ''` keeps this test off any index.
    if (scope.endpointId !== undefined)
      query = query.where(sql<string>`${sql.ref('attempt.endpoint_id')} || ''`, '=', scope.endpointId);
  }
  if (req.cursor) query = query.where('attempt.id', plan.op, req.cursor);
  // `after` is inclusive on attempt lists, as in Svix: an attempt made at T is after T.
  const bounds = idRange('atmpt', filters.range, filters.idSlackMs, true);
  if (bounds.below) query = query.where('attempt.id', '<', bounds.below);
  if (bounds.from) query = query.where('attempt.id', '>=', bounds.from);
  // The id bounds narrow the index walk; the timestamps decide.
  if (filters.range.before !== undefined)
    query = query.where('attempt.created_at', '<', filters.range.before);
  if (filters.range.after !== undefined) query = query.where('attempt.created_at', '>=', filters.range.after);
  if (filters.status !== undefined) query = query.where('attempt.status', '=', filters.status);
  if (filters.statusCodeClass !== undefined) {
    // Class 0 is "no response": Svix counts 0–99 as none.
    const low = filters.statusCodeClass;
    query = query
      .where('attempt.response_status_code', '>=', low)
      .where('attempt.response_status_code', '<=', low === 0 ? 99 : low + 99);
  }
  if (filters.channel || filters.tag || filters.eventTypes?.length) {
    let joined = query.innerJoin('message', 'message.id', 'attempt.msg_id');
    if (filters.eventTypes?.length) joined = joined.where('message.event_type', 'in', filters.eventTypes);
    if (filters.channel) joined = joined.where(jsonArrayHas('message.channels', filters.channel));
    if (filters.tag) joined = joined.where(jsonArrayHas('message.tags', filters.tag));
    query = joined;
  }
  const rows = await query.orderBy('attempt.id', plan.direction).limit(plan.fetch).execute();
  return toPage(req, rows, (r) => r.id);
}

/** The messages of these attempts, without payloads (what `with_msg` embeds). */
export async function messagesById(db: Kysely<Database>, ids: string[]): Promise<Map<string, MessageRow>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .selectFrom('message')
    .select([...MESSAGE_META_COLUMNS, payloadColumn(false)])
    .where('message.id', 'in', [...new Set(ids)])
    .execute();
  return new Map(rows.map((r) => [r.id, r]));
}

export function findAttempt(
  db: Kysely<Database>,
  msgId: string,
  attemptId: string,
): Promise<AttemptRow | undefined> {
  return db
    .selectFrom('attempt')
    .selectAll()
    .where('id', '=', attemptId)
    .where('msg_id', '=', msgId)
    .executeTakeFirst();
}

/**
 * Removes what the receiver answered (body and headers), for a receiver that echoed
 * something sensitive. The attempt's outcome stays.
 */
export async function expungeAttemptContent(db: Kysely<Database>, attemptId: string): Promise<void> {
  await db
    .updateTable('attempt')
    .set({ response: EXPUNGED_RESPONSE, response_headers: null })
    .where('id', '=', attemptId)
    .execute();
}

type AttemptedMessageRow = MessageRow & { delivery_status: number; next_attempt_at: number | null };

/**
 * One page of the messages owed to one endpoint, newest first, with that endpoint's
 * delivery state: the (endpoint_id, msg_id) index without a status filter, the
 * (endpoint_id, status, msg_id) index with one.
 */
export async function listAttemptedMessages(
  db: Kysely<Database>,
  endpointId: string,
  req: PageRequest,
  filters: MessageFilters & { status?: number; range: TimeRange; withContent: boolean },
): Promise<Page<AttemptedMessageRow>> {
  const plan = pageQueryPlan(req);
  let query = db
    .selectFrom('delivery')
    .innerJoin('message', 'message.id', 'delivery.msg_id')
    .select([
      ...MESSAGE_META_COLUMNS,
      payloadColumn(filters.withContent),
      'delivery.status as delivery_status',
      'delivery.next_attempt_at as next_attempt_at',
    ])
    .where('delivery.endpoint_id', '=', endpointId);
  if (req.cursor) query = query.where('delivery.msg_id', plan.op, req.cursor);
  const bounds = idRange('msg', filters.range);
  if (bounds.below) query = query.where('delivery.msg_id', '<', bounds.below);
  if (bounds.from) query = query.where('delivery.msg_id', '>=', bounds.from);
  if (filters.status !== undefined) query = query.where('delivery.status', '=', filters.status);
  if (filters.eventTypes?.length) query = query.where('message.event_type', 'in', filters.eventTypes);
  if (filters.channel) query = query.where(jsonArrayHas('message.channels', filters.channel));
  if (filters.tag) query = query.where(jsonArrayHas('message.tags', filters.tag));
  const rows = await query.orderBy('delivery.msg_id', plan.direction).limit(plan.fetch).execute();
  return toPage(req, rows, (r) => r.id);
}

export function endpointMessageOut(
  row: AttemptedMessageRow,
  withContent: boolean,
  expandedStatuses: boolean,
) {
  return {
    ...messageOut(row, withContent),
    ...statusFields(row.delivery_status, expandedStatuses),
    nextAttempt: iso(row.next_attempt_at),
  };
}

type DestinationRow = Selectable<EndpointTable> & { delivery_status: number; next_attempt_at: number | null };

/** One page of the endpoints a message is owed to, in the order `req` asks for (by endpoint id). */
export async function listAttemptedDestinations(
  db: Kysely<Database>,
  msgId: string,
  req: PageRequest,
): Promise<Page<DestinationRow>> {
  const plan = pageQueryPlan(req);
  let query = db
    .selectFrom('delivery')
    .innerJoin('endpoint', 'endpoint.id', 'delivery.endpoint_id')
    .selectAll('endpoint')
    .select(['delivery.status as delivery_status', 'delivery.next_attempt_at as next_attempt_at'])
    .where('delivery.msg_id', '=', msgId);
  if (req.cursor) query = query.where('delivery.endpoint_id', plan.op, req.cursor);
  const rows = await query.orderBy('delivery.endpoint_id', plan.direction).limit(plan.fetch).execute();
  return toPage(req, rows, (r) => r.id);
}

/** The endpoint as EndpointOut shows it, plus the state of this message's delivery to it. */
export function messageEndpointOut(row: DestinationRow, expandedStatuses: boolean) {
  return {
    ...endpointOut(row),
    ...statusFields(row.delivery_status, expandedStatuses),
    nextAttempt: iso(row.next_attempt_at),
  };
}
