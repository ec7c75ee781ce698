import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { STATUS } from '../../src/store/schema.js';
import { BACKENDS } from '../support/backends.js';
import { eventually } from '../support/herald.js';
import { heraldWithReceiver } from '../support/scenario.js';

// PostgreSQL only: SQLite has one writer at a time, so the two cannot hold each other's rows.
for (const backend of BACKENDS.filter((b) => b === 'postgres')) {
  describe(`${backend}: deleting an endpoint while another transaction holds its deliveries`, () => {
    const scenario = heraldWithReceiver(backend);

    it('answers 204, not 503, though the two deadlock (the delete is tried again)', async () => {
      const { herald, receiver } = scenario;
      const db = herald.ctx.store.db;
      await herald.api('POST', '/api/v1/app', { name: 'contended', uid: 'contended' });
      const ep = await herald.api('POST', '/api/v1/app/contended/endpoint', { url: receiver.url('/c') });
      await herald.api('POST', '/api/v1/app/contended/msg', { eventType: 'e', payload: {} });
      await receiver.waitForRequests(1);
      const delivery = await db
        .selectFrom('delivery')
        .select('id')
        .where('endpoint_id', '=', ep.body.id)
        .executeTakeFirstOrThrow();
      // The worker's outcome write is done, so the transaction below is the delete's only contender.
      await eventually(async () => {
        const row = await db
          .selectFrom('delivery')
          .select('status')
          .where('id', '=', delivery.id)
          .executeTakeFirst();
        return row?.status === STATUS.success;
      }, 5_000);
      const deadlocks = async () =>
        Number(
          (
            await sql<{
              n: string;
            }>`SELECT deadlocks AS n FROM pg_stat_database WHERE datname = current_database()`.execute(db)
          ).rows[0]?.n,
        );
      const deadlocksBefore = await deadlocks();

      let deleting: ReturnType<typeof herald.api> | undefined;
      // A delivery's row first, then the endpoint's: the other way round from the delete. Herald's
      // own writes take the endpoint's row first (test/store/queue/endpoint-delete.test.ts); SQL run by
      // hand, say, may not.
      await db.transaction().execute(async (trx) => {
        // The side whose deadlock_timeout runs out first finds the deadlock and gives way: this
        // one waits 10 s, so the loser is the delete (1 s, the default).
        await sql`SET LOCAL deadlock_timeout = '10s'`.execute(trx);
        await trx
          .updateTable('delivery')
          .set({ updated_at: Date.now() })
          .where('id', '=', delivery.id)
          .execute();
        deleting = herald.api('DELETE', `/api/v1/app/contended/endpoint/${ep.body.id}`);
        // The delete has locked the endpoint's row and waits for the delivery's.
        await eventually(async () => {
          const { rows } = await sql<{ n: string }>`
            SELECT count(*) AS n FROM pg_stat_activity
            WHERE wait_event_type = 'Lock' AND query ILIKE 'delete from "endpoint"%'`.execute(db);
          return Number(rows[0]?.n) > 0;
        }, 5_000);
        await trx
          .updateTable('endpoint')
          .set({ updated_at: Date.now() })
          .where('id', '=', ep.body.id)
          .execute();
      });

      expect((await deleting)?.status).toBe(204);
      expect(await deadlocks()).toBeGreaterThan(deadlocksBefore);
      expect((await herald.api('GET', `/api/v1/app/contended/endpoint/${ep.body.id}`)).status).toBe(404);
    }, 20_000);
  });
}
