import type { FastifyRequest } from 'fastify';
import type { Kysely, Selectable } from 'kysely';
import type { HeraldContext } from '../../context.js';
import { notFound } from '../../errors.js';
import { retryOnContention } from '../../store/faults.js';
import type { Database, EndpointTable } from '../../store/schema.js';
import { resolveApplication } from '../application/access.js';
import type { ApplicationRow } from '../application/repo.js';
import { fromJson, iso } from '../common/json.js';
import { type PageRequest, pageQueryPlan, toPage } from '../common/pagination.js';

export type EndpointRow = Selectable<EndpointTable>;

/** Custom header names whose values are credentials: never shown back, never logged. */
export const SENSITIVE_HEADER = /signature|auth|token|secret|key|cookie|password|session/i;

/** The API's view of an endpoint, in both the 1.x and 2.x SDK spellings. */
export function endpointOut(row: EndpointRow) {
  const eventTypes = fromJson<string[]>(row.event_types);
  return {
    id: row.id,
    uid: row.uid,
    url: row.url,
    description: row.description,
    disabled: row.disabled === 1,
    disabledReason: row.disabled_reason,
    eventTypes,
    filterTypes: eventTypes,
    channels: fromJson<string[]>(row.channels),
    throttleRate: row.throttle_rate,
    rateLimit: row.throttle_rate,
    metadata: fromJson<Record<string, string>>(row.metadata),
    version: row.version,
    filter: fromJson<Record<string, unknown>>(row.filter),
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
    ordering: row.ordering,
    fifoOnExhausted: row.fifo_on_exhausted,
    fifoBatchSize: row.fifo_batch_size,
  };
}

export function findEndpoint(
  db: Kysely<Database>,
  appId: string,
  idOrUid: string,
): Promise<EndpointRow | undefined> {
  return db
    .selectFrom('endpoint')
    .selectAll()
    .where('app_id', '=', appId)
    .where((eb) => eb.or([eb('id', '=', idOrUid), eb('uid', '=', idOrUid)]))
    .orderBy('id')
    .executeTakeFirst();
}

/** The application and endpoint a request's path names, scoped to the caller. */
export async function resolveEndpoint(
  ctx: HeraldContext,
  request: FastifyRequest,
  appIdOrUid: string,
  endpointIdOrUid: string,
): Promise<{ app: ApplicationRow; endpoint: EndpointRow }> {
  const app = await resolveApplication(ctx, request, appIdOrUid);
  const endpoint = await findEndpoint(ctx.store.db, app.id, endpointIdOrUid);
  if (!endpoint) throw notFound('Endpoint not found.');
  return { app, endpoint };
}

export async function listEndpoints(db: Kysely<Database>, appId: string, req: PageRequest) {
  const plan = pageQueryPlan(req);
  let query = db.selectFrom('endpoint').selectAll().where('app_id', '=', appId);
  if (req.cursor) query = query.where('id', plan.op, req.cursor);
  const rows = await query.orderBy('id', plan.direction).limit(plan.fetch).execute();
  return toPage(req, rows, (r) => r.id);
}

/**
 * Deletes an endpoint; its deliveries go with it (the schema cascades: its row is locked first,
 * then its deliveries), its attempts stay until retention purges them (they have no foreign
 * key). Herald's own writes to deliveries take the endpoint's row first too (a worker's
 * outcomes, the line writes), so they wait rather than deadlock; a deadlock with anything else
 * is tried again.
 */
export async function deleteEndpoint(db: Kysely<Database>, endpointId: string): Promise<void> {
  await retryOnContention(() => db.deleteFrom('endpoint').where('id', '=', endpointId).execute());
}

/** Writes an endpoint's stored custom headers or secrets (already encrypted for storage). */
export async function writeEndpointStored(
  db: Kysely<Database>,
  endpointId: string,
  stored: Partial<Pick<EndpointRow, 'headers' | 'secrets'>>,
  now: number,
): Promise<void> {
  await db
    .updateTable('endpoint')
    .set({ ...stored, updated_at: now })
    .where('id', '=', endpointId)
    .execute();
}
