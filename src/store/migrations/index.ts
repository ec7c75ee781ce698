import type { Kysely, Migration, MigrationInfo, MigrationProvider, MigrationResult } from 'kysely';
import * as m0001 from './0001_initial.js';
import * as m0002 from './0002_delivery_by_endpoint.js';
import * as m0003 from './0003_background_task_lease.js';
import * as m0004 from './0004_message_request_id.js';
import * as m0005 from './0005_worker_heartbeat.js';
import * as m0006 from './0006_fair_claim.js';
import * as m0007 from './0007_endpoint_version.js';
import * as m0008 from './0008_endpoint_filter.js';
import * as m0009 from './0009_ordered_delivery.js';

export interface MigrationContext {
  dialect: 'sqlite' | 'postgres';
}

type MigrationModule = { up(db: Kysely<unknown>, ctx: MigrationContext): Promise<void> };

/**
 * Numbered migrations, applied in order on both backends. Each is written once with
 * Kysely's schema builder; where the dialects differ a migration branches on `ctx.dialect`.
 */
const MIGRATIONS: Record<string, MigrationModule> = {
  '0001_initial': m0001,
  '0002_delivery_by_endpoint': m0002,
  '0003_background_task_lease': m0003,
  '0004_message_request_id': m0004,
  '0005_worker_heartbeat': m0005,
  '0006_fair_claim': m0006,
  '0007_endpoint_version': m0007,
  '0008_endpoint_filter': m0008,
  '0009_ordered_delivery': m0009,
};

export function migrationProvider(ctx: MigrationContext): MigrationProvider {
  return {
    async getMigrations() {
      const out: Record<string, Migration> = {};
      for (const [name, mod] of Object.entries(MIGRATIONS)) out[name] = { up: (db) => mod.up(db, ctx) };
      return out;
    },
  };
}

/** Every migration's name, oldest first: all of them are pending on an empty database. */
export const MIGRATION_NAMES: readonly string[] = Object.keys(MIGRATIONS);

/** The names of the migrations a `migrateToLatest()` applied, oldest first. */
export function appliedNames(results: MigrationResult[] | undefined): string[] {
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** The names of the migrations `getMigrations()` reports as not yet applied, oldest first. */
export function pendingNames(migrations: readonly MigrationInfo[]): string[] {
  return migrations.filter((m) => m.executedAt === undefined).map((m) => m.name);
}
