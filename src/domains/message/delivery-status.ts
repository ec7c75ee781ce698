import { type Kysely, type SelectQueryBuilder, type SqlBool, sql } from 'kysely';
import { type Database, STATUS } from '../../store/schema.js';
import { type Page, type PageRequest, pageQueryPlan, toPage } from '../common/pagination.js';
import {
  idRange,
  listMessages,
  MESSAGE_META_COLUMNS,
  type MessageFilters,
  type MessageRow,
  payloadColumn,
  type TimeRange,
  whereMessageMatches,
} from './repo.js';

/**
 * Herald's summary of a message's deliveries across its endpoints, most urgent first:
 * `exhausted` (a delivery gave up after its last retry), `failing` (a delivery failed and
 * is being retried), `pending` (a delivery not tried yet), `succeeded` (every delivery
 * succeeded or was canceled). A message no endpoint subscribed to has none (null).
 */
export const DELIVERY_STATES = ['exhausted', 'failing', 'pending', 'succeeded'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

export interface DeliverySummary {
  deliveryStatus: DeliveryState | null;
  deliveries: Record<DeliveryState, number>;
}

const NO_DELIVERIES: DeliverySummary = {
  deliveryStatus: null,
  deliveries: { exhausted: 0, failing: 0, pending: 0, succeeded: 0 },
};

const OWED = [STATUS.pending, STATUS.sending];

/**
 * The summaries of these messages: one grouped read of their deliveries through the
 * (msg_id, endpoint_id) unique index, so a page costs its own deliveries only.
 */
export async function deliverySummaries(
  db: Kysely<Database>,
  msgIds: string[],
): Promise<Map<string, DeliverySummary>> {
  if (msgIds.length === 0) return new Map();
  const count = (condition: ReturnType<typeof sql>) =>
    sql<number>`coalesce(sum(case when ${condition} then 1 else 0 end), 0)`;
  const owed = sql`status in (${sql.join(OWED)})`;
  const rows = await db
    .selectFrom('delivery')
    .select([
      'msg_id',
      count(sql`status = ${STATUS.fail}`).as('exhausted'),
      count(sql`${owed} and attempt_count > 0`).as('failing'),
      count(sql`${owed} and attempt_count = 0`).as('pending'),
      count(sql`status in (${STATUS.success}, ${STATUS.canceled})`).as('succeeded'),
    ])
    .where('msg_id', 'in', [...new Set(msgIds)])
    .groupBy('msg_id')
    .execute();
  const out = new Map<string, DeliverySummary>();
  for (const row of rows) {
    const deliveries = {
      exhausted: Number(row.exhausted),
      failing: Number(row.failing),
      pending: Number(row.pending),
      succeeded: Number(row.succeeded),
    };
    const deliveryStatus = DELIVERY_STATES.find((state) => deliveries[state] > 0) ?? null;
    out.set(row.msg_id, { deliveryStatus, deliveries });
  }
  return out;
}

export function summaryOf(summaries: Map<string, DeliverySummary>, msgId: string): DeliverySummary {
  return summaries.get(msgId) ?? NO_DELIVERIES;
}

type ListFilters = MessageFilters & { range: TimeRange; withContent: boolean; deliveryStatus: DeliveryState };

/** Endpoints per statement when a list is merged from each endpoint's index range. */
const ENDPOINTS_PER_QUERY = 100;

/**
 * One page of an application's messages with a delivery in `deliveryStatus` (for
 * `succeeded`: whose deliveries all succeeded), newest first.
 *
 * Exhausted, failing and pending rows are found through the (endpoint_id, status, msg_id)
 * index, one range per endpoint of the application, each cut at the page size and merged:
 * a page reads at most (endpoints × page) index entries of those states, whatever the
 * history, and needs no index of its own on the delivery table (the worker's hot path
 * updates that table on every outcome). Failing and pending are told apart by the attempt
 * count, read only on rows still owed, which the backlog bounds.
 *
 * Succeeded walks the messages' (app_id, id) index and keeps those with no delivery owed
 * or exhausted: most history is succeeded, so the walk stops soon after the page fills.
 */
export async function listMessagesByDeliveryStatus(
  db: Kysely<Database>,
  appId: string,
  req: PageRequest,
  filters: ListFilters,
): Promise<Page<MessageRow>> {
  if (filters.deliveryStatus === 'succeeded') return listMessages(db, appId, req, filters, ALL_SUCCEEDED);
  const plan = pageQueryPlan(req);
  const endpoints = await db.selectFrom('endpoint').select('id').where('app_id', '=', appId).execute();
  const statuses = filters.deliveryStatus === 'exhausted' ? [STATUS.fail] : OWED;
  const found = new Set<string>();
  for (let i = 0; i < endpoints.length; i += ENDPOINTS_PER_QUERY) {
    const ranges = endpoints
      .slice(i, i + ENDPOINTS_PER_QUERY)
      .flatMap(({ id }) => statuses.map((status) => endpointRange(db, id, status, req, filters)));
    const [first, ...rest] = ranges;
    if (!first) continue;
    const union = rest.reduce((q, r) => q.unionAll(r), first);
    for (const row of await union.execute()) found.add(row.msg_id);
  }
  const ids = [...found].sort();
  if (plan.direction === 'desc') ids.reverse();
  const pageIds = ids.slice(0, plan.fetch);
  if (pageIds.length === 0) return toPage(req, [], (r: MessageRow) => r.id);
  const rows = await db
    .selectFrom('message')
    .select([...MESSAGE_META_COLUMNS, payloadColumn(filters.withContent)])
    .where('message.id', 'in', pageIds)
    .orderBy('message.id', plan.direction)
    .execute();
  return toPage(req, rows, (r) => r.id);
}

/**
 * One endpoint's deliveries in one status, as a page-sized range of its
 * (endpoint_id, status, msg_id) index, wrapped so it can be a member of a UNION ALL
 * (SQLite allows no LIMIT on a compound member itself).
 */
function endpointRange(
  db: Kysely<Database>,
  endpointId: string,
  status: number,
  req: PageRequest,
  filters: ListFilters,
): SelectQueryBuilder<Database, never, { msg_id: string }> {
  const plan = pageQueryPlan(req);
  const bounds = idRange('msg', filters.range);
  let inner = db
    .selectFrom('delivery')
    .innerJoin('message', 'message.id', 'delivery.msg_id')
    .select('delivery.msg_id')
    .where('delivery.endpoint_id', '=', endpointId)
    .where('delivery.status', '=', status);
  if (filters.deliveryStatus === 'failing') inner = inner.where('delivery.attempt_count', '>', 0);
  if (filters.deliveryStatus === 'pending') inner = inner.where('delivery.attempt_count', '=', 0);
  if (req.cursor) inner = inner.where('delivery.msg_id', plan.op, req.cursor);
  if (bounds.below) inner = inner.where('delivery.msg_id', '<', bounds.below);
  if (bounds.from) inner = inner.where('delivery.msg_id', '>=', bounds.from);
  const limited = whereMessageMatches(inner, filters)
    .orderBy('delivery.msg_id', plan.direction)
    .limit(plan.fetch);
  return db.selectFrom(limited.as(`r_${endpointId}_${status}`)).select('msg_id') as never;
}

/** No delivery owed or exhausted, and at least one delivery: tested per message on (msg_id, endpoint_id). */
const ALL_SUCCEEDED = sql<SqlBool>`not exists (
  select 1 from delivery where delivery.msg_id = message.id and delivery.status in (${sql.join([...OWED, STATUS.fail])})
) and exists (select 1 from delivery where delivery.msg_id = message.id)`;
