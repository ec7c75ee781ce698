#!/usr/bin/env node
import { ConfigError, loadConfig } from '../config/index.js';
import { MainSecretConfigError } from '../signing/main-key.js';
import { StoreUnavailableError } from '../store/open.js';
import { createRuntime } from './runtime.js';
import { startHerald } from './serve.js';

const USAGE = `Usage: herald <command>

Commands:
  serve                 API, worker and UI in one process (the default)
  api                   the HTTP API only (scale out on PostgreSQL)
  worker                the delivery worker only (scale out on PostgreSQL)
  migrate               apply database migrations and exit
  verify                verify a signed webhook (see herald verify --help)
  secrets generate-main-key | rotate-main-key
  event-types import FILE | export [FILE]

Configuration comes from HERALD_* environment variables (see the README).`;

async function main(argv: string[]): Promise<number> {
  const [command = 'serve', ...rest] = argv;
  switch (command) {
    case 'serve':
    case 'api':
    case 'worker': {
      const running = await startHerald(command, loadConfig(), (line) => process.stdout.write(line));
      await new Promise<void>((resolve) => {
        const onSignal = (signal: NodeJS.Signals) => {
          process.off('SIGTERM', onSignal);
          process.off('SIGINT', onSignal);
          process.stderr.write(`herald: ${signal} received, finishing in-flight deliveries\n`);
          running.stop().then(resolve, (err) => {
            process.stderr.write(`herald: shutdown failed: ${(err as Error).message}\n`);
            resolve();
          });
        };
        process.on('SIGTERM', onSignal);
        process.on('SIGINT', onSignal);
      });
      return 0;
    }
    case 'migrate': {
      const runtime = await createRuntime(loadConfig(), { role: 'migrate' });
      await runtime.close();
      process.stdout.write('herald: database is up to date\n');
      return 0;
    }
    case 'verify': {
      const { runVerifyCommand } = await import('./commands/verify.js');
      return runVerifyCommand(rest, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr });
    }
    case 'secrets': {
      const { runSecretsCommand } = await import('./commands/secrets.js');
      return runSecretsCommand(rest);
    }
    case 'event-types': {
      const { runEventTypesCommand } = await import('./commands/event-types.js');
      return runEventTypesCommand(rest);
    }
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(`${USAGE}\n`);
      return 0;
    default:
      process.stderr.write(`herald: unknown command "${command}"\n\n${USAGE}\n`);
      return 2;
  }
}

/** Start-up failures the operator can fix: one clear line, no stack trace. */
function explain(err: unknown): string | null {
  if (
    err instanceof ConfigError ||
    err instanceof MainSecretConfigError ||
    err instanceof StoreUnavailableError
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

main(process.argv.slice(2)).then(
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
