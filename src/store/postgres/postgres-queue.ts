import { type Kysely, sql } from 'kysely';
import {
  ClaimRotation,
  type ClaimShares,
  type DueEndpoint,
  type EndpointTake,
  FairClaim,
  fairOrder,
} from '../fair-claim.js';
import { headsWanted, KeyRotation, type LineHead, probeBudget, runLength, runRanks } from '../fifo-claim.js';
import type {
  ClaimedDelivery,
  DeliveryOutcome,
  EndpointHealth,
  EndpointHealthAfter,
  QueueStore,
} from '../queue.js';
import { type Database, STATUS } from '../schema.js';

/** A key's head as the walk read it, with its row version (`xmin`), which its lock checks again. */
type VersionedHead = LineHead & { version: string };

/** Which due endpoints are FIFO, and their batch size (their claim walks keys: src/store/fifo-claim.ts). */
const FIFO_BATCH_SIZE = sql.raw(
  `CASE WHEN e.ordering = 'fifo' THEN e.fifo_batch_size END AS "fifoBatchSize"`,
);

/**
 * A claimed delivery with what its send needs, read from the `claimed` rows of a lease UPDATE
 * (`c`) joined with their message, endpoint and application; ordered delivery's own columns
 * last (src/store/fifo-claim.ts). Shared by the unordered and the FIFO claim.
 */
const CLAIMED_SELECT = sql.raw(`c.id, c.msg_id AS "msgId", c.endpoint_id AS "endpointId", c.app_id AS "appId",
  c.attempt_count AS "attemptCount", c.trigger_type AS "triggerType", m.event_type AS "eventType",
  m.event_id AS "eventId", m.payload, m.created_at AS "msgCreatedAt", m.trace_parent AS "traceParent",
  m.request_id AS "requestId", c.previous_owner IS NOT NULL AS reclaimed,
  e.url, e.uid AS "endpointUid", a.uid AS "appUid", e.headers AS "endpointHeaders",
  e.secrets AS "endpointSecrets", e.disabled = 1 AS "endpointDisabled",
  e.throttle_rate AS "endpointThrottleRate", e.updated_at AS "endpointUpdatedAt",
  c.ordering_key AS "orderingKey", e.fifo_on_exhausted AS "fifoOnExhausted", e.fifo_batch_size AS "fifoBatchSize"`);
const CLAIMED_FROM =
  sql.raw(`claimed c JOIN message m ON m.id = c.msg_id JOIN endpoint e ON e.id = c.endpoint_id
  JOIN application a ON a.id = c.app_id`);

/**
 * The queue's hot paths on PostgreSQL. Claiming is one statement (`FOR UPDATE SKIP LOCKED`
 * so concurrent workers never wait on each other's rows, joined with what the send needs);
 * completion writes a whole batch with three statements in one transaction.
 */
export class PostgresQueue implements QueueStore {
  readonly #rotation = new ClaimRotation();
  readonly #keyRotation = new KeyRotation();

  constructor(
    private readonly db: Kysely<Database>,
    /** The heartbeat's own connection (falls back to `db`). */
    private readonly heartbeatDb: Kysely<Database> = db,
  ) {}

  /**
   * The fair claim (src/store/fair-claim.ts) in two statements: the skip-scan for endpoints
   * with due rows, then, for the planned endpoints, their earliest due rows locked with
   * `SKIP LOCKED` (workers never wait on each other's rows; one that loses a race for a row
   * takes that endpoint's next unlocked rows instead), leased and joined with what the send
   * needs. Only the rows taken are locked, never every candidate.
   */
  async claim(
    owner: string,
    limit: number,
    now: number,
    leaseUntil: number,
    shares: ClaimShares = {},
    only?: readonly string[],
  ): Promise<ClaimedDelivery[]> {
    const due = only ? await this.#dueAmong(only, now) : await this.#dueEndpoints(now);
    const fifo = new Map(due.map((e) => [e.endpointId, e.fifoBatchSize ?? null]));
    const fair = new FairClaim(due, limit, shares, this.#rotation);
    const claimed: ClaimedDelivery[] = [];
    for (let plan = fair.plan(); plan; plan = fair.plan()) {
      const unordered = plan.filter((t) => fifo.get(t.endpointId) === null);
      const round = unordered.length > 0 ? await this.#claimRound(unordered, owner, now, leaseUntil) : [];
      for (const t of plan) {
        const batchSize = fifo.get(t.endpointId) ?? null;
        if (batchSize !== null) round.push(...(await this.#claimFifo(t, batchSize, owner, now, leaseUntil)));
      }
      const got = new Map<string, number>();
      for (const row of round) got.set(row.endpointId, (got.get(row.endpointId) ?? 0) + 1);
      claimed.push(...round);
      fair.took(plan, got);
    }
    return claimed;
  }

  /** The endpoints with due rows: a skip-scan of delivery_endpoint_due, one probe per endpoint owed work. */
  async #dueEndpoints(now: number): Promise<DueEndpoint[]> {
    // Each probe reads the first entry of the next endpoint in the (endpoint_id, due_at) index:
    // its id and its earliest due_at at once. (A separate min(due_at) per endpoint was planned on
    // the due_at index with an endpoint filter, and for the recursion's last, NULL row it read
    // every due row: 80 ms a claim behind a backlog of 20,000, the drain at 0.18 x B0.)
    const { rows: due } = await sql<DueEndpoint>`
      WITH RECURSIVE owed(id, due_at) AS (
        (SELECT endpoint_id, due_at FROM delivery WHERE due_at IS NOT NULL ORDER BY endpoint_id, due_at LIMIT 1)
        UNION ALL
        SELECT next.endpoint_id, next.due_at FROM owed CROSS JOIN LATERAL (
          SELECT endpoint_id, due_at FROM delivery WHERE due_at IS NOT NULL AND endpoint_id > owed.id
          ORDER BY endpoint_id, due_at LIMIT 1
        ) next
      )
      SELECT owed.id AS "endpointId", e.app_id AS "appId", ${FIFO_BATCH_SIZE}
      FROM owed JOIN endpoint e ON e.id = owed.id
      WHERE owed.due_at <= ${now}`.execute(this.db);
    return due;
  }

  /** Those of `ids` with a due row: one probe each. */
  async #dueAmong(ids: readonly string[], now: number): Promise<DueEndpoint[]> {
    const { rows } = await sql<DueEndpoint>`
      SELECT e.id AS "endpointId", e.app_id AS "appId", ${FIFO_BATCH_SIZE} FROM endpoint e
      WHERE e.id = ANY(${[...ids]}::text[])
        AND EXISTS (SELECT 1 FROM delivery d WHERE d.endpoint_id = e.id AND d.due_at IS NOT NULL AND d.due_at <= ${now})`.execute(
      this.db,
    );
    return rows;
  }

  /** One round of a claim: the planned endpoints' earliest due rows, leased, in fair order. */
  async #claimRound(plan: EndpointTake[], owner: string, now: number, leaseUntil: number) {
    const wanted = JSON.stringify(plan.map((t) => ({ endpoint_id: t.endpointId, take: t.take })));
    const { rows } = await sql<ClaimedDelivery & { previousDueAt: number }>`
      WITH due AS (
        SELECT t.id, t.previous_owner, t.due_at
        FROM json_to_recordset(${wanted}::json) AS p(endpoint_id text, take int)
        CROSS JOIN LATERAL (
          SELECT d.id, d.lease_owner AS previous_owner, d.due_at FROM delivery d
          WHERE d.endpoint_id = p.endpoint_id AND d.due_at <= ${now} AND d.due_at IS NOT NULL
            -- The plan may predate a switch of the endpoint to FIFO: then its rows are the FIFO
            -- claim's (src/store/lines.ts). The key is checked again on the row version locked.
            AND d.ordering_key IS NULL
            AND NOT EXISTS (SELECT 1 FROM endpoint e WHERE e.id = p.endpoint_id AND e.ordering = 'fifo')
          -- Spelled as the delivery_endpoint_due index is, so the planner reads that index (one
          -- endpoint's rows) rather than the due_at index filtered by endpoint (every due row).
          ORDER BY d.endpoint_id, d.due_at LIMIT p.take
          FOR UPDATE SKIP LOCKED
        ) t
      ), claimed AS (
        UPDATE delivery d SET due_at = ${leaseUntil}, lease_owner = ${owner}, status = ${STATUS.sending}, updated_at = ${now}
        -- The ANY(ARRAY(...)) is for the planner: it estimates the json × LIMIT rows above in the hundreds
        -- of thousands and, joining on due.id alone, hashed a sequential scan of the whole delivery table
        -- per claim (700 ms a claim once history builds up: the drain fell to 0.06-0.3 x B0). The array
        -- makes it look each row up by primary key.
        FROM due WHERE d.id = due.id AND d.id = ANY(ARRAY(SELECT id FROM due))
        RETURNING d.id, d.msg_id, d.endpoint_id, d.app_id, d.attempt_count, d.trigger_type, d.ordering_key,
          due.previous_owner, due.due_at AS previous_due_at
      )
      SELECT ${CLAIMED_SELECT}, c.previous_due_at AS "previousDueAt" FROM ${CLAIMED_FROM}
      ORDER BY c.endpoint_id, c.previous_due_at`.execute(this.db);
    const takes = new Map(plan.map((t) => [t.endpointId, t]));
    const ranked: { row: ClaimedDelivery; rank: number }[] = [];
    let endpoint = '';
    let rank = 0;
    for (const { previousDueAt: _, ...row } of rows) {
      rank = row.endpointId === endpoint ? rank + 1 : 0;
      endpoint = row.endpointId;
      ranked.push({ row, rank });
    }
    return fairOrder(
      ranked,
      (r) => takes.get(r.row.endpointId) as EndpointTake,
      (r) => r.rank,
    ).map((r) => r.row);
  }

  /**
   * A FIFO endpoint's part of a claim round (src/store/fifo-claim.ts): its keys walked in
   * `delivery_line` by a recursive skip-scan (one probe per key, unlocked), then the due heads
   * locked `SKIP LOCKED` and taken only if they are still the row version the walk read (`xmin`):
   * a head another worker leased or finished meanwhile drops out, and its key with it, and so does
   * one that a line write put a delivery before (it writes the key's head: src/store/lines.ts). A
   * run is taken behind each, leased and joined with what the send needs.
   */
  async #claimFifo(
    take: EndpointTake,
    batchSize: number,
    owner: string,
    now: number,
    leaseUntil: number,
  ): Promise<ClaimedDelivery[]> {
    const endpointId = take.endpointId;
    const after = this.#keyRotation.keyAfter(endpointId);
    const wanted = headsWanted(take.take, batchSize);
    const budget = probeBudget(take.take);
    const heads = await this.#walkHeads(endpointId, now, after, undefined, wanted, budget);
    if (after !== undefined && heads.length < wanted)
      heads.push(
        ...(await this.#walkHeads(endpointId, now, undefined, after, wanted - heads.length, budget)),
      );
    if (heads.length === 0) return [];
    this.#keyRotation.advance(endpointId, heads);
    const n = runLength(take.take, heads.length, batchSize);
    const { rows } = await sql<ClaimedDelivery>`
      WITH heads AS (
        SELECT d.id, d.ordering_key, d.seq FROM delivery d
        WHERE d.id = ANY(${heads.map((h) => h.id)}::text[]) AND d.due_at <= ${now} AND d.ordering_key IS NOT NULL
          -- Checked again on the row version it locks, as the due time is.
          AND d.id || ' ' || d.xmin::text = ANY(${heads.map((h) => `${h.id} ${h.version}`)}::text[])
        FOR UPDATE SKIP LOCKED
      ), run AS (
        SELECT r.id, r.previous_owner FROM heads h CROSS JOIN LATERAL (
          SELECT x.id, x.previous_owner FROM (
            SELECT y.id, y.lease_owner AS previous_owner,
              bool_and(y.due_at IS NOT NULL AND y.due_at <= ${now}) OVER (ORDER BY y.seq) AS all_due
            FROM (
              SELECT id, lease_owner, seq, due_at FROM delivery
              WHERE endpoint_id = ${endpointId} AND ordering_key = h.ordering_key AND seq >= h.seq
              ORDER BY ordering_key, seq LIMIT ${n}
            ) y
          ) x WHERE x.all_due
        ) r
      ), claimed AS (
        UPDATE delivery d SET due_at = ${leaseUntil}, lease_owner = ${owner}, status = ${STATUS.sending}, updated_at = ${now}
        FROM run WHERE d.id = run.id AND d.id = ANY(ARRAY(SELECT id FROM run))
        RETURNING d.id, d.msg_id, d.endpoint_id, d.app_id, d.attempt_count, d.trigger_type, d.ordering_key, d.seq,
          run.previous_owner
      )
      SELECT ${CLAIMED_SELECT} FROM ${CLAIMED_FROM}
      ORDER BY c.ordering_key, c.seq`.execute(this.db);
    const runs = new Map<string | null, ClaimedDelivery[]>();
    for (const row of rows) {
      const run = runs.get(row.orderingKey);
      if (run) run.push(row);
      else runs.set(row.orderingKey, [row]);
    }
    const ranks = runRanks([...runs.values()]);
    return [...ranks.keys()].sort((a, b) => (ranks.get(a) as number) - (ranks.get(b) as number));
  }

  /** One pass of the key walk: heads of keys after `after` up to `until`, the due ones. */
  async #walkHeads(
    endpointId: string,
    now: number,
    after: string | undefined,
    until: string | undefined,
    wanted: number,
    budget: number,
  ): Promise<VersionedHead[]> {
    const lower = after === undefined ? sql`` : sql`AND ordering_key > ${after}`;
    const upper = until === undefined ? sql`` : sql`AND ordering_key <= ${until}`;
    const probe = (from: ReturnType<typeof sql>) => sql`
      SELECT ordering_key, id, seq, coalesce(due_at <= ${now}, false) AS due, xmin::text AS version FROM delivery
      WHERE endpoint_id = ${endpointId} AND ordering_key IS NOT NULL ${from} ${upper}
      ORDER BY ordering_key, seq LIMIT 1`;
    const { rows } = await sql<VersionedHead>`
      WITH RECURSIVE walk(key, id, seq, due, version, n, found) AS (
        (SELECT ordering_key, id, seq, due, version, 1, due::int FROM (${probe(lower)}) first)
        UNION ALL
        SELECT nx.ordering_key, nx.id, nx.seq, nx.due, nx.version, walk.n + 1, walk.found + nx.due::int
        FROM walk CROSS JOIN LATERAL (${probe(sql`AND ordering_key > walk.key`)}) nx
        WHERE walk.n < ${budget} AND walk.found < ${wanted}
      )
      SELECT key, id, seq::float8 AS seq, version FROM walk WHERE due LIMIT ${wanted}`.execute(this.db);
    return rows;
  }

  async complete(
    outcomes: DeliveryOutcome[],
    health: EndpointHealth[],
    now: number,
  ): Promise<EndpointHealthAfter[]> {
    const attempts = outcomes.flatMap((o) => (o.attempt ? [o.attempt] : []));
    // The endpoints' rows before anything else: an endpoint's delete takes its row, then its
    // deliveries (the cascade); an application's, its endpoints, their deliveries, then its
    // messages. Else this write, holding deliveries (or, through the attempts' foreign key, their
    // messages) and waiting for an endpoint's row, and the delete, holding it and waiting for
    // them, deadlock. A key share lock waits only for a delete: other workers' health writes go
    // on beside it. In each statement below, as an uncorrelated subquery: a one-time filter, run
    // before the statement reads or writes a row (the second time, a lock already held).
    const endpointsFirst = sql`(SELECT count(*) FROM (SELECT 1 FROM endpoint
      WHERE id = ANY(${health.map((h) => h.endpointId)}::text[]) ORDER BY id FOR KEY SHARE) l) >= 0`;
    return this.db.transaction().execute(async (trx) => {
      // Batches travel as one JSON document each: V8's JSON.stringify is far cheaper than
      // pg's escaping of one text[] literal per column (2% of a worker's time). An attempt of a
      // message deleted meanwhile (with its application) is dropped, not a foreign key error that
      // would fail the whole batch, other applications' outcomes with it. The lock, unlike a plain
      // read, sees a delete that committed while this statement waited for the endpoints.
      if (attempts.length > 0) {
        await sql`
          INSERT INTO attempt (id, msg_id, endpoint_id, app_id, url, status, response_status_code, response,
            response_headers, request_headers, duration_ms, error_class, error_message, trigger_type, created_at,
            batch_msg_ids)
          SELECT id, msg_id, endpoint_id, app_id, url, status, response_status_code, response,
            response_headers, request_headers, duration_ms, error_class, error_message, trigger_type, created_at,
            batch_msg_ids
          FROM json_to_recordset(${JSON.stringify(attempts)}::json) AS a(id text, msg_id text, endpoint_id text,
            app_id text, url text, status int, response_status_code int, response text, response_headers text,
            request_headers text, duration_ms int, error_class text, error_message text, trigger_type int,
            created_at bigint, batch_msg_ids text)
          WHERE ${endpointsFirst} AND EXISTS (SELECT 1 FROM message m WHERE m.id = a.msg_id FOR KEY SHARE)`.execute(
          trx,
        );
      }
      if (outcomes.length > 0) {
        const rows = outcomes.map((o) => ({
          id: o.deliveryId,
          owner: o.owner,
          status: o.status,
          attempt_count: o.attemptCount,
          due_at: o.dueAt,
          next_attempt_at: o.nextAttemptAt,
          leaves_line: o.leavesLine === true,
        }));
        await sql`
          UPDATE delivery d SET status = u.status, attempt_count = u.attempt_count, due_at = u.due_at,
            next_attempt_at = u.next_attempt_at, lease_owner = NULL, updated_at = ${now},
            ordering_key = CASE WHEN u.leaves_line OR u.status = ${STATUS.success} THEN NULL ELSE d.ordering_key END
          FROM json_to_recordset(${JSON.stringify(rows)}::json)
            AS u(id text, owner text, status int, attempt_count int, due_at bigint, next_attempt_at bigint,
              leaves_line boolean)
          WHERE d.id = u.id AND d.lease_owner = u.owner AND ${endpointsFirst}`.execute(trx);
      }
      if (health.length === 0) return [];
      const col = <K extends keyof EndpointHealth>(k: K) => health.map((h) => h[k]);
      const { rows } = await sql<EndpointHealthAfter>`
        UPDATE endpoint e SET
          consecutive_failures = CASE WHEN u.s IS NOT NULL THEN u.t ELSE e.consecutive_failures + u.t END,
          first_failure_at = CASE WHEN u.t = 0 THEN NULL WHEN u.s IS NOT NULL THEN u.ff
                                  ELSE COALESCE(e.first_failure_at, u.ff) END,
          last_success_at = COALESCE(u.s, e.last_success_at),
          last_failure_at = COALESCE(u.f, e.last_failure_at),
          delivery_state = COALESCE(u.ds, e.delivery_state),
          delivery_state_at = CASE WHEN u.ds IS NOT NULL AND u.ds <> e.delivery_state THEN ${now}
                                   ELSE e.delivery_state_at END
        FROM unnest(${col('endpointId')}::text[], ${col('lastSuccessAt')}::bigint[], ${col('lastFailureAt')}::bigint[],
          ${col('trailingFailures')}::int[], ${col('firstTrailingFailureAt')}::bigint[],
          ${health.map((h) => h.deliveryState ?? null)}::int[]) AS u(id, s, f, t, ff, ds)
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

  async beat(owner: string, now: number, startedAt: number): Promise<void> {
    await sql`INSERT INTO worker (owner, started_at, heartbeat_at) VALUES (${owner}, ${startedAt}, ${now})
      ON CONFLICT (owner) DO UPDATE SET heartbeat_at = GREATEST(worker.heartbeat_at, excluded.heartbeat_at)`.execute(
      this.heartbeatDb,
    );
  }

  async releaseDead(now: number, deadBefore: number): Promise<{ owners: string[]; released: number }> {
    // Every worker runs this every beat: almost always a look at a few rows and nothing to do.
    const { rows: stale } = await sql<{ owner: string }>`
      SELECT owner FROM worker WHERE heartbeat_at < ${deadBefore}`.execute(this.db);
    if (stale.length === 0) return { owners: [], released: 0 };
    return this.db.transaction().execute(async (trx) => {
      // Checked again under the row lock: a worker that beat meanwhile is alive after all.
      const { rows: dead } = await sql<{ owner: string }>`
        DELETE FROM worker WHERE owner = ANY(${stale.map((r) => r.owner)}::text[]) AND heartbeat_at < ${deadBefore}
        RETURNING owner`.execute(trx);
      const owners = dead.map((r) => r.owner);
      if (owners.length === 0) return { owners, released: 0 };
      // Leased rows are due at their lease's end, so the partial due index finds them (rare: a death).
      const result = await sql`
        UPDATE delivery SET due_at = ${now}, updated_at = ${now}
        WHERE due_at > ${now} AND lease_owner = ANY(${owners}::text[])`.execute(trx);
      return { owners, released: Number(result.numAffectedRows ?? 0) };
    });
  }

  async releaseUnheld(owner: string, heldIds: string[], now: number): Promise<number> {
    // Leased rows are due at their lease's end, so the due index finds them (rare: after an outage).
    const result = await sql`
      UPDATE delivery SET due_at = ${now}, updated_at = ${now}
      WHERE due_at > ${now} AND lease_owner = ${owner} AND NOT (id = ANY(${heldIds}::text[]))`.execute(
      this.db,
    );
    return Number(result.numAffectedRows ?? 0);
  }

  async leave(owner: string): Promise<void> {
    await sql`DELETE FROM worker WHERE owner = ${owner}`.execute(this.heartbeatDb);
  }
}
