import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Herald's Prometheus metrics, on a registry of their own (not prom-client's global one),
 * so several Herald instances in one process (tests) never share counters.
 */
export function createMetrics(options: { processMetrics?: boolean } = {}) {
  const registry = new Registry();
  if (options.processMetrics ?? true)
    collectDefaultMetrics({ register: registry, prefix: 'herald_process_' });
  const registers = [registry];
  return {
    registry,
    messagesPublished: new Counter({
      name: 'herald_messages_published_total',
      help: 'Messages accepted by the API, by event type.',
      labelNames: ['event_type'],
      registers,
    }),
    fanOut: new Histogram({
      name: 'herald_message_fanout',
      help: 'Endpoints one message was queued for.',
      buckets: [0, 1, 2, 5, 10, 50, 100, 500, 1000],
      registers,
    }),
    attempts: new Counter({
      name: 'herald_attempts_total',
      help: 'Delivery attempts, by outcome (success/failure) and error class.',
      labelNames: ['outcome', 'error_class'],
      registers,
    }),
    deliveries: new Counter({
      name: 'herald_deliveries_total',
      help: 'Deliveries that ended, by final status (success, exhausted).',
      labelNames: ['status'],
      registers,
    }),
    attemptDuration: new Histogram({
      name: 'herald_attempt_duration_seconds',
      help: 'Time from sending a request to the end of the response (or the failure).',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    endpointsDisabled: new Counter({
      name: 'herald_endpoints_disabled_total',
      help: 'Endpoints disabled by Herald, by reason.',
      labelNames: ['reason'],
      registers,
    }),
    leasesReclaimed: new Counter({
      name: 'herald_leases_reclaimed_total',
      help: 'Deliveries claimed again after another worker left them leased.',
      registers,
    }),
    idempotentReplays: new Counter({
      name: 'herald_idempotent_replays_total',
      help: 'POSTs answered from a stored response for a repeated Idempotency-Key.',
      registers,
    }),
    schemaViolations: new Counter({
      name: 'herald_schema_violations_total',
      help: 'Published payloads that did not match their event type schema, by mode (enforce/warn).',
      labelNames: ['event_type', 'mode'],
      registers,
    }),
    inFlight: new Gauge({
      name: 'herald_deliveries_in_flight',
      help: 'Requests being sent by this process.',
      registers,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
