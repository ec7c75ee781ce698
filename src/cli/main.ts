#!/usr/bin/env node
import { ConfigError } from '../config/index.js';
import { MainSecretConfigError } from '../signing/main-key.js';
import { StoreUnavailableError } from '../store/open.js';
import { VERSION } from '../version.js';
import { GeneratedFileExistsError } from './bootstrap.js';
import { helpEpilogue, runCommands } from './command.js';
import { registerEventTypesCommand } from './commands/event-types.js';
import { registerMigrateCommand } from './commands/migrate.js';
import { registerSecretsCommand } from './commands/secrets.js';
import { registerServiceCommands } from './commands/service.js';
import { registerVerifyCommand } from './commands/verify.js';
import { MigrationsPendingError } from './runtime.js';

/** Every `herald` command, in the order `herald --help` lists them. */
const COMMANDS = [
  registerServiceCommands,
  registerMigrateCommand,
  registerVerifyCommand,
  registerSecretsCommand,
  registerEventTypesCommand,
  (program: import('commander').Command) => {
    program
      .description('Herald: self-hosted webhook delivery, wire-compatible with the Svix API')
      .addHelpText(
        'after',
        helpEpilogue(
          ['HERALD_DATABASE_URL', 'HERALD_PORT', 'HERALD_CONFIG', 'HERALD_*'],
          [
            'npx herald                # same as herald serve',
            'npx herald serve --help',
            'npx herald --version',
          ],
          "Run `herald <command> --help` for a command's options, environment variables and examples.",
        ),
      );
  },
];

/** Start-up failures the operator can fix: one clear line, no stack trace. */
function explain(err: unknown): string | null {
  if (
    err instanceof ConfigError ||
    err instanceof MainSecretConfigError ||
    err instanceof StoreUnavailableError ||
    err instanceof GeneratedFileExistsError ||
    err instanceof MigrationsPendingError
  )
    return err.message;
  const e = err as NodeJS.ErrnoException & { address?: string; port?: number };
  if (e?.code === 'EADDRINUSE')
    return `port ${e.port ?? ''} on ${e.address ?? ''} is already in use (set HERALD_PORT)`;
  if (e?.code === 'EACCES' && e.syscall === 'listen')
    return `no permission to listen on port ${e.port ?? ''} (set HERALD_PORT)`;
  if (e?.code === 'ECONNREFUSED' || e?.code === 'ENOTFOUND') return `cannot reach the database: ${e.message}`;
  return null;
}

// `npx herald --help | head` closes the pipe early: that is not an error worth a stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

// `herald` alone is `herald serve` (the quick start); any other word must name a command.
const argv = process.argv.length > 2 ? process.argv.slice(2) : ['serve'];
runCommands(
  COMMANDS,
  argv,
  { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr },
  VERSION,
).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    const line = explain(err);
    process.stderr.write(
      line ? `herald: ${line}\n` : `herald: unexpected error: ${(err as Error)?.stack ?? String(err)}\n`,
    );
    process.exitCode = 1;
  },
);
