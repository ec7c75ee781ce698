import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { isStale, SERVER_BUILD } from '../scripts/build-state.mjs';
import { browserSkipReason } from './ui/chromium.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * The tests that run `herald` as a child process (crash, fault and CLI tests) run the built
 * CLI, `dist/cli/main.js`, as `npm start` and `npx herald` do: through tsx, each start took
 * 1.5-2 s longer. So the suite builds first when a source changed since the last build.
 */
function buildIfChanged(): void {
  if (!isStale(ROOT, SERVER_BUILD.inputs, SERVER_BUILD.output)) return;
  console.warn('test setup: sources changed since the last build; compiling (npm run build)');
  const build = spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0)
    throw new Error(`npm run build failed, so the CLI tests cannot run:\n${build.stdout}${build.stderr}`);
}

/**
 * Runs once before the suite: finds out whether PostgreSQL is reachable so that the
 * PostgreSQL half of every backend test runs. When it is not, the suite says so loudly
 * instead of passing quietly on SQLite alone.
 */
export default async function globalSetup({ provide }: { provide: (key: string, value: unknown) => void }) {
  buildIfChanged();
  const noBrowser = browserSkipReason();
  if (noBrowser) {
    const line = '!'.repeat(78);
    console.warn(
      `\n${line}\n!! ${noBrowser}.\n` +
        `!! The browser tests (test/ui/*.e2e.test.ts) are SKIPPED. With CI=true they run, and fail without it.\n${line}\n`,
    );
  }
  const url = process.env.HERALD_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    provide('postgresUrl', url);
  } catch (err) {
    const line = '!'.repeat(78);
    console.warn(
      `\n${line}\n!! PostgreSQL is NOT reachable at ${url}: (${(err as Error).message})\n` +
        `!! The PostgreSQL half of the suite is SKIPPED. Set HERALD_TEST_POSTGRES_URL or start PostgreSQL.\n${line}\n`,
    );
    provide('postgresUrl', '');
  } finally {
    await client.end().catch(() => {});
  }
}
