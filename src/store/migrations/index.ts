import type { Kysely, Migration, MigrationProvider } from 'kysely';
import * as m0001 from './0001_initial.js';
import * as m0002 from './0002_delivery_by_endpoint.js';
import * as m0003 from './0003_background_task_lease.js';
import * as m0004 from './0004_message_request_id.js';
import * as m0006 from './0006_fair_claim.js';

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
  '0006_fair_claim': m0006,
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
