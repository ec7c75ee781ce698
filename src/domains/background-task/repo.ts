import { type Kysely, type Selectable, sql } from 'kysely';
import { newId } from '../../core/ids.js';
import type { BackgroundTaskTable, Database } from '../../store/schema.js';
import { iso } from '../common/json.js';
import { type PageRequest, pageQueryPlan, toPage } from '../common/pagination.js';
import type { TaskStatus, TaskType } from './schemas.js';

export type TaskRow = Selectable<BackgroundTaskTable>;

/**
 * A task's progress, kept in its `data` column and shown as-is in `BackgroundTaskOut.data`.
 * `processed` of `total` candidates have been examined: the endpoint's deliveries in the
 * window (failed ones for recover, those the filters' query selects for bulk-replay), or
 * for replay-missing the application's messages in the window the endpoint never had;
 * `count` deliveries were queued, or would be for a dry run.
 */
export interface TaskData {
  processed: number;
  total: number | null;
  count: number;
  dryRun?: boolean;
  error?: string;
}

/** The API's view of a task (Svix's BackgroundTaskOut). */
export function taskOut(row: TaskRow) {
  return {
    id: row.id,
    status: row.status as TaskStatus,
    task: row.task as TaskType,
    data: JSON.parse(row.data) as Record<string, unknown>,
    updatedAt: iso(row.updated_at),
  };
}

/** Writes a new task. A `running` task is picked up by a runner; a `finished` one is a record. */
export async function insertTask(
  db: Kysely<Database>,
  fields: {
    task: TaskType;
    appId: string;
    endpointId: string;
    params: object;
    status: TaskStatus;
    data: TaskData;
  },
  now: number,
): Promise<TaskRow> {
  const row: TaskRow = {
    id: newId('qtask', now),
    task: fields.task,
    status: fields.status,
    app_id: fields.appId,
    endpoint_id: fields.endpointId,
    params: JSON.stringify(fields.params),
    data: JSON.stringify(fields.data),
    created_at: now,
    updated_at: now,
    lease_owner: null,
    lease_until: null,
    cursor: null,
  };
  await db.insertInto('background_task').values(row).execute();
  return row;
}

/** A task by id, only within `appId` when the caller is scoped to one application. */
export function findTask(
  db: Kysely<Database>,
  id: string,
  appId: string | null,
): Promise<TaskRow | undefined> {
  let query = db.selectFrom('background_task').selectAll().where('id', '=', id);
  if (appId !== null) query = query.where('app_id', '=', appId);
  return query.executeTakeFirst();
}

/** One page of tasks, newest first unless asked otherwise. */
export async function listTasks(
  db: Kysely<Database>,
  req: PageRequest,
  filters: { appId: string | null; status?: TaskStatus | null; task?: TaskType | null },
) {
  const plan = pageQueryPlan(req);
  let query = db.selectFrom('background_task').selectAll();
  if (filters.appId !== null) query = query.where('app_id', '=', filters.appId);
  if (filters.status) query = query.where('status', '=', filters.status);
  if (filters.task) query = query.where('task', '=', filters.task);
  if (req.cursor) query = query.where('id', plan.op, req.cursor);
  const rows = await query.orderBy('id', plan.direction).limit(plan.fetch).execute();
  return toPage(req, rows, (r) => r.id);
}

/** Running tasks whose lease is free or expired, oldest first, leaving out `excluding`. */
export function claimableTasks(
  db: Kysely<Database>,
  now: number,
  excluding: string[],
  limit: number,
): Promise<TaskRow[]> {
  let query = db
    .selectFrom('background_task')
    .selectAll()
    // A literal, so SQLite can use the partial index on running tasks.
    .where('status', '=', sql.lit('running'))
    .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]));
  if (excluding.length > 0) query = query.where('id', 'not in', excluding);
  return query.orderBy('id').limit(limit).execute();
}

/**
 * Takes a task's lease if it is still free or expired: a conditional update, so on
 * PostgreSQL exactly one process wins. True when this owner got it.
 */
export async function leaseTask(
  db: Kysely<Database>,
  id: string,
  owner: string,
  now: number,
  leaseUntil: number,
): Promise<boolean> {
  const result = await db
    .updateTable('background_task')
    .set({ lease_owner: owner, lease_until: leaseUntil })
    .where('id', '=', id)
    .where('status', '=', 'running')
    .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Extends a task's lease; false when `owner` no longer holds it (another runner took it). */
export async function renewTaskLease(
  db: Kysely<Database>,
  id: string,
  owner: string,
  leaseUntil: number,
): Promise<boolean> {
  const result = await db
    .updateTable('background_task')
    .set({ lease_until: leaseUntil })
    .where('id', '=', id)
    .where('lease_owner', '=', owner)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Gives back every running task `owner` holds, so another process resumes them at once. */
export async function releaseTaskLeases(db: Kysely<Database>, owner: string): Promise<void> {
  await db
    .updateTable('background_task')
    .set({ lease_owner: null, lease_until: null })
    .where('lease_owner', '=', owner)
    .where('status', '=', 'running')
    .execute();
}
