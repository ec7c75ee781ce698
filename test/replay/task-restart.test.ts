import { afterEach, describe, expect, it } from 'vitest';
import { newId } from '../../src/core/ids.js';
import { replayWindow } from '../../src/domains/background-task/jobs.js';
import { openStore } from '../../src/store/open.js';
import { BACKENDS } from '../support/backends.js';
import { eventually, startTestHerald } from '../support/herald.js';
import { startReceiver } from '../support/receiver.js';
import {
  createApp,
  createEndpoint,
  endpointMessageStatuses,
  messageIds,
  publishMany,
  sleep,
  waitForTask,
} from './support.js';

for (const backend of BACKENDS) {
  describe(`${backend}: background tasks survive a restart`, () => {
    const stops: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const stop of stops.splice(0).reverse()) await stop();
    });
    const start = async (options: Parameters<typeof startTestHerald>[1]) => {
      const herald = await startTestHerald(backend, options);
      // Stopped at most once: a test stops one midway, and cleanup stops the rest.
      const stopOnce = herald.stop.bind(herald);
      let stopping: Promise<void> | null = null;
      const stop = () => {
        stopping ??= stopOnce();
        return stopping;
      };
      stops.push(stop);
      return Object.assign(herald, { stop });
    };
    const receive = async () => {
      const receiver = await startReceiver();
      stops.push(() => receiver.close());
      return receiver;
    };

    it('resumes a task whose runner died after the last batch it recorded, and leaves a live lease alone', async () => {
      const receiver = await receive();
      const first = await start({ tasks: false, keepDatabase: true });
      const appId = await createApp(first);
      const ids = await publishMany(first, appId, 10);
      const endpointId = await createEndpoint(first, appId, { url: receiver.url('/resumed') });
      const now = Date.now();
      const task = (id: string, lease: { owner: string; until: number }, cursor: string | null) => ({
        id,
        task: 'endpoint.replay',
        status: 'running',
        app_id: appId,
        endpoint_id: endpointId,
        params: JSON.stringify(replayWindow(now - 60_000, now)),
        data: JSON.stringify({ processed: cursor ? 4 : 0, total: 10, count: cursor ? 4 : 0 }),
        created_at: now,
        updated_at: now,
        lease_owner: lease.owner,
        lease_until: lease.until,
        cursor,
      });
      // A runner that died (kill -9) after recording four messages: its lease ran out.
      const dead = newId('qtask');
      // A runner still alive elsewhere: its task is not to be touched.
      const alive = newId('qtask');
      await first.ctx.store.db
        .insertInto('background_task')
        .values([
          task(dead, { owner: 'gone:1:tasks', until: now - 1_000 }, ids[3]!),
          task(alive, { owner: 'elsewhere:2:tasks', until: now + 600_000 }, null),
        ])
        .execute();
      await first.stop();

      const second = await start({ database: first.db });
      const finished = await waitForTask(second, dead);
      expect(finished.status).toBe('finished');
      expect(finished.data).toMatchObject({ processed: 10, total: 10, count: 10 });
      await receiver.waitForRequests(6);
      await sleep(500);
      expect(messageIds(receiver.requests).sort()).toEqual(ids.slice(4));

      const untouched = await second.api('GET', `/api/v1/background-task/${alive}`);
      expect(untouched.body).toMatchObject({ status: 'running', data: { processed: 0 } });
      const row = await second.ctx.store.db
        .selectFrom('background_task')
        .select('lease_owner')
        .where('id', '=', alive)
        .executeTakeFirstOrThrow();
      expect(row.lease_owner).toBe('elsewhere:2:tasks');
    }, 60_000);

    it('a Herald stopped mid-replay gives its task back and the next one finishes it', async () => {
      const receiver = await receive();
      const first = await start({ keepDatabase: true });
      const appId = await createApp(first);
      const ids = await publishMany(first, appId, 40);
      // 14/s → replays at 10/s, two at a time: the task is mid-way for about four seconds.
      const endpointId = await createEndpoint(first, appId, { url: receiver.url('/slow'), throttleRate: 14 });
      const res = await first.api('POST', `/api/v1/app/${appId}/endpoint/${endpointId}/replay-missing`, {
        since: new Date(Date.now() - 60_000).toISOString(),
      });
      expect(res.status).toBe(202);
      await receiver.waitForRequests(1, 10_000);
      const midway = await first.api('GET', `/api/v1/background-task/${res.body.id}`);
      expect(midway.body.status).toBe('running');
      expect(midway.body.data.processed).toBeGreaterThan(0);
      expect(midway.body.data.processed).toBeLessThan(40);
      await first.stop();
      // Given back on the way out: no lease to wait out, and the cursor of the last batch.
      const store = await openStore({ databaseUrl: first.db.url });
      const row = await store.db
        .selectFrom('background_task')
        .selectAll()
        .where('id', '=', res.body.id)
        .executeTakeFirstOrThrow()
        .finally(() => store.close());
      expect(row).toMatchObject({ status: 'running', lease_owner: null, lease_until: null });
      expect(ids).toContain(row.cursor);

      const second = await start({ database: first.db });
      const finished = await waitForTask(second, res.body.id);
      expect(finished).toMatchObject({ status: 'finished', data: { processed: 40, total: 40, count: 40 } });
      // Every message was owed to the endpoint once, and between them the two Heralds
      // delivered each exactly once (the first finished its requests in flight on the way out).
      const statuses = await endpointMessageStatuses(second, appId, endpointId);
      expect([...statuses.keys()].sort()).toEqual(ids);
      await eventually(() => new Set(messageIds(receiver.requests)).size === ids.length, 20_000);
      await sleep(300);
      expect(messageIds(receiver.requests).sort()).toEqual(ids);
    }, 60_000);

    // Several Heralds share one database only on PostgreSQL.
    if (backend === 'postgres')
      it('with several Heralds on one PostgreSQL database, a task runs in one of them only', async () => {
        const receiver = await receive();
        const one = await start({ keepDatabase: true });
        // Registered first, so it runs last: after both Heralds stopped.
        stops.unshift(() => one.db.drop());
        const other = await start({ database: one.db, keepDatabase: true });
        const appId = await createApp(one);
        const ids = await publishMany(one, appId, 40);
        const endpointId = await createEndpoint(one, appId, {
          url: receiver.url('/shared'),
          throttleRate: 14,
        });
        const res = await one.api('POST', `/api/v1/app/${appId}/endpoint/${endpointId}/replay-missing`, {
          since: new Date(Date.now() - 60_000).toISOString(),
        });
        // The other Herald polls for tasks every second while this one holds it for seconds.
        const finished = await waitForTask(other, res.body.id);
        expect(finished.data).toMatchObject({ processed: 40, count: 40 });
        await eventually(() => new Set(messageIds(receiver.requests)).size === ids.length, 20_000);
        await sleep(300);
        expect(messageIds(receiver.requests).sort()).toEqual(ids);
        const ranIt = [one, other].filter((h) => h.logs.some((line) => line.includes(res.body.id)));
        expect(ranIt).toHaveLength(1);
      }, 60_000);
  });
}
