/** `herald migrate`: applies the pending database migrations and says which. */
import { DATABASE_ENV, helpEpilogue, type Register } from '../command.js';

/** Adds `migrate`. */
export const registerMigrateCommand: Register = (program, cli) => {
  program
    .command('migrate')
    .description('apply the pending database migrations, say which, and exit')
    .addHelpText(
      'after',
      helpEpilogue(
        [...DATABASE_ENV, 'HERALD_ADMIN_TOKEN'],
        ['npx herald migrate', 'HERALD_DATABASE_URL=postgres://herald@db:5432/herald npx herald migrate'],
        'Safe to run while other processes start (PostgreSQL takes an advisory lock). On a new database it\n' +
          'also creates the first admin token (never overwriting an existing admin-token file).',
      ),
    )
    .action(async () => {
      const [{ loadConfig }, { createRuntime }, { announceAdminToken }] = await Promise.all([
        import('../../config/index.js'),
        import('../runtime.js'),
        import('../serve.js'),
      ]);
      const runtime = await createRuntime(cli.io.config ?? loadConfig(), { role: 'migrate' });
      await runtime.close();
      const { appliedMigrations: applied } = runtime;
      cli.io.stdout.write(
        applied.length === 0
          ? 'herald: database already up to date\n'
          : `herald: applied ${applied.length} migration${applied.length === 1 ? '' : 's'}: ${applied.join(', ')}\n`,
      );
      announceAdminToken(runtime, (line) => cli.io.stdout.write(line));
      cli.exit(0);
    });
};
