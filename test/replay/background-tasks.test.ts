import { BackgroundTaskStatus, BackgroundTaskType, Svix } from 'svix1';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/backends.js';
import { startTestHerald, TEST_ADMIN_TOKEN, type TestHerald } from '../support/herald.js';
import { createApp, createEndpoint, waitForTask } from './support.js';

for (const backend of BACKENDS) {
  describe(`${backend}: background tasks API`, () => {
    let herald: TestHerald;
    let appA: string;
    let appB: string;
    let endpointA: string;
    let endpointB: string;
    const since = new Date(Date.now() - 3_600_000).toISOString();

    beforeAll(async () => {
      herald = await startTestHerald(backend);
      appA = await createApp(herald, 'A');
      appB = await createApp(herald, 'B');
      endpointA = await createEndpoint(herald, appA, { url: 'http://127.0.0.1:9/a' });
      endpointB = await createEndpoint(herald, appB, { url: 'http://127.0.0.1:9/b' });
    });
    afterAll(async () => {
      await herald?.stop();
    });

    it('lists tasks newest first with Svix filters and paging', async () => {
      const recover = await herald.api('POST', `/api/v1/app/${appA}/endpoint/${endpointA}/recover`, {
        since,
      });
      const replay = await herald.api('POST', `/api/v1/app/${appA}/endpoint/${endpointA}/replay-missing`, {
        since,
      });
      const dry = await herald.api('POST', `/api/v1/app/${appB}/endpoint/${endpointB}/bulk-replay`, {
        since,
        dryRun: true,
      });
      for (const res of [recover, replay, dry]) expect(res.status).toBe(202);
      await waitForTask(herald, recover.body.id);
      await waitForTask(herald, replay.body.id);

      const all = await herald.api('GET', '/api/v1/background-task');
      expect(all.status).toBe(200);
      const ids = all.body.data.map((t: { id: string }) => t.id);
      expect(ids.slice(0, 3)).toEqual([dry.body.id, replay.body.id, recover.body.id]);
      expect(all.body.data[0]).toMatchObject({
        task: 'endpoint.bulk-replay',
        status: 'finished',
        data: { dryRun: true, count: 0 },
      });

      const recovers = await herald.api('GET', '/api/v1/background-task?task=endpoint.recover');
      expect(recovers.body.data.map((t: { id: string }) => t.id)).toEqual([recover.body.id]);
      const finished = await herald.api('GET', '/api/v1/background-task?status=finished&order=ascending');
      expect(finished.body.data.map((t: { id: string }) => t.id)).toEqual([
        recover.body.id,
        replay.body.id,
        dry.body.id,
      ]);
      const first = await herald.api('GET', '/api/v1/background-task?limit=2');
      expect(first.body).toMatchObject({ done: false });
      expect(first.body.data).toHaveLength(2);
      const second = await herald.api(
        'GET',
        `/api/v1/background-task?limit=2&iterator=${first.body.iterator}`,
      );
      expect(second.body.data.map((t: { id: string }) => t.id)).toEqual([recover.body.id]);
      expect(second.body.done).toBe(true);
    });

    it("shows a portal token its own application's tasks only", async () => {
      const own = await herald.api('POST', `/api/v1/app/${appA}/endpoint/${endpointA}/recover`, { since });
      const other = await herald.api('POST', `/api/v1/app/${appB}/endpoint/${endpointB}/recover`, { since });
      const access = await herald.api('POST', `/api/v1/auth/app-portal-access/${appA}`, {});
      const auth = { authorization: `Bearer ${access.body.token}` };
      const list = await herald.api('GET', '/api/v1/background-task?limit=250', undefined, auth);
      expect(list.status).toBe(200);
      const ids = list.body.data.map((t: { id: string }) => t.id);
      expect(ids).toContain(own.body.id);
      expect(ids).not.toContain(other.body.id);
      expect(
        (await herald.api('GET', `/api/v1/background-task/${own.body.id}`, undefined, auth)).status,
      ).toBe(200);
      const foreign = await herald.api('GET', `/api/v1/background-task/${other.body.id}`, undefined, auth);
      expect(foreign.status).toBe(404);
      // Nor may it start one on another application's endpoint.
      const start = await herald.api(
        'POST',
        `/api/v1/app/${appB}/endpoint/${endpointB}/recover`,
        { since },
        auth,
      );
      expect(start.status).toBe(404);
    });

    it('answers 404 for an unknown task and 422 for a malformed id', async () => {
      const missing = await herald.api('GET', '/api/v1/background-task/qtask_000000000000000000000000000');
      expect(missing.status).toBe(404);
      const malformed = await herald.api('GET', '/api/v1/background-task/task-1');
      expect(malformed.status).toBe(422);
      expect(malformed.body.detail[0].loc).toContain('task_id');
    });

    it("drives recover and task status through Svix's SDK", async () => {
      const svix = new Svix(TEST_ADMIN_TOKEN, { serverUrl: herald.url });
      const out = await svix.endpoint.recover(appA, endpointA, { since: new Date(since) });
      expect(out.task).toBe(BackgroundTaskType.EndpointRecover);
      expect(out.id).toMatch(/^qtask_/);
      await waitForTask(herald, out.id);
      const task = await svix.backgroundTask.get(out.id);
      expect(task.status).toBe(BackgroundTaskStatus.Finished);
      expect(task.updatedAt).toBeInstanceOf(Date);
      const listed = await svix.backgroundTask.list({ task: BackgroundTaskType.EndpointRecover, limit: 250 });
      expect(listed.data.map((t) => t.id)).toContain(out.id);
      const replay = await svix.endpoint.replayMissing(appA, endpointA, { since: new Date(since) });
      expect(replay.task).toBe(BackgroundTaskType.EndpointReplay);
      const bulk = await svix.endpoint.bulkReplay(appA, endpointA, { since: new Date(since) });
      expect(bulk.task).toBe(BackgroundTaskType.EndpointBulkReplay);
    });
  });
}
