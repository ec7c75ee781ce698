import { existsSync } from 'node:fs';
import type { Config } from '../config/index.js';
import type { HeraldContext } from '../context.js';
import { createNetworkPolicy, type NetworkPolicy } from '../core/net/network-policy.js';
import { createDeliveryClient, type DeliveryClient } from '../delivery/http-client.js';
import { NO_OPERATIONAL_EVENTS, OperationalWebhookSender } from '../delivery/operational/sender.js';
import { newApplicationCache } from '../domains/application/access.js';
import { newTokenCache } from '../domains/auth/repo.js';
import { TaskWakeups } from '../domains/background-task/wakeups.js';
import { PublishCatalog } from '../domains/event-type/publish-check.js';
import { Outbox } from '../domains/message/outbox.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { createMetrics } from '../observability/metrics.js';
import { MIGRATION_NAMES } from '../store/migrations/index.js';
import { openStore } from '../store/open.js';
import { USER_AGENT } from '../version.js';
import { ensureAdminToken, GeneratedFileExistsError, loadKeyring } from './bootstrap.js';

export interface Runtime {
  ctx: HeraldContext;
  /** The outbound HTTP client (SSRF guard included) for deliveries and operational webhooks. */
  client: DeliveryClient;
  /** Shown once on first start; null otherwise. */
  createdAdminToken: { token: string; file: string } | null;
  /** The migrations this start applied, oldest first (empty when there were none, or with `migrate: false`). */
  appliedMigrations: string[];
  close(): Promise<void>;
}

/** The database has migrations this process may not apply itself (a worker): one line says what to run. */
export class MigrationsPendingError extends Error {
  constructor(pending: readonly string[]) {
    super(
      `the database is not migrated (${pending.length} pending: ${pending.join(', ')}): run \`herald migrate\` first ` +
        '(`herald serve` and `herald api` migrate on start)',
    );
  }
}

/**
 * Builds the shared context from a loaded config: opens (and by default migrates) the
 * store, loads the main key, and makes the first admin token when there is none. With
 * `migrate: false` (a worker) a database with migrations pending is refused, not changed.
 */
export async function createRuntime(
  config: Readonly<Config>,
  options: {
    migrate?: boolean;
    logger?: Logger;
    processMetrics?: boolean;
    now?: () => number;
    /** What this process is, for the database's view of its connections (`herald:worker:PID`). */
    role?: string;
    /** SQLite: the write lock shared with another thread on the same file (`herald serve`). */
    sqliteWriteLock?: SharedArrayBuffer;
    /**
     * False in `herald serve`'s worker thread: the API thread says when the database goes down
     * and comes back, once for the process (both threads see the same file).
     */
    logStoreOutages?: boolean;
  } = {},
): Promise<Runtime> {
  const migrate = options.migrate ?? true;
  // A worker refused for an unmigrated database leaves nothing behind: no empty SQLite file, and
  // no main key generated (the first `herald migrate` or `serve` makes it).
  if (!migrate && isMissingSqliteFile(config.databaseUrl)) throw new MigrationsPendingError(MIGRATION_NAMES);
  const logger = options.logger ?? createLogger(config.logLevel);
  const early = migrate ? loadKeyring(config) : null;
  const store = await openStore(config, {
    applicationName: `herald:${options.role ?? 'process'}:${process.pid}`,
    sqliteWriteLock: options.sqliteWriteLock,
  });
  if (options.logStoreOutages ?? true) store.health.setLogger(logger);
  const networkPolicy = createNetworkPolicy(config.allowedNetworks);
  const client = createClient(config, networkPolicy);
  const events = config.operationalWebhookUrl
    ? new OperationalWebhookSender(
        client,
        config.operationalWebhookUrl,
        config.operationalWebhookSecret ?? '',
        logger,
        config.svixHeaders,
      )
    : NO_OPERATIONAL_EVENTS;
  const taskWakeups = new TaskWakeups(options.sqliteWriteLock ? config.databaseUrl : null);
  const close = async () => {
    taskWakeups.close();
    await events.close();
    await client.close();
    await store.close();
  };
  try {
    let appliedMigrations: string[] = [];
    if (migrate) appliedMigrations = await store.migrate();
    else {
      const pending = await store.pendingMigrations();
      if (pending.length > 0) throw new MigrationsPendingError(pending);
    }
    const keyring = early ?? loadKeyring(config);
    const now = options.now ?? Date.now;
    const ctx: HeraldContext = {
      config,
      store,
      keyring,
      logger,
      metrics: createMetrics({ processMetrics: options.processMetrics }),
      events,
      now,
      networkPolicy,
      outbox: new Outbox(store),
      catalog: new PublishCatalog(store),
      applicationCache: newApplicationCache(),
      tokenCache: newTokenCache(),
      taskWakeups,
    };
    const createdAdminToken = await ensureAdminToken(store, config, now()).catch((err: unknown) => {
      // The refusal is the one line printed: it says too that the schema did change.
      if (err instanceof GeneratedFileExistsError && appliedMigrations.length > 0)
        throw new GeneratedFileExistsError(
          `${err.message} (the database was migrated first: applied ${appliedMigrations.length} migration${appliedMigrations.length === 1 ? '' : 's'})`,
        );
      throw err;
    });
    return { ctx, client, createdAdminToken, appliedMigrations, close };
  } catch (err) {
    await close().catch(() => {});
    throw err;
  }
}

/** True for `sqlite:PATH` naming a file that does not exist yet (opening it would create it). */
function isMissingSqliteFile(databaseUrl: string): boolean {
  if (!databaseUrl.startsWith('sqlite:')) return false;
  const path = databaseUrl.slice('sqlite:'.length);
  return path !== ':memory:' && !existsSync(path);
}

/** The outbound HTTP client every delivery goes through (SSRF guard included). */
function createClient(config: Readonly<Config>, policy: NetworkPolicy): DeliveryClient {
  return createDeliveryClient({
    policy,
    requestTimeoutMs: config.requestTimeoutMs,
    maxResponseBytes: config.maxResponseBytes,
    storedResponseBytes: config.storedResponseBytes,
    userAgent: USER_AGENT,
  });
}
