import type { Kysely, Migration, MigrationProvider } from 'kysely';
import * as m0001 from './0001_initial.js';

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
