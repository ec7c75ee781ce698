import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { databaseLabel, GeneratedFileExistsError } from '../../src/cli/bootstrap.js';
import { runCommands } from '../../src/cli/command.js';
import { registerMigrateCommand } from '../../src/cli/commands/migrate.js';
import { loadConfig } from '../../src/config/index.js';
import { MIGRATION_NAMES } from '../../src/store/migrations/index.js';
import { expectOneClearLine, runHerald } from '../support/process.js';

/** `herald migrate` in-process (the child-process path is the worker test's and startup.test.ts's). */
async function migrate(env: Record<string, string>) {
  const stdout = new PassThrough();
  const chunks: Buffer[] = [];
  stdout.on('data', (c: Buffer) => chunks.push(c));
  const code = await runCommands([registerMigrateCommand], ['migrate'], {
    stdin: Readable.from([]),
    stdout,
    stderr: stdout,
    config: loadConfig({ env }),
  });
  return { code, stdout: Buffer.concat(chunks).toString() };
}

describe('first run: migrate, the admin token file, a worker on a new database', () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'herald-first-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const envFor = (dir: string, db: string) => ({
    HERALD_DATA_DIR: join(dir, 'data'),
    HERALD_DATABASE_URL: `sqlite:${join(dir, db)}`,
    HERALD_LOG_LEVEL: 'warn',
  });

  it('says which migrations it applied, then that the database is already up to date', async () => {
    const env = envFor(tempDir(), 'a.db');
    const first = await migrate(env);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(
      `herald: applied ${MIGRATION_NAMES.length} migrations: ${MIGRATION_NAMES.join(', ')}\n`,
    );
    const second = await migrate(env);
    expect(second.code).toBe(0);
    expect(second.stdout).toBe('herald: database already up to date\n');
  });

  it("never overwrites another database's admin-token: the new one goes beside it, named after its database", async () => {
    const dir = tempDir();
    const tokenFile = join(dir, 'data', 'admin-token');
    const a = await migrate(envFor(dir, 'a.db'));
    expect(a.code).toBe(0);
    const tokenA = readFileSync(tokenFile, 'utf8');
    expect(a.stdout).toContain(tokenA.trim());

    const b = await migrate(envFor(dir, 'b.db'));
    expect(b.code).toBe(0);
    expect(readFileSync(tokenFile, 'utf8')).toBe(tokenA);
    const fileB = `${tokenFile}.${databaseLabel(`sqlite:${join(dir, 'b.db')}`)}`;
    expect(fileB).toMatch(/admin-token\.[\w.-]*b\.db$/);
    const tokenB = readFileSync(fileB, 'utf8').trim();
    expect(tokenB).toMatch(/^sk_herald_/);
    expect(tokenB).not.toBe(tokenA.trim());
    expect(b.stdout).toContain(`a copy is in ${fileB}`);
  });

  it('refuses with one line, and writes nothing, when the file for the new token exists too', async () => {
    const dir = tempDir();
    expect((await migrate(envFor(dir, 'a.db'))).code).toBe(0);
    const taken = `${join(dir, 'data', 'admin-token')}.${databaseLabel(`sqlite:${join(dir, 'c.db')}`)}`;
    writeFileSync(taken, 'kept\n');
    const refused = migrate(envFor(dir, 'c.db'));
    await expect(refused).rejects.toThrow(GeneratedFileExistsError);
    await expect(refused).rejects.toThrow(/admin-token\..*c\.db already exists and was not overwritten/);
    // The schema did change, and the one line says so.
    await expect(refused).rejects.toThrow(
      new RegExp(`the database was migrated first: applied ${MIGRATION_NAMES.length} migrations\\)$`),
    );
    expect(readFileSync(taken, 'utf8')).toBe('kept\n');
    // Run again (nothing left to migrate), the refusal is the plain one.
    await expect(migrate(envFor(dir, 'c.db'))).rejects.toThrow(
      /not overwritten; move it away .*of [\w.-]*c\.db$/,
    );
  });

  it('stops a worker on a never-migrated database with one line asking for herald migrate, changing nothing', {
    timeout: 60_000,
  }, async () => {
    const dir = tempDir();
    const env = envFor(dir, 'w.db');
    const worker = await runHerald(['worker'], env);
    expect(worker.code).toBe(1);
    expectOneClearLine(
      worker.output,
      new RegExp(
        `the database is not migrated \\(${MIGRATION_NAMES.length} pending: 0001_initial.*run \`herald migrate\``,
      ),
    );
    // No file left behind: no empty database, no data directory, no main key generated.
    expect(readdirSync(dir)).toEqual([]);
    // Nothing was applied by the worker: every migration is still there to apply.
    const afterwards = await migrate(env);
    expect(afterwards.stdout).toContain(`applied ${MIGRATION_NAMES.length} migrations`);
  });
});
