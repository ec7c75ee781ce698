import type SqliteDatabase from 'better-sqlite3';
import type { Kysely } from 'kysely';
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
import type { WithoutFsync } from './commits.js';
import type { WriteLock } from './write-lock.js';

const CLAIMED_COLUMNS = `
  d.id, d.msg_id AS msgId, d.endpoint_id AS endpointId, d.app_id AS appId, d.attempt_count AS attemptCount,
  d.trigger_type AS triggerType, m.event_type AS eventType, m.event_id AS eventId, m.payload,
  m.created_at AS msgCreatedAt, m.trace_parent AS traceParent, m.request_id AS requestId, e.url, e.uid AS endpointUid, a.uid AS appUid,
  e.headers AS endpointHeaders, e.secrets AS endpointSecrets, e.disabled AS endpointDisabled,
  e.throttle_rate AS endpointThrottleRate, e.updated_at AS endpointUpdatedAt, d.ordering_key AS orderingKey,
  e.fifo_on_exhausted AS fifoOnExhausted, e.fifo_batch_size AS fifoBatchSize`;

/** Which due endpoints are FIFO, and their batch size (their claim walks keys: src/store/fifo-claim.ts). */
const FIFO_BATCH_SIZE = `CASE WHEN e.ordering = 'fifo' THEN e.fifo_batch_size END AS fifoBatchSize`;

/**
 * The queue's hot paths on SQLite, as prepared statements run in synchronous
 * transactions (better-sqlite3 is synchronous: one transaction per batch costs one fsync).
 */
export class SqliteQueue implements QueueStore {
  readonly #db: Kysely<Database>;
  readonly #raw: SqliteDatabase.Database;
  #statements: ReturnType<typeof prepareStatements> | undefined;
  readonly #rotation = new ClaimRotation();

  constructor(
    db: Kysely<Database>,
    raw: SqliteDatabase.Database,
    private readonly withoutFsync: WithoutFsync,
    /** Shared with another thread on the same file (`herald serve`), taken around every write. */
    private readonly writeLock: WriteLock | null = null,
  ) {
    this.#db = db;
    this.#raw = raw;
  }

  claim(
    owner: string,
    limit: number,
    now: number,
    leaseUntil: number,
    shares?: ClaimShares,
    only?: readonly string[],
  ): Promise<ClaimedDelivery[]> {
    return this.#exclusive((s) =>
      s.claim(
        owner,
        limit,
        now,
        leaseUntil,
        shares ?? {},
        this.#rotation,
        only ? JSON.stringify(only) : null,
      ),
    );
  }

  complete(
    outcomes: DeliveryOutcome[],
    health: EndpointHealth[],
    now: number,
  ): Promise<EndpointHealthAfter[]> {
    return this.#exclusive((s) => s.complete(outcomes, health, now));
  }

  renew(owner: string, ids: string[], leaseUntil: number): Promise<void> {
    return this.#exclusive((s) => {
      s.renew.run({ owner, ids: JSON.stringify(ids), leaseUntil });
    });
  }

  nextDueAt(): Promise<number | null> {
    return this.#exclusive((s) => (s.nextDue.get() as { next: number | null }).next, true);
  }

  beat(owner: string, now: number, startedAt: number): Promise<void> {
    return this.#exclusive((s) => {
      s.heartbeat.beat.run({ owner, now, startedAt });
    });
  }

  releaseDead(now: number, deadBefore: number): Promise<{ owners: string[]; released: number }> {
    return this.#exclusive((s) => s.heartbeat.releaseDead(now, deadBefore));
  }

  releaseUnheld(owner: string, heldIds: string[], now: number): Promise<number> {
    return this.#exclusive((s) => s.releaseUnheld.run({ owner, held: JSON.stringify(heldIds), now }).changes);
  }

  leave(owner: string): Promise<void> {
    return this.#exclusive((s) => {
      s.heartbeat.leave.run({ owner });
    });
  }

  /**
   * Runs `fn` holding Kysely's connection, so no async Kysely transaction is open meanwhile, and,
   * unless it only reads, the write lock shared with another thread on the same file.
   */
  #exclusive<T>(fn: (statements: ReturnType<typeof prepareStatements>) => T, reads = false): Promise<T> {
    // Prepared on first use: the tables do not exist before the first migration.
    this.#statements ??= prepareStatements(this.#raw);
    const statements = this.#statements;
    const lock = reads ? null : this.writeLock;
    return this.#db.connection().execute(async () => {
      await lock?.acquire();
      try {
        // The queue's own commits (claims, outcomes) skip the fsync: the next fsync of the log (a
        // publish's) or a checkpoint makes them durable, and a power cut before that only makes a
        // delivery due again — at least once still holds.
        // Measured: the commit share of the worker fell from 23% to 9% of its time.
        return this.withoutFsync(() => fn(statements));
      } finally {
        lock?.release();
      }
    });
  }
}

function prepareStatements(raw: SqliteDatabase.Database) {
  // The fair claim (src/store/fair-claim.ts): a skip-scan of delivery_endpoint_due for the
  // endpoints owed something (one index probe each), kept if their earliest row is due...
  const dueEndpoints = raw.prepare(`
    WITH RECURSIVE owed(id) AS (
      SELECT (SELECT endpoint_id FROM delivery WHERE due_at IS NOT NULL ORDER BY endpoint_id LIMIT 1)
      UNION ALL
      SELECT (SELECT endpoint_id FROM delivery WHERE due_at IS NOT NULL AND endpoint_id > owed.id
              ORDER BY endpoint_id LIMIT 1)
      FROM owed WHERE owed.id IS NOT NULL
    )
    SELECT owed.id AS endpointId, e.app_id AS appId, ${FIFO_BATCH_SIZE}
    FROM owed JOIN endpoint e ON e.id = owed.id
    WHERE (SELECT min(due_at) FROM delivery WHERE endpoint_id = owed.id AND due_at IS NOT NULL) <= @now`);
  // Or only the endpoints named (a publish's), each kept if it has a due row: one probe each.
  const dueAmong = raw.prepare(`
    SELECT e.id AS endpointId, e.app_id AS appId, ${FIFO_BATCH_SIZE} FROM endpoint e
    WHERE e.id IN (SELECT value FROM json_each(@only))
      AND EXISTS (SELECT 1 FROM delivery d WHERE d.endpoint_id = e.id AND d.due_at IS NOT NULL AND d.due_at <= @now)`);
  // ...then each planned endpoint's earliest due rows, a range of the same index.
  const dueIds = raw.prepare(`
    SELECT id, lease_owner AS previousOwner FROM delivery
    WHERE endpoint_id = @endpointId AND due_at <= @now AND due_at IS NOT NULL ORDER BY due_at LIMIT @take`);
  const claimIds = raw.prepare(`
    UPDATE delivery SET due_at = @leaseUntil, lease_owner = @owner, status = ${STATUS.sending}, updated_at = @now
    WHERE id IN (SELECT value FROM json_each(@ids))`);
  const claimed = raw.prepare(`
    SELECT ${CLAIMED_COLUMNS}
    FROM delivery d JOIN message m ON m.id = d.msg_id JOIN endpoint e ON e.id = d.endpoint_id
    JOIN application a ON a.id = d.app_id
    WHERE d.id IN (SELECT value FROM json_each(@ids))`);
  // An attempt of a message deleted meanwhile (with its application) is dropped, not a foreign
  // key error that would fail the whole batch, other applications' outcomes with it.
  const insertAttempt = raw.prepare(`
    INSERT INTO attempt (id, msg_id, endpoint_id, app_id, url, status, response_status_code, response,
      response_headers, request_headers, duration_ms, error_class, error_message, trigger_type, created_at, batch_msg_ids)
    SELECT @id, @msg_id, @endpoint_id, @app_id, @url, @status, @response_status_code, @response,
      @response_headers, @request_headers, @duration_ms, @error_class, @error_message, @trigger_type, @created_at,
      @batch_msg_ids
    WHERE EXISTS (SELECT 1 FROM message WHERE id = @msg_id)`);
  const updateDelivery = raw.prepare(`
    UPDATE delivery SET status = @status, attempt_count = @attemptCount, due_at = @dueAt,
      next_attempt_at = @nextAttemptAt, lease_owner = NULL, updated_at = @now,
      ordering_key = CASE WHEN @leavesLine = 1 OR @status = ${STATUS.success} THEN NULL ELSE ordering_key END
    WHERE id = @deliveryId AND lease_owner = @owner`);
  const updateHealth = raw.prepare(`
    UPDATE endpoint SET
      consecutive_failures = CASE WHEN @lastSuccessAt IS NOT NULL THEN @trailingFailures
                                  ELSE consecutive_failures + @trailingFailures END,
      first_failure_at = CASE WHEN @trailingFailures = 0 THEN NULL
                              WHEN @lastSuccessAt IS NOT NULL THEN @firstTrailingFailureAt
                              ELSE COALESCE(first_failure_at, @firstTrailingFailureAt) END,
      last_success_at = COALESCE(@lastSuccessAt, last_success_at),
      last_failure_at = COALESCE(@lastFailureAt, last_failure_at),
      delivery_state_at = CASE WHEN @deliveryState IS NOT NULL AND @deliveryState <> delivery_state THEN @now
                               ELSE delivery_state_at END,
      delivery_state = COALESCE(@deliveryState, delivery_state)
    WHERE id = @endpointId
    RETURNING id AS endpointId, first_failure_at AS firstFailureAt, consecutive_failures AS consecutiveFailures`);

  const fifoRows = prepareFifoClaim(raw);

  return {
    heartbeat: prepareHeartbeat(raw),
    // Prepared once: \`raw.pragma()\` prepares anew on every call, twice per queue operation.
    nextDue: raw.prepare('SELECT MIN(due_at) AS next FROM delivery WHERE due_at IS NOT NULL'),
    renew: raw.prepare(
      'UPDATE delivery SET due_at = @leaseUntil WHERE id IN (SELECT value FROM json_each(@ids)) AND lease_owner = @owner',
    ),
    releaseUnheld: raw.prepare(`
      UPDATE delivery SET due_at = @now, updated_at = @now
      WHERE due_at > @now AND lease_owner = @owner AND id NOT IN (SELECT value FROM json_each(@held))`),
    claim: writeTransaction(
      raw,
      (
        owner: string,
        limit: number,
        now: number,
        leaseUntil: number,
        shares: ClaimShares,
        rotation: ClaimRotation,
        only: string | null,
      ): ClaimedDelivery[] => {
        const owed = (
          only === null ? dueEndpoints.all({ now }) : dueAmong.all({ only, now })
        ) as DueEndpoint[];
        const fifo = new Map(owed.map((e) => [e.endpointId, e.fifoBatchSize ?? null]));
        const fair = new FairClaim(owed, limit, shares, rotation);
        type Due = { id: string; previousOwner: string | null; take: EndpointTake; rank: number };
        const due: Due[] = [];
        for (let plan = fair.plan(); plan; plan = fair.plan()) {
          const round: Due[] = [];
          const got = new Map<string, number>();
          for (const take of plan) {
            const batchSize = fifo.get(take.endpointId) ?? null;
            const rows =
              batchSize === null
                ? (dueIds.all({ endpointId: take.endpointId, now, take: take.take }) as DueRow[]).map(
                    (row, rank) => ({ row, rank }),
                  )
                : fifoRows(take.endpointId, take.take, batchSize, now);
            got.set(take.endpointId, rows.length);
            for (const { row, rank } of rows) round.push({ ...row, take, rank });
          }
          // Leased at once, so the next round's reads pass over them.
          claimIds.run({ owner, now, leaseUntil, ids: JSON.stringify(round.map((r) => r.id)) });
          due.push(
            ...fairOrder(
              round,
              (r) => r.take,
              (r) => r.rank,
            ),
          );
          fair.took(plan, got);
        }
        if (due.length === 0) return [];
        const ids = JSON.stringify(due.map((r) => r.id));
        const rows = new Map(
          (
            claimed.all({ ids }) as (Omit<ClaimedDelivery, 'endpointDisabled' | 'reclaimed'> & {
              endpointDisabled: number;
            })[]
          ).map((row) => [row.id, row]),
        );
        return due.flatMap((r) => {
          const row = rows.get(r.id);
          if (!row) return [];
          return [
            { ...row, endpointDisabled: row.endpointDisabled === 1, reclaimed: r.previousOwner !== null },
          ];
        });
      },
    ),
    complete: writeTransaction(
      raw,
      (outcomes: DeliveryOutcome[], health: EndpointHealth[], now: number): EndpointHealthAfter[] => {
        for (const outcome of outcomes) {
          if (outcome.attempt) insertAttempt.run(outcome.attempt);
          updateDelivery.run({
            leavesLine: outcome.leavesLine ? 1 : 0,
            status: outcome.status,
            attemptCount: outcome.attemptCount,
            dueAt: outcome.dueAt,
            nextAttemptAt: outcome.nextAttemptAt,
            now,
            deliveryId: outcome.deliveryId,
            owner: outcome.owner,
          });
        }
        return health
          .map(
            (h) =>
              updateHealth.get({ ...h, deliveryState: h.deliveryState ?? null, now }) as
                | EndpointHealthAfter
                | undefined,
          )
          .filter((h) => h !== undefined);
      },
    ),
  };
}

type DueRow = { id: string; previousOwner: string | null };

/**
 * A FIFO endpoint's part of a claim (src/store/fifo-claim.ts): its keys walked in `delivery_line`,
 * one probe per key, and a run taken behind each due head. Synchronous, inside the claim's
 * transaction: SQLite has one writer, so no other claim can see these heads before they are leased.
 */
function prepareFifoClaim(raw: SqliteDatabase.Database) {
  const head = `SELECT ordering_key AS key, id, seq, due_at AS dueAt FROM delivery
    WHERE endpoint_id = @endpointId AND ordering_key IS NOT NULL`;
  const firstHead = raw.prepare(`${head} ORDER BY ordering_key, seq LIMIT 1`);
  const nextHead = raw.prepare(`${head} AND ordering_key > @after ORDER BY ordering_key, seq LIMIT 1`);
  const run = raw.prepare(`
    SELECT id, lease_owner AS previousOwner, due_at AS dueAt FROM delivery
    WHERE endpoint_id = @endpointId AND ordering_key = @key AND seq >= @seq ORDER BY seq LIMIT @n`);
  const rotation = new KeyRotation();
  type Head = { key: string; id: string; seq: number; dueAt: number | null };
  const isDue = (dueAt: number | null, now: number) => dueAt !== null && dueAt <= now;

  return (endpointId: string, take: number, batchSize: number, now: number) => {
    const after = rotation.keyAfter(endpointId);
    const wanted = headsWanted(take, batchSize);
    let budget = probeBudget(take);
    const heads: LineHead[] = [];
    // From after the key served last to the end, then from the start up to that key.
    const passes =
      after === undefined
        ? [[undefined, undefined]]
        : [
            [after, undefined],
            [undefined, after],
          ];
    for (const [from, until] of passes) {
      let cursor = from;
      while (heads.length < wanted && budget-- > 0) {
        const found = (
          cursor === undefined ? firstHead.get({ endpointId }) : nextHead.get({ endpointId, after: cursor })
        ) as Head | undefined;
        if (!found || (until !== undefined && found.key > until)) break;
        if (isDue(found.dueAt, now)) heads.push({ key: found.key, id: found.id, seq: found.seq });
        cursor = found.key;
      }
    }
    rotation.advance(endpointId, heads);
    const n = runLength(take, heads.length, batchSize);
    const runs = heads.map((h) => {
      const rows = run.all({ endpointId, key: h.key, seq: h.seq, n }) as (DueRow & {
        dueAt: number | null;
      })[];
      // A run stops at the first delivery that is not due: nothing may overtake it.
      const cut = rows.findIndex((r) => !isDue(r.dueAt, now));
      return (cut < 0 ? rows : rows.slice(0, cut)).map(({ id, previousOwner }) => ({ id, previousOwner }));
    });
    const ranks = runRanks(runs);
    return runs.flat().map((row) => ({ row, rank: ranks.get(row) as number }));
  };
}

/** Worker heartbeats (0005): a beat, the release of dead workers' leases, and a clean leave. */
function prepareHeartbeat(raw: SqliteDatabase.Database) {
  const stale = raw.prepare('SELECT owner FROM worker WHERE heartbeat_at < @deadBefore');
  const forget = raw.prepare(
    'DELETE FROM worker WHERE owner IN (SELECT value FROM json_each(@owners)) AND heartbeat_at < @deadBefore',
  );
  // Leased rows are due at their lease's end, so the partial due index finds them (rare: a death).
  const releaseLeases = raw.prepare(`
    UPDATE delivery SET due_at = @now, updated_at = @now
    WHERE due_at > @now AND lease_owner IN (SELECT value FROM json_each(@owners))`);
  return {
    beat: raw.prepare(`
      INSERT INTO worker (owner, started_at, heartbeat_at) VALUES (@owner, @startedAt, @now)
      ON CONFLICT (owner) DO UPDATE SET heartbeat_at = MAX(heartbeat_at, excluded.heartbeat_at)`),
    leave: raw.prepare('DELETE FROM worker WHERE owner = @owner'),
    releaseDead: writeTransaction(raw, (now: number, deadBefore: number) => {
      const owners = (stale.all({ deadBefore }) as { owner: string }[]).map((r) => r.owner);
      if (owners.length === 0) return { owners, released: 0 };
      const list = JSON.stringify(owners);
      forget.run({ owners: list, deadBefore });
      const { changes } = releaseLeases.run({ now, owners: list });
      return { owners, released: changes };
    }),
  };
}

/**
 * A better-sqlite3 transaction that takes the write lock when it begins (BEGIN IMMEDIATE). A
 * deferred one reads first and upgrades at its first write; when another connection wrote in
 * between (\`herald serve\`'s API and worker threads each have one), SQLite refuses the upgrade
 * with SQLITE_BUSY at once, without waiting the busy timeout.
 */
export function writeTransaction<A extends unknown[], R>(
  raw: SqliteDatabase.Database,
  fn: (...args: A) => R,
): (...args: A) => R {
  return raw.transaction(fn).immediate;
}
