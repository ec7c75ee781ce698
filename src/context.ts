import type { Config } from './config/index.js';
import type { NetworkPolicy } from './core/net/network-policy.js';
import type { Logger } from './observability/logger.js';
import type { Metrics } from './observability/metrics.js';
import type { MainKeyring } from './signing/main-key.js';
import type { Store } from './store/store.js';

/** An operational webhook as sent: `{type, data}` in Svix's shapes (built by `delivery/operational/events.ts`). */
export interface OperationalEventBody {
  type: string;
  data: object;
}

/** Receives Herald's own events (endpoint.disabled, message.attempt.exhausted, …). */
export interface OperationalSink {
  emit(event: OperationalEventBody): void;
  close(): Promise<void>;
}

/**
 * What every part of Herald is built from: made once at start-up (`cli/runtime.ts`) and
 * passed in, never read from globals.
 */
export interface HeraldContext {
  readonly config: Readonly<Config>;
  readonly store: Store;
  readonly keyring: MainKeyring;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Herald's operational webhooks to the operator (a no-op sink when none is configured). */
  readonly events: OperationalSink;
  /** Where Herald may send (`HERALD_ALLOWED_NETWORKS`); the endpoint URL check and the client share it. */
  readonly networkPolicy: NetworkPolicy;
  /** Epoch milliseconds; tests move it. */
  now(): number;
}
