import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { STATUS } from '../../src/store/schema.js';
import { BACKENDS } from '../support/backends.js';
import { eventually } from '../support/herald.js';
import { openPgSession, type PgSession } from '../support/pg-session.js';
import { heraldWithReceiver } from '../support/scenario.js';

for (const backend of BACKENDS) {
  describe(`${backend}: ordering fields of endpoints and messages`, () => {
    const scenario = heraldWithReceiver(backend, { worker: false });
    let n = 0;

    async function appWithEndpoint(fields: Record<string, unknown> = {}) {
      const app = `ord${++n}`;
      await scenario.herald.api('POST', '/api/v1/app', { name: app, uid: app });
      const res = await scenario.herald.api('POST', `/api/v1/app/${app}/endpoint`, {
        url: scenario.receiver.url('/'),
        ...fields,
      });
      return { app, res };
    }
    const lineKeys = (endpointId: string) =>
      scenario.herald.ctx.store.db
        .selectFrom('delivery')
        .select('ordering_key')
        .where('endpoint_id', '=', endpointId)
        .orderBy('msg_id')
        .execute()
        .then((rows) => rows.map((r) => r.ordering_key));

    it('answers the ordering fields, with their defaults, and keeps them on a PUT that leaves them out', async () => {
      const { app, res } = await appWithEndpoint();
      expect(res.body).toMatchObject({ ordering: 'none', fifoOnExhausted: 'block', fifoBatchSize: 1 });
      const id = res.body.id as string;
      const patched = await scenario.herald.api('PATCH', `/api/v1/app/${app}/endpoint/${id}`, {
        ordering: 'fifo',
        fifoOnExhausted: 'skip',
        fifoBatchSize: 50,
      });
      expect(patched.body).toMatchObject({ ordering: 'fifo', fifoOnExhausted: 'skip', fifoBatchSize: 50 });
      const put = await scenario.herald.api('PUT', `/api/v1/app/${app}/endpoint/${id}`, {
        url: scenario.receiver.url('/moved'),
      });
      expect(put.body).toMatchObject({ ordering: 'fifo', fifoOnExhausted: 'skip', fifoBatchSize: 50 });
    });

    it('refuses unknown ordering values with a 422 naming the field', async () => {
      for (const [field, value] of [
        ['ordering', 'lifo'],
        ['fifoOnExhausted', 'retry'],
        ['fifoBatchSize', 101],
        ['fifoBatchSize', 0],
      ] as const) {
        const { res } = await appWithEndpoint({ [field]: value });
        expect(res.status).toBe(422);
        expect(res.body.detail[0].loc).toEqual(['body', field]);
      }
      const { app } = await appWithEndpoint();
      const msg = await scenario.herald.api('POST', `/api/v1/app/${app}/msg`, {
        eventType: 'e',
        payload: {},
        orderingKey: '',
      });
      expect(msg.status).toBe(422);
    });

    it('answers a message with its orderingKey, and without one when it has none', async () => {
      const { app } = await appWithEndpoint();
      const keyed = await scenario.herald.api('POST', `/api/v1/app/${app}/msg`, {
        eventType: 'e',
        payload: {},
        orderingKey: 'sub_1',
      });
      expect(keyed.body.orderingKey).toBe('sub_1');
      const fetched = await scenario.herald.api('GET', `/api/v1/app/${app}/msg/${keyed.body.id}`);
      expect(fetched.body.orderingKey).toBe('sub_1');
      const plain = await scenario.herald.api('POST', `/api/v1/app/${app}/msg`, {
        eventType: 'e',
        payload: {},
      });
      expect(plain.body).not.toHaveProperty('orderingKey');
    });

    it("moves a live endpoint's owed deliveries into their keys' lines when it becomes FIFO, and out again", async () => {
      const { app, res } = await appWithEndpoint();
      const id = res.body.id as string;
      for (const orderingKey of ['a', undefined, 'b'])
        await scenario.herald.api('POST', `/api/v1/app/${app}/msg`, {
          eventType: 'e',
          payload: {},
          orderingKey,
        });
      expect(await lineKeys(id)).toEqual([null, null, null]);
      await scenario.herald.api('PATCH', `/api/v1/app/${app}/endpoint/${id}`, { ordering: 'fifo' });
      expect(await lineKeys(id)).toEqual(['a', '', 'b']);
      await scenario.herald.api('POST', `/api/v1/app/${app}/msg`, {
        eventType: 'e',
        payload: {},
        orderingKey: 'c',
      });
      expect(await lineKeys(id)).toEqual(['a', '', 'b', 'c']);
      await scenario.herald.api('PATCH', `/api/v1/app/${app}/endpoint/${id}`, { ordering: 'none' });
      expect(await lineKeys(id)).toEqual([null, null, null, null]);
    });

    // PostgreSQL only: there other processes publish and claim while an endpoint's `ordering` changes
    // (SQLite has one writer, which the change holds for its one transaction).
    if (backend === 'postgres') {
      const db = () => scenario.herald.ctx.store.db;
      /** Deliveries the endpoint is owed that are in no line (none, once a switch to FIFO is done). */
      const outsideLines = async (endpointId: string) =>
        Number(
          (
            await db()
              .selectFrom('delivery')
              .select((eb) => eb.fn.countAll<number>().as('n'))
              .where('endpoint_id', '=', endpointId)
              .where('status', 'in', [STATUS.pending, STATUS.sending])
              .where('ordering_key', 'is', null)
              .executeTakeFirstOrThrow()
          ).n,
        );
      /**
       * What `work` resolves to; fails if it ends up waiting, directly or not, for the lock `held` holds
       * (the switch waits for that lock: anything waiting behind the switch waits for it too).
       */
      async function notHeldUp<T>(held: PgSession, work: Promise<T>): Promise<T> {
        let settled: { value: T } | { error: unknown } | undefined;
        work.then(
          (value) => {
            settled = { value };
          },
          (error) => {
            settled = { error };
          },
        );
        await eventually(async () => settled !== undefined || (await held.waitingBehind()) > 1);
        expect(settled, 'it waited behind the change of ordering').toBeDefined();
        if (settled && 'error' in settled) throw settled.error;
        return (settled as { value: T }).value;
      }

      it("lets other applications publish and be claimed while an endpoint's switch to FIFO moves its backlog", async () => {
        const { app, res } = await appWithEndpoint();
        const id = res.body.id as string;
        // 20,000 owed deliveries over 100 keys, written straight to the tables (publishing them takes long).
        const { app_id: appId } = await db()
          .selectFrom('endpoint')
          .select('app_id')
          .where('id', '=', id)
          .executeTakeFirstOrThrow();
        await sql`
          INSERT INTO message (id, app_id, event_type, payload, created_at, payload_expires_at, ordering_key)
          SELECT ${`msg_${id}_`} || lpad(i::text, 5, '0'), ${appId}, 'e', '{}', 0, 9999999999999, 'k' || (i % 100)
          FROM generate_series(1, 20000) AS i`.execute(db());
        await sql`
          INSERT INTO delivery (id, msg_id, endpoint_id, app_id, status, attempt_count, due_at, trigger_type,
            created_at, updated_at)
          SELECT 'dlv_' || m.id, m.id, ${id}, ${appId}, ${STATUS.pending}, 0, 0, 0, 0, 0
          FROM message m WHERE m.id LIKE ${`msg_${id}_%`}`.execute(db());
        const other = await appWithEndpoint();
        const otherId = other.res.body.id as string;
        const held = await openPgSession(scenario.herald.db.url);
        try {
          // Another transaction holds one of the backlog's rows: the switch waits for it mid-move.
          await held.query('BEGIN');
          await held.query(
            'SELECT id FROM delivery WHERE endpoint_id = $1 ORDER BY id DESC LIMIT 1 FOR UPDATE',
            [id],
          );
          let switched = false;
          const switching = scenario.herald
            .api('PATCH', `/api/v1/app/${app}/endpoint/${id}`, { ordering: 'fifo' })
            .finally(() => {
              switched = true;
            });
          await eventually(async () => (await held.waitingBehind()) > 0);
          const published = await notHeldUp(
            held,
            scenario.herald.api('POST', `/api/v1/app/${other.app}/msg`, { eventType: 'e', payload: {} }),
          );
          expect(published.status).toBe(202);
          const now = Date.now();
          const claimed = await notHeldUp(
            held,
            scenario.herald.ctx.store.queue.claim('w', 10, now, now + 60_000, {}, [otherId]),
          );
          expect(claimed.map((d) => d.msgId)).toEqual([published.body.id]);
          expect(switched).toBe(false);
          await held.query('ROLLBACK');
          expect((await switching).status).toBe(200);
        } finally {
          await held.close();
        }
        expect(await outsideLines(id)).toBe(0);
        const stats = await scenario.herald.api('GET', `/api/v1/app/${app}/endpoint/${id}/stats`);
        expect(stats.body.ordering).toMatchObject({ waitingKeys: 100, blockedKeys: 0 });
      });

      for (const [from, to, key] of [
        ['none', 'fifo', 'k'],
        ['fifo', 'none', null],
      ] as const)
        it(`treats as ${to} the delivery of a publish that read the endpoint as ${from} and committed after the switch to ${to}`, async () => {
          const { app, res } = await appWithEndpoint({ ordering: from });
          const id = res.body.id as string;
          const second = await scenario.herald.api('POST', `/api/v1/app/${app}/endpoint`, {
            url: scenario.receiver.url('/second'),
          });
          const held = await openPgSession(scenario.herald.db.url);
          try {
            // Holding the second endpoint's row, so the publish waits to write its delivery there,
            // having read both endpoints (the first one as `from`) and written the one to the first.
            await held.query('BEGIN');
            await held.query('SELECT id FROM endpoint WHERE id = $1 FOR UPDATE', [second.body.id]);
            const publishing = scenario.herald.api('POST', `/api/v1/app/${app}/msg`, {
              eventType: 'e',
              payload: {},
              orderingKey: 'k',
            });
            await eventually(async () => (await held.waitingBehind()) > 0);
            const switching = scenario.herald.api('PATCH', `/api/v1/app/${app}/endpoint/${id}`, {
              ordering: to,
            });
            await eventually(async () => {
              const row = await db()
                .selectFrom('endpoint')
                .select('ordering')
                .where('id', '=', id)
                .executeTakeFirst();
              return row?.ordering === to;
            });
            await held.query('COMMIT');
            expect((await publishing).status).toBe(202);
            expect((await switching).status).toBe(200);
          } finally {
            await held.close();
          }
          expect(await lineKeys(id)).toEqual([key]);
        });
    }
  });
}
