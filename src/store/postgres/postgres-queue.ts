import { type Kysely, sql } from 'kysely';
import type {
  ClaimedDelivery,
  DeliveryOutcome,
  EndpointHealth,
  EndpointHealthAfter,
  QueueStore,
} from '../queue.js';
import { type Database, STATUS } from '../schema.js';

/**
 * The queue's hot paths on PostgreSQL. Claiming is one statement (`FOR UPDATE SKIP LOCKED`
 * so concurrent workers never wait on each other's rows, joined with what the send needs);
 * completion writes a whole batch with three statements in one transaction.
 */
export class PostgresQueue implements QueueStore {
  constructor(private readonly db: Kysely<Database>) {}

  async claim(owner: string, limit: number, now: number, leaseUntil: number): Promise<ClaimedDelivery[]> {
    const { rows } = await sql<ClaimedDelivery>`
      WITH due AS (
        SELECT id, lease_owner AS previous_owner FROM delivery WHERE due_at <= ${now} ORDER BY due_at LIMIT ${limit}
        FOR UPDATE SKIP LOCKED
      ), claimed AS (
        UPDATE delivery d SET due_at = ${leaseUntil}, lease_owner = ${owner}, status = ${STATUS.sending}, updated_at = ${now}
        FROM due WHERE d.id = due.id
        RETURNING d.id, d.msg_id, d.endpoint_id, d.app_id, d.attempt_count, d.trigger_type, due.previous_owner
      )
      SELECT c.id, c.msg_id AS "msgId", c.endpoint_id AS "endpointId", c.app_id AS "appId",
        c.attempt_count AS "attemptCount", c.trigger_type AS "triggerType", m.event_type AS "eventType",
        m.event_id AS "eventId", m.payload, m.created_at AS "msgCreatedAt", m.trace_parent AS "traceParent", m.request_id AS "requestId",
        c.previous_owner IS NOT NULL AS reclaimed,
        e.url, e.uid AS "endpointUid", a.uid AS "appUid", e.headers AS "endpointHeaders",
        e.secrets AS "endpointSecrets", e.disabled = 1 AS "endpointDisabled",
        e.throttle_rate AS "endpointThrottleRate", e.updated_at AS "endpointUpdatedAt"
      FROM claimed c JOIN message m ON m.id = c.msg_id JOIN endpoint e ON e.id = c.endpoint_id
      JOIN application a ON a.id = c.app_id`.execute(this.db);
    return rows;
  }

  async complete(
    outcomes: DeliveryOutcome[],
    health: EndpointHealth[],
    now: number,
  ): Promise<EndpointHealthAfter[]> {
    const attempts = outcomes.flatMap((o) => (o.attempt ? [o.attempt] : []));
    return this.db.transaction().execute(async (trx) => {
      // Batches travel as one JSON document each: V8's JSON.stringify is far cheaper than
      // pg's escaping of one text[] literal per column (2% of a worker's time).
      if (attempts.length > 0) {
        await sql`
          INSERT INTO attempt (id, msg_id, endpoint_id, app_id, url, status, response_status_code, response,
            response_headers, request_headers, duration_ms, error_class, error_message, trigger_type, created_at)
          SELECT id, msg_id, endpoint_id, app_id, url, status, response_status_code, response,
            response_headers, request_headers, duration_ms, error_class, error_message, trigger_type, created_at
          FROM json_to_recordset(${JSON.stringify(attempts)}::json) AS a(id text, msg_id text, endpoint_id text,
            app_id text, url text, status int, response_status_code int, response text, response_headers text,
            request_headers text, duration_ms int, error_class text, error_message text, trigger_type int,
            created_at bigint)`.execute(trx);
      }
      if (outcomes.length > 0) {
        const rows = outcomes.map((o) => ({
          id: o.deliveryId,
          owner: o.owner,
          status: o.status,
          attempt_count: o.attemptCount,
          due_at: o.dueAt,
          next_attempt_at: o.nextAttemptAt,
        }));
        await sql`
          UPDATE delivery d SET status = u.status, attempt_count = u.attempt_count, due_at = u.due_at,
            next_attempt_at = u.next_attempt_at, lease_owner = NULL, updated_at = ${now}
          FROM json_to_recordset(${JSON.stringify(rows)}::json)
            AS u(id text, owner text, status int, attempt_count int, due_at bigint, next_attempt_at bigint)
          WHERE d.id = u.id AND d.lease_owner = u.owner`.execute(trx);
      }
      if (health.length === 0) return [];
      const col = <K extends keyof EndpointHealth>(k: K) => health.map((h) => h[k]);
      const { rows } = await sql<EndpointHealthAfter>`
        UPDATE endpoint e SET
          consecutive_failures = CASE WHEN u.s IS NOT NULL THEN u.t ELSE e.consecutive_failures + u.t END,
          first_failure_at = CASE WHEN u.t = 0 THEN NULL WHEN u.s IS NOT NULL THEN u.ff
                                  ELSE COALESCE(e.first_failure_at, u.ff) END,
          last_success_at = COALESCE(u.s, e.last_success_at),
          last_failure_at = COALESCE(u.f, e.last_failure_at)
        FROM unnest(${col('endpointId')}::text[], ${col('lastSuccessAt')}::bigint[], ${col('lastFailureAt')}::bigint[],
          ${col('trailingFailures')}::int[], ${col('firstTrailingFailureAt')}::bigint[]) AS u(id, s, f, t, ff)
        WHERE e.id = u.id
        RETURNING e.id AS "endpointId", e.first_failure_at AS "firstFailureAt",
          e.consecutive_failures AS "consecutiveFailures"`.execute(trx);
      return rows;
    });
  }

  async renew(owner: string, ids: string[], leaseUntil: number): Promise<void> {
    await sql`UPDATE delivery SET due_at = ${leaseUntil} WHERE id = ANY(${ids}::text[]) AND lease_owner = ${owner}`.execute(
      this.db,
    );
  }

  async takeTokens(key: string, ratePerSecond: number, want: number): Promise<number> {
    // The database's clock, not the process's: workers on several machines share one bucket.
    const now = sql`(extract(epoch from clock_timestamp()) * 1000)::bigint`;
    await sql`INSERT INTO rate_limit (key, tokens, updated_at) VALUES (${key}, ${ratePerSecond}, ${now})
      ON CONFLICT (key) DO NOTHING`.execute(this.db);
    const { rows } = await sql<{ granted: number }>`
      WITH cur AS (
        SELECT key, LEAST(${ratePerSecond}::float8, tokens + GREATEST(0, ${now} - updated_at) / 1000.0 * ${ratePerSecond}) AS avail
        FROM rate_limit WHERE key = ${key} FOR UPDATE
      )
      UPDATE rate_limit r SET tokens = cur.avail - LEAST(${want}, FLOOR(cur.avail)), updated_at = GREATEST(r.updated_at, ${now})
      FROM cur WHERE r.key = cur.key
      RETURNING LEAST(${want}, FLOOR(cur.avail))::int AS granted`.execute(this.db);
    return rows[0]?.granted ?? 0;
  }

  async nextDueAt(): Promise<number | null> {
    const { rows } = await sql<{
      next: number | null;
    }>`SELECT MIN(due_at) AS next FROM delivery WHERE due_at IS NOT NULL`.execute(this.db);
    return rows[0]?.next ?? null;
  }
}
