import {
  AggregatorRegistry,
  Counter,
  collectDefaultMetrics,
  Gauge,
  Histogram,
  type MetricObjectWithValues,
  type MetricValue,
  Registry,
} from 'prom-client';
import { VERSION } from '../version.js';

/**
 * Label values that come from clients (event type names) are capped: past this many
 * distinct values a series is labelled `_other`, so a publisher inventing event types
 * cannot grow the process's memory or the Prometheus server's without bound.
 */
export const MAX_EVENT_TYPE_LABELS = 500;
const OTHER_LABEL = '_other';

/** Maps client-chosen label values to themselves until `max` are known, then to `_other`. */
function labelCap(max: number): (value: string) => string {
  const seen = new Set<string>();
  return (value) => {
    if (seen.has(value)) return value;
    if (seen.size >= max) return OTHER_LABEL;
    seen.add(value);
    return value;
  };
}

/**
 * Herald's Prometheus metrics, on a registry of their own (not prom-client's global one),
 * so several Herald instances in one process (tests) never share counters. The queue
 * gauges, computed from the database at scrape time, are added by `registerQueueGauges`.
 * `docs/operating.md` lists every metric; keep it in step with this file.
 */
export function createMetrics(options: { processMetrics?: boolean } = {}) {
  const registry = new Registry();
  // Standard names (process_*, nodejs_*), so the usual Node.js dashboards work unchanged.
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const eventTypeLabel = labelCap(MAX_EVENT_TYPE_LABELS);

  new Gauge({
    name: 'herald_build_info',
    help: 'Always 1; the version label says which Herald is running.',
    labelNames: ['version'],
    registers,
  }).set({ version: VERSION }, 1);

  const messagesPublished = new Counter({
    name: 'herald_messages_published_total',
    help: `Messages accepted by the API, by event type (at most ${MAX_EVENT_TYPE_LABELS} types, then "${OTHER_LABEL}").`,
    labelNames: ['event_type'],
    registers,
  });
  const schemaViolations = new Counter({
    name: 'herald_schema_violations_total',
    help: 'Published payloads that did not match their event type schema, by event type and mode (enforce/warn).',
    labelNames: ['event_type', 'mode'],
    registers,
  });

  /** Other threads' metrics, added to this registry's at each scrape (`herald serve`'s worker thread). */
  const peers: PeerMetrics[] = [];
  return {
    registry,
    peers,
    /** The scrape: this registry's metrics, and every peer thread's, summed by series. */
    async text(): Promise<string> {
      if (peers.length === 0) return registry.metrics();
      const all = await Promise.all([registry.getMetricsAsJSON(), ...peers.map((peer) => peer())]);
      return AggregatorRegistry.aggregate(all).metrics();
    },
    messagesPublished: {
      inc(labels: { event_type: string }, value = 1): void {
        messagesPublished.inc({ event_type: eventTypeLabel(labels.event_type) }, value);
      },
    },
    fanOut: new Histogram({
      name: 'herald_message_fanout',
      help: 'Endpoints one published message was queued for.',
      buckets: [0, 1, 2, 5, 10, 50, 100, 500, 1000],
      registers,
    }),
    attempts: new Counter({
      name: 'herald_attempts_total',
      help: 'Delivery attempts (HTTP requests to endpoints), by outcome (success/failure) and error class (none, dns, connect, tls, timeout, http_3xx, http_4xx, http_5xx, blocked_by_policy, …).',
      labelNames: ['outcome', 'error_class'],
      registers,
    }),
    deliveries: new Counter({
      name: 'herald_deliveries_total',
      help: 'Deliveries that ended, by final status (success, exhausted = every retry failed).',
      labelNames: ['status'],
      registers,
    }),
    attemptDuration: new Histogram({
      name: 'herald_attempt_duration_seconds',
      help: 'Time from sending a delivery request to the end of the response (or the failure).',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    endpointsDisabled: new Counter({
      name: 'herald_endpoints_disabled_total',
      help: 'Endpoints disabled automatically by this process, by reason (gone = answered 410, failing = failed every attempt for the configured period).',
      labelNames: ['reason'],
      registers,
    }),
    leasesReclaimed: new Counter({
      name: 'herald_leases_reclaimed_total',
      help: 'Deliveries claimed again after the worker that held them let the lease expire.',
      registers,
    }),
    idempotentReplays: new Counter({
      name: 'herald_idempotent_replays_total',
      help: 'POSTs answered from a stored response for a repeated Idempotency-Key.',
      registers,
    }),
    schemaViolations: {
      inc(labels: { event_type: string; mode: string }, value = 1): void {
        schemaViolations.inc({ event_type: eventTypeLabel(labels.event_type), mode: labels.mode }, value);
      },
    },
    inFlight: new Gauge({
      name: 'herald_requests_in_flight',
      help: 'Delivery requests being sent by this process right now.',
      registers,
    }),
    endpointStates: new Gauge({
      name: 'herald_endpoint_delivery_state',
      help: 'Endpoints this process is delivering to, by delivery state (normal, slowed, circuit_open).',
      labelNames: ['state'],
      registers,
    }),
    httpRequests: new Counter({
      name: 'herald_http_requests_total',
      help: 'API requests answered, by method, route template and status code.',
      labelNames: ['method', 'route', 'status_code'],
      registers,
    }),
    httpDuration: new Histogram({
      name: 'herald_http_request_duration_seconds',
      help: 'Time to answer an API request, by route template.',
      labelNames: ['route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    retentionPurged: new Counter({
      name: 'herald_retention_purged_total',
      help: 'Rows removed by the retention job, by kind (payload = message payload cleared, attempt, message, idempotency_key, token = expired tokens).',
      labelNames: ['kind'],
      registers,
    }),
    retentionLastRun: new Gauge({
      name: 'herald_retention_last_success_timestamp_seconds',
      help: 'When the retention job last finished a full pass without error (unix seconds).',
      registers,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** One thread's metrics as prom-client's JSON, asked for at scrape time. */
export type PeerMetrics = () => Promise<MetricObjectWithValues<MetricValue<string>>[]>;
