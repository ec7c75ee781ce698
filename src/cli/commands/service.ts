/**
 * `herald serve | api | worker`: the long-running processes. Each runs until SIGTERM or SIGINT,
 * then finishes the deliveries in flight (up to HERALD_SHUTDOWN_TIMEOUT_MS) and exits 0.
 */
import { type Cli, DATABASE_ENV, helpEpilogue, type Register } from '../command.js';
import type { Role } from '../serve.js';

const HTTP_ENV = ['HERALD_HOST', 'HERALD_PORT', 'HERALD_PUBLIC_URL', 'HERALD_ADMIN_TOKEN'];
const WORKER_ENV = ['HERALD_ALLOWED_NETWORKS', 'HERALD_WORKER_CONCURRENCY', 'HERALD_REQUEST_TIMEOUT_MS'];
const COMMON_ENV = ['HERALD_LOG_LEVEL', 'HERALD_*'];

const ROLES: Record<Role, { summary: string; env: string[]; examples: string[]; note: string }> = {
  serve: {
    summary: 'API, delivery worker and web UI in one process (the default command)',
    env: [...DATABASE_ENV, ...HTTP_ENV, ...WORKER_ENV, ...COMMON_ENV],
    examples: ['npx herald serve', 'HERALD_ALLOWED_NETWORKS=127.0.0.1/32 HERALD_PORT=8040 npx herald serve'],
    note:
      'Migrates the database on start. On a new database it creates an admin token, prints it once and\n' +
      'saves it in HERALD_DATA_DIR/admin-token (an existing file is never overwritten).',
  },
  api: {
    summary: 'the HTTP API and web UI only (run several on PostgreSQL, behind a load balancer)',
    env: [...DATABASE_ENV, ...HTTP_ENV, ...COMMON_ENV],
    examples: ['HERALD_DATABASE_URL=postgres://herald@db:5432/herald HERALD_HOST=0.0.0.0 npx herald api'],
    note: 'Migrates the database on start.',
  },
  worker: {
    summary: 'the delivery worker only (run as many as needed on PostgreSQL)',
    env: [...DATABASE_ENV, ...WORKER_ENV, 'HERALD_METRICS_PORT', ...COMMON_ENV],
    examples: [
      'HERALD_DATABASE_URL=postgres://herald@db:5432/herald HERALD_METRICS_PORT=9464 npx herald worker',
    ],
    note:
      'Never changes the schema: on a database with migrations pending it stops with one line\n' +
      'asking for `herald migrate` (`herald serve` and `herald api` migrate on start).',
  },
};

/** Adds `serve`, `api` and `worker`. */
export const registerServiceCommands: Register = (program, cli) => {
  for (const role of Object.keys(ROLES) as Role[]) {
    const spec = ROLES[role];
    program
      .command(role)
      .description(spec.summary)
      .addHelpText('after', helpEpilogue(spec.env, spec.examples, spec.note))
      .action(async () => {
        cli.exit(await runService(role, cli));
      });
  }
};

async function runService(role: Role, cli: Cli): Promise<number> {
  const [{ loadConfig }, { startHerald }] = await Promise.all([
    import('../../config/index.js'),
    import('../serve.js'),
  ]);
  const { stdout, stderr } = cli.io;
  const running = await startHerald(role, cli.io.config ?? loadConfig(), (line) => stdout.write(line));
  return new Promise<number>((resolve) => {
    const end = (code: number) => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      running.stop().then(
        () => resolve(code),
        (err) => {
          stderr.write(`herald: shutdown failed: ${(err as Error).message}\n`);
          resolve(code);
        },
      );
    };
    const onSignal = (signal: NodeJS.Signals) => {
      stderr.write(`herald: ${signal} received, finishing in-flight deliveries\n`);
      end(0);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    // Without its worker the process would take messages it never delivers: it ends, so a
    // supervisor restarts it.
    running.failed.catch((err: Error) => {
      stderr.write(`herald: the delivery worker stopped: ${err.message}; shutting down\n`);
      end(1);
    });
  });
}
