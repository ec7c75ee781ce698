import type { Kysely, Selectable } from 'kysely';
import { newId } from '../../core/ids.js';
import { conflict } from '../../errors.js';
import { retryOnContention } from '../../store/faults.js';
import type { ApplicationTable, Database } from '../../store/schema.js';
import { fromJson, iso, toJson } from '../common/json.js';
import { type PageRequest, pageQueryPlan, toPage } from '../common/pagination.js';
import { isUniqueViolation } from '../common/sql-errors.js';

export type ApplicationRow = Selectable<ApplicationTable>;

export interface ApplicationFields {
  name: string;
  uid?: string | null;
  throttleRate?: number | null;
  /** The deprecated spelling of `throttleRate`; read when `throttleRate` is absent. */
  rateLimit?: number | null;
  metadata?: Record<string, string>;
}

/** The API's view of an application (Svix's ApplicationOut). */
export function applicationOut(row: ApplicationRow) {
  return {
    id: row.id,
    uid: row.uid,
    name: row.name,
    throttleRate: row.throttle_rate,
    rateLimit: row.throttle_rate,
    metadata: fromJson<Record<string, string>>(row.metadata),
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

/** Finds an application by its id or by the uid the platform chose. */
export function findApplication(db: Kysely<Database>, idOrUid: string): Promise<ApplicationRow | undefined> {
  return db
    .selectFrom('application')
    .selectAll()
    .where((eb) => eb.or([eb('id', '=', idOrUid), eb('uid', '=', idOrUid)]))
    .orderBy('id')
    .executeTakeFirst();
}

export async function insertApplication(
  db: Kysely<Database>,
  fields: ApplicationFields,
  now: number,
): Promise<ApplicationRow> {
  const row: ApplicationRow = {
    id: newId('app', now),
    uid: fields.uid ?? null,
    name: fields.name,
    throttle_rate: fields.throttleRate ?? fields.rateLimit ?? null,
    metadata: toJson(fields.metadata ?? {}),
    created_at: now,
    updated_at: now,
  };
  try {
    await db.insertInto('application').values(row).execute();
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict('An application with this uid already exists.');
    throw err;
  }
  return row;
}

export async function updateApplication(
  db: Kysely<Database>,
  row: ApplicationRow,
  fields: Partial<ApplicationFields>,
  now: number,
): Promise<ApplicationRow> {
  const rate = fields.throttleRate !== undefined ? fields.throttleRate : fields.rateLimit;
  const next: ApplicationRow = {
    ...row,
    name: fields.name ?? row.name,
    uid: fields.uid === undefined ? row.uid : fields.uid,
    // A rate of 0 (PATCH allows it, as Svix does) means none.
    throttle_rate: rate === undefined ? row.throttle_rate : rate || null,
    metadata: fields.metadata === undefined ? row.metadata : toJson(fields.metadata),
    updated_at: now,
  };
  try {
    await db.updateTable('application').set(next).where('id', '=', row.id).execute();
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict('An application with this uid already exists.');
    throw err;
  }
  return next;
}

/**
 * Deletes an application; its endpoints, messages and deliveries go with it (the schema
 * cascades), tried again if it deadlocks, as an endpoint's delete.
 */
export async function deleteApplication(db: Kysely<Database>, appId: string): Promise<void> {
  await retryOnContention(() => db.deleteFrom('application').where('id', '=', appId).execute());
}

export async function listApplications(
  db: Kysely<Database>,
  req: PageRequest,
  filters: { excludeWithoutEndpoints?: boolean; excludeWithOnlyDisabledEndpoints?: boolean; appId?: string },
) {
  const plan = pageQueryPlan(req);
  let query = db.selectFrom('application').selectAll('application');
  if (req.cursor) query = query.where('id', plan.op, req.cursor);
  if (filters.appId) query = query.where('id', '=', filters.appId);
  if (filters.excludeWithoutEndpoints) {
    query = query.where((eb) =>
      eb.exists(
        eb.selectFrom('endpoint').select('endpoint.id').whereRef('endpoint.app_id', '=', 'application.id'),
      ),
    );
  }
  if (filters.excludeWithOnlyDisabledEndpoints) {
    query = query.where((eb) =>
      eb.or([
        eb.not(
          eb.exists(
            eb
              .selectFrom('endpoint')
              .select('endpoint.id')
              .whereRef('endpoint.app_id', '=', 'application.id'),
          ),
        ),
        eb.exists(
          eb
            .selectFrom('endpoint')
            .select('endpoint.id')
            .whereRef('endpoint.app_id', '=', 'application.id')
            .where('endpoint.disabled', '=', 0),
        ),
      ]),
    );
  }
  const rows = await query.orderBy('id', plan.direction).limit(plan.fetch).execute();
  return toPage(req, rows, (r) => r.id);
}
