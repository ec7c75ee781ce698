import { type Kysely, type RawBuilder, sql, type Transaction } from 'kysely';
import { type Database, type EndpointOrdering, STATUS } from './schema.js';
import type { Dialect } from './store.js';

/** Which of an endpoint's deliveries a write puts in their keys' lines: by id, by message, or every one owed. */
export type LineRows = { ids: readonly string[] } | { msgIds: readonly string[] } | 'owed';

/** Arbitrary constant naming the advisory locks of line writes, one per endpoint (with its id's hash). */
const LINE_LOCK = 0x4c49_4e45;
/** How long a change of `ordering` waits at most for the transactions that may have read the old one. */
const SETTLE_LIMIT_MS = 30_000;

/**
 * The writes that put a FIFO endpoint's deliveries into their keys' lines, or take them out, other
 * than publishing (issue 22): resend, recover, the replays and a change of the endpoint's `ordering`.
 *
 * The claim (src/store/fifo-claim.ts) takes a key only at its head and only while the head is due,
 * so it needs every delivery of a key that a worker holds (status sending) at the front of its
 * line. Publishing keeps that for free: a new message comes last. A delivery put back in its line
 * at its publish order may come before the ones in flight (an older message resent or recovered
 * while its key's run is out, or a switch to FIFO while some of the endpoint's deliveries are being
 * sent); then it would be a due head, and a claim would take the key a second time. So a join moves
 * the key's taken deliveries ahead of everything else in its line, keeping their order (they get
 * the seqs just below the line's first other one): the joined delivery goes out right after them,
 * before the key's later messages.
 *
 * On PostgreSQL a join must also not race a claim. Line writes of one endpoint take an advisory
 * lock ({@link Lines.lock}), so they run one at a time. A join first writes (a no-op update) each
 * of its keys' current head: it waits for a claim that holds that head locked, so it sees the run
 * that claim leased, and it gives the head a new row version, which the claim's lock re-checks
 * (the walk's `xmin`): a claim that read the head before the join committed passes the key over.
 */
export class Lines {
  constructor(private readonly dialect: Dialect) {}

  /**
   * Starts an endpoint's line writes: first in the transaction, before any write to its deliveries
   * (on PostgreSQL it waits for the endpoint's other line writes to commit). Returns the endpoint's
   * `ordering` as it is now (undefined if it is gone): what the writes must follow.
   *
   * On PostgreSQL it also takes a key share lock on the endpoint's row, which waits only for the
   * endpoint's delete: the writes then take the endpoint's row before its deliveries, as the delete
   * does (its row, then the cascade), and the two cannot deadlock.
   */
  async lock(trx: Transaction<Database>, endpointId: string): Promise<EndpointOrdering | undefined> {
    let query = trx.selectFrom('endpoint').select('ordering').where('id', '=', endpointId);
    if (this.dialect === 'postgres') {
      await sql`SELECT pg_advisory_xact_lock(${LINE_LOCK}::int, hashtext(${endpointId}))`.execute(trx);
      query = query.forKeyShare();
    }
    return (await query.executeTakeFirst())?.ordering;
  }

  /**
   * Puts `rows` of a FIFO endpoint that are owed (pending or in flight) and in no line into their
   * keys' lines at their publish order, and keeps each key's deliveries taken by a worker at its
   * front. Under {@link lock}.
   */
  async join(trx: Transaction<Database>, endpointId: string, rows: LineRows): Promise<void> {
    if (rows !== 'owed' && ('ids' in rows ? rows.ids : rows.msgIds).length === 0) return;
    const chosen =
      rows === 'owed'
        ? sql`TRUE`
        : 'ids' in rows
          ? this.#among(sql.ref('delivery.id'), rows.ids)
          : this.#among(sql.ref('delivery.msg_id'), rows.msgIds);
    // Checked on the row the update writes too: on PostgreSQL one delivered meanwhile stays out.
    const outside = sql`delivery.endpoint_id = ${endpointId} AND delivery.ordering_key IS NULL
      AND delivery.status IN (${STATUS.pending}, ${STATUS.sending}) AND ${chosen}`;
    const { rows: found } = await sql<{ key: string }>`
      SELECT DISTINCT coalesce(m.ordering_key, '') AS key
      FROM delivery JOIN message m ON m.id = delivery.msg_id WHERE ${outside}`.execute(trx);
    if (found.length === 0) return;
    const keys = found.map((r) => r.key);
    if (this.dialect === 'postgres') await this.#writeHeads(trx, endpointId, keys);
    await sql`
      UPDATE delivery SET
        ordering_key = (SELECT coalesce(m.ordering_key, '') FROM message m WHERE m.id = delivery.msg_id),
        seq = (SELECT coalesce(m.seq, 0) FROM message m WHERE m.id = delivery.msg_id)
      WHERE ${outside}`.execute(trx);
    // A switch's join looks at every key with a delivery in flight; the others at their own keys.
    await this.#takenFirst(trx, endpointId, rows === 'owed' ? null : keys);
  }

  /** Takes every delivery of the endpoint out of its line (a switch to unordered). Under {@link lock}. */
  async leave(trx: Transaction<Database>, endpointId: string): Promise<void> {
    await trx
      .updateTable('delivery')
      .set({ ordering_key: null })
      .where('endpoint_id', '=', endpointId)
      .where('ordering_key', 'is not', null)
      .execute();
  }

  /** Moves every delivery the endpoint is owed into the lines (`to` FIFO) or out of them. Under {@link lock}. */
  async move(trx: Transaction<Database>, endpointId: string, to: EndpointOrdering): Promise<void> {
    if (to === 'fifo') await this.join(trx, endpointId, 'owed');
    else await this.leave(trx, endpointId);
  }

  /**
   * After a change of the endpoint's `ordering` to `to` committed (with its {@link move}): catches
   * the deliveries of publishes that read the old setting and committed after it. SQLite has one
   * writer, so there are none. On PostgreSQL, waits until every transaction that had written
   * something when it was called has ended (a publish writes its messages before it reads the
   * endpoints, src/domains/message/outbox.ts, so one that read the old setting is among them; the
   * other line writes take {@link lock} and read it after the change), then moves once more. Only
   * this endpoint's own writes wait: nothing is locked meanwhile. Returns false if the wait gave up
   * after {@link SETTLE_LIMIT_MS} (a transaction held open that long; it moved anyway).
   */
  async settle(db: Kysely<Database>, endpointId: string, to: EndpointOrdering): Promise<boolean> {
    if (this.dialect !== 'postgres') return true;
    const { rows } = await sql<{ xmax: string }>`
      SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS xmax`.execute(db);
    const xmax = rows[0]!.xmax;
    const giveUpAt = Date.now() + SETTLE_LIMIT_MS;
    let waited = true;
    for (;;) {
      const { rows: done } = await sql<{ ended: boolean }>`
        SELECT pg_snapshot_xmin(pg_current_snapshot()) >= ${xmax}::xid8 AS ended`.execute(db);
      if (done[0]!.ended) break;
      if (Date.now() > giveUpAt) {
        waited = false;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await db.transaction().execute(async (trx) => {
      if ((await this.lock(trx, endpointId)) === to) await this.move(trx, endpointId, to);
    });
    return waited;
  }

  /**
   * PostgreSQL: writes the current head of each of `keys` in the endpoint's lines (see the class
   * comment), once the claims holding them have committed. A head that left its line meanwhile (its
   * key's run finished) is not written: the next one is looked up and written, until every key's
   * head as it now is has been.
   */
  async #writeHeads(trx: Transaction<Database>, endpointId: string, keys: string[]): Promise<void> {
    for (;;) {
      const { rows } = await sql<{ heads: number; written: number }>`
        WITH heads AS (
          SELECT h.id FROM unnest(${keys}::text[]) AS k(key) CROSS JOIN LATERAL (
            SELECT id FROM delivery WHERE endpoint_id = ${endpointId} AND ordering_key = k.key
            ORDER BY ordering_key, seq LIMIT 1
          ) h
        ), written AS (
          UPDATE delivery d SET seq = d.seq FROM heads
          WHERE d.id = heads.id AND d.id = ANY(ARRAY(SELECT id FROM heads)) AND d.ordering_key IS NOT NULL
          RETURNING d.id
        )
        SELECT (SELECT count(*) FROM heads)::int AS heads, (SELECT count(*) FROM written)::int AS written`.execute(
        trx,
      );
      if (rows[0]!.written === rows[0]!.heads) return;
    }
  }

  /**
   * Moves the deliveries in flight (status sending) of the endpoint's `keys` (null: all) ahead of
   * the other deliveries of their line, where any of them is behind one: they get the seqs just
   * below the line's first other delivery, in their order. Reads the endpoint's deliveries in flight
   * and, per key, the head of its line: no walk of a long line.
   */
  async #takenFirst(trx: Transaction<Database>, endpointId: string, keys: string[] | null): Promise<void> {
    const ofKeys = keys === null ? sql`` : sql`AND ${this.#among(sql.ref('t.ordering_key'), keys)}`;
    await sql`
      WITH ahead AS (
        SELECT id, first_other - n + rank AS seq FROM (
          SELECT t.id,
            row_number() OVER (PARTITION BY t.ordering_key ORDER BY t.seq) - 1 AS rank,
            count(*) OVER (PARTITION BY t.ordering_key) AS n,
            max(t.seq) OVER (PARTITION BY t.ordering_key) AS last_taken,
            (SELECT o.seq FROM delivery o
              WHERE o.endpoint_id = t.endpoint_id AND o.ordering_key = t.ordering_key AND o.status <> ${STATUS.sending}
              ORDER BY o.ordering_key, o.seq LIMIT 1) AS first_other
          FROM delivery t
          WHERE t.endpoint_id = ${endpointId} AND t.status = ${STATUS.sending} AND t.ordering_key IS NOT NULL ${ofKeys}
        ) taken
        WHERE first_other < last_taken
      )
      UPDATE delivery SET seq = ahead.seq FROM ahead
      WHERE delivery.id = ahead.id AND ${this.#amongIds(sql.ref('delivery.id'), sql`SELECT id FROM ahead`)}`.execute(
      trx,
    );
  }

  /** `column` is one of `values`, bound as one parameter (a list of any length). */
  #among(column: RawBuilder<unknown>, values: readonly string[]) {
    return this.dialect === 'postgres'
      ? sql`${column} = ANY(${values}::text[])`
      : sql`${column} IN (SELECT value FROM json_each(${JSON.stringify(values)}))`;
  }

  /**
   * `column` is one of the ids `subquery` returns; on PostgreSQL as an array, so the planner looks
   * each row up by key rather than hashing a scan of the table.
   */
  #amongIds(column: RawBuilder<unknown>, subquery: RawBuilder<unknown>) {
    return this.dialect === 'postgres'
      ? sql`${column} = ANY(ARRAY(${subquery}))`
      : sql`${column} IN (${subquery})`;
  }
}
