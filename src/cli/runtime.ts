import type { Config } from '../config/index.js';
import type { HeraldContext } from '../context.js';
import { createNetworkPolicy, type NetworkPolicy } from '../core/net/network-policy.js';
import { createDeliveryClient, type DeliveryClient } from '../delivery/http-client.js';
import { NO_OPERATIONAL_EVENTS, OperationalWebhookSender } from '../delivery/operational/sender.js';
import { TaskWakeups } from '../domains/background-task/wakeups.js';
import { PublishCatalog } from '../domains/event-type/publish-check.js';
import { Outbox } from '../domains/message/outbox.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { createMetrics } from '../observability/metrics.js';
import { openStore } from '../store/open.js';
import { USER_AGENT } from '../version.js';
import { ensureAdminToken, loadKeyring } from './bootstrap.js';

export interface Runtime {
  ctx: HeraldContext;
  /** The outbound HTTP client (SSRF guard included) for deliveries and operational webhooks. */
  client: DeliveryClient;
  /** Shown once on first start; null otherwise. */
  createdAdminToken: { token: string; file: string } | null;
  close(): Promise<void>;
}

/**
 * Builds the shared context from a loaded config: opens (and by default migrates) the
 * store, loads the main key, and makes the first admin token when there is none.
 */
export async function createRuntime(
  config: Readonly<Config>,
  options: { migrate?: boolean; logger?: Logger; processMetrics?: boolean; now?: () => number } = {},
): Promise<Runtime> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const keyring = loadKeyring(config);
  const store = await openStore(config);
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
  const close = async () => {
    await events.close();
    await client.close();
    await store.close();
  };
  try {
    if (options.migrate ?? true) await store.migrate();
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
      taskWakeups: new TaskWakeups(),
    };
    const createdAdminToken = await ensureAdminToken(store, config, now());
    return { ctx, client, createdAdminToken, close };
  } catch (err) {
    await close().catch(() => {});
    throw err;
  }
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
