import { verify } from '@herald/verify';
import { beforeEach, describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/backends.js';
import { eventually, type TestHerald } from '../support/herald.js';
import type { ReceivedRequest, Receiver } from '../support/receiver.js';
import { heraldWithOperationalReceiver } from '../support/scenario.js';

for (const backend of BACKENDS) {
  describe(`${backend}: ordered delivery`, () => {
    const scenario = heraldWithOperationalReceiver(backend, {
      HERALD_RETRY_SCHEDULE: '0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1',
    });
    let herald: TestHerald;
    let receiver: Receiver;
    let ops: Receiver;
    let n = 0;
    let app = '';
    beforeEach(async () => {
      ({ herald, receiver, ops } = scenario);
      app = `ordered${++n}`;
      await herald.api('POST', '/api/v1/app', { name: app, uid: app });
    });

    async function endpoint(fields: Record<string, unknown> = {}) {
      const path = `/ep${++n}`;
      const res = await herald.api('POST', `/api/v1/app/${app}/endpoint`, {
        url: receiver.url(path),
        ...fields,
      });
      expect(res.status).toBe(201);
      return { id: res.body.id as string, path };
    }
    /** Publishes `messages` in batches of 1,000, one batch after another's answer: publish order. */
    async function publish(messages: { orderingKey?: string; payload: Record<string, unknown> }[]) {
      const ids: string[] = [];
      for (let i = 0; i < messages.length; i += 1_000) {
        const batch = messages.slice(i, i + 1_000).map((m) => ({ eventType: 'test.event', ...m }));
        const res = await herald.api('POST', `/api/v1/app/${app}/msg/batch`, { messages: batch });
        expect(res.status).toBe(200);
        for (const r of res.body.data as { status: number; message: { id: string } }[]) {
          expect(r.status).toBe(202);
          ids.push(r.message.id);
        }
      }
      return ids;
    }
    /** What the receiver answered each request (by its `n`), for telling accepted from refused. */
    const answered = new Map<number, number>();
    function answer(status: (req: ReceivedRequest) => number) {
      answered.clear();
      receiver.respondWith((req) => {
        answered.set(req.n, status(req));
        return { status: answered.get(req.n) };
      });
    }
    /** The message ids each key's receiver accepted (200), first acceptance only, in arrival order. */
    function acceptedByKey(accepted: ReceivedRequest[]): Map<string, string[]> {
      const seen = new Set<string>();
      const keys = new Map<string, string[]>();
      for (const req of accepted) {
        const id = req.headers['webhook-id'] as string;
        if (seen.has(id)) continue;
        seen.add(id);
        const { key } = JSON.parse(req.body) as { key: string };
        keys.set(key, [...(keys.get(key) ?? []), id]);
      }
      return keys;
    }

    it("delivers every key's messages in publish order through random failures, no key waiting for another's retries", async () => {
      const ep = await endpoint({ ordering: 'fifo' });
      const tried = new Set<string>();
      answer((req) => {
        const id = req.headers['webhook-id'] as string;
        const first = !tried.has(id);
        tried.add(id);
        return first && Math.random() < 0.2 ? 503 : 200;
      });
      const messages = Array.from({ length: 5_000 }, (_, i) => ({
        orderingKey: `k${i % 100}`,
        payload: { key: `k${i % 100}`, i },
      }));
      const ids = await publish(messages);
      await receiver.waitForRequests(5_000, 60_000);
      const accepted = await eventually(() => {
        const ok = receiver.requests.filter((r) => answered.get(r.n) === 200 && r.path === ep.path);
        return new Set(ok.map((r) => r.headers['webhook-id'])).size === 5_000 && ok;
      }, 60_000);
      const expected = new Map<string, string[]>();
      messages.forEach((m, i) => {
        expected.set(m.orderingKey, [...(expected.get(m.orderingKey) ?? []), ids[i]!]);
      });
      expect(acceptedByKey(accepted)).toEqual(expected);
      // While one key's head waited for its retry, other keys were delivered.
      const failed = receiver.requests.find((r) => r.path === ep.path && answered.get(r.n) === 503)!;
      const failedKey = (JSON.parse(failed.body) as { key: string }).key;
      const retry = receiver.requests.find(
        (r) => r.n > failed.n && r.headers['webhook-id'] === failed.headers['webhook-id'],
      )!;
      const meanwhile = receiver.requests.filter(
        (r) => r.n > failed.n && r.n < retry.n && (JSON.parse(r.body) as { key: string }).key !== failedKey,
      );
      expect(meanwhile.length).toBeGreaterThan(0);
    }, 120_000);

    /** Answers 500 to the message of `key` number `i` until `fixed`, 200 to everything else. */
    function failing(key: string, i: number) {
      const state = { fixed: false };
      answer((req) => {
        const body = JSON.parse(req.body) as { key: string; i: number };
        return !state.fixed && body.key === key && body.i === i ? 500 : 200;
      });
      return state;
    }
    const keyed = (key: string, count: number) =>
      Array.from({ length: count }, (_, i) => ({ orderingKey: key, payload: { key, i } }));
    const accepted = (path: string) =>
      acceptedByKey(receiver.requests.filter((r) => r.path === path && answered.get(r.n) === 200));
    const opsEvents = (type: string) =>
      ops.requests
        .map((r) => JSON.parse(r.body) as { type: string; data: Record<string, unknown> })
        .filter((e) => e.type === type);

    it('blocks a key whose head exhausts its retries, says so, keeps the other keys flowing, and resumes it in order on recover', async () => {
      const ep = await endpoint({ ordering: 'fifo' });
      const poison = failing('stuck', 0);
      const stuck = await publish(keyed('stuck', 3));
      const free = await publish(keyed('free', 2));
      const [blocked] = await eventually(
        () =>
          opsEvents('endpoint.ordering_key.blocked').length > 0 && opsEvents('endpoint.ordering_key.blocked'),
      );
      expect(blocked!.data).toMatchObject({ msgId: stuck[0], orderingKey: 'stuck', endpointId: ep.id });
      await eventually(() => accepted(ep.path).get('free')?.length === 2);
      expect(accepted(ep.path).get('stuck')).toBeUndefined();
      const stats = await herald.api('GET', `/api/v1/app/${app}/endpoint/${ep.id}/stats`);
      expect(stats.body.ordering).toMatchObject({
        blockedKeys: 1,
        oldestBlocked: { msgId: stuck[0], orderingKey: 'stuck' },
      });
      const metrics = await (await fetch(`${herald.url}/metrics`)).text();
      expect(metrics).toMatch(/^herald_ordering_blocked_keys [1-9]/m);

      poison.fixed = true;
      const since = new Date(Date.now() - 60_000).toISOString();
      expect(
        (await herald.api('POST', `/api/v1/app/${app}/endpoint/${ep.id}/recover`, { since })).status,
      ).toBe(202);
      await eventually(() => accepted(ep.path).get('stuck')?.length === 3);
      expect(accepted(ep.path).get('stuck')).toEqual(stuck);
      expect(accepted(ep.path).get('free')).toEqual(free);
    }, 30_000);

    it("skips a head that exhausts its retries on a key that skips, says so, and delivers the key's next messages in order", async () => {
      const ep = await endpoint({ ordering: 'fifo', fifoOnExhausted: 'skip' });
      failing('k', 1);
      const ids = await publish(keyed('k', 4));
      await eventually(() => accepted(ep.path).get('k')?.length === 3);
      expect(accepted(ep.path).get('k')).toEqual([ids[0], ids[2], ids[3]]);
      expect(opsEvents('endpoint.ordering_key.skipped').map((e) => e.data.msgId)).toEqual([ids[1]]);
    }, 30_000);

    it('keeps an unordered endpoint of the same application flowing beside a FIFO endpoint stuck on its heads', async () => {
      const stuck = await endpoint({ ordering: 'fifo' });
      const plain = await endpoint();
      answer((req) => (req.path === stuck.path ? 503 : 200));
      const started = Date.now();
      await publish(
        Array.from({ length: 200 }, (_, i) => ({
          orderingKey: `k${i % 2}`,
          payload: { key: `k${i % 2}`, i },
        })),
      );
      await eventually(
        () => accepted(plain.path).size === 2 && [...accepted(plain.path).values()].flat().length === 200,
        10_000,
      );
      expect(Date.now() - started).toBeLessThan(10_000);
      // The FIFO endpoint was only ever offered each key's head.
      const tried = new Set(
        receiver.requests.filter((r) => r.path === stuck.path).map((r) => r.headers['webhook-id']),
      );
      expect(tried.size).toBe(2);
    }, 30_000);

    it('sends a batching key as JSON arrays of consecutive messages, signed once, and records what each attempt carried', async () => {
      const ep = await endpoint({ ordering: 'fifo', fifoBatchSize: 5 });
      const { key: secret } = (await herald.api('GET', `/api/v1/app/${app}/endpoint/${ep.id}/secret`))
        .body as { key: string };
      answer(() => 200);
      const ids = await publish(keyed('b', 12));
      const mine = () => receiver.requests.filter((r) => r.path === ep.path);
      await eventually(() => mine().flatMap((r) => JSON.parse(r.body) as unknown[]).length === 12);
      const bodies = mine().map((r) => verify(r.body, r.headers, secret) as { i: number }[]);
      expect(bodies.flat().map((p) => p.i)).toEqual([...Array(12).keys()]);
      expect(Math.max(...bodies.map((b) => b.length))).toBeLessThanOrEqual(5);
      const first = mine()[0]!;
      const carried = first.headers['herald-batch-message-ids']!.split(',');
      expect(carried).toEqual(ids.slice(0, carried.length));
      expect(first.headers['webhook-id']).toBe(`${carried[0]}..${carried.at(-1)}`);
      const attempts = await herald.api('GET', `/api/v1/app/${app}/attempt/msg/${ids[0]}`);
      expect(attempts.body.data[0].batchMsgIds).toEqual(carried);
    }, 30_000);

    it('sends a lone message of a batching key as an array of one, so its receiver parses one shape', async () => {
      const ep = await endpoint({ ordering: 'fifo', fifoBatchSize: 5 });
      const { key: secret } = (await herald.api('GET', `/api/v1/app/${app}/endpoint/${ep.id}/secret`))
        .body as { key: string };
      answer(() => 200);
      const [id] = await publish(keyed('lone', 1));
      const mine = () => receiver.requests.filter((r) => r.path === ep.path);
      await eventually(() => mine().length === 1);
      const [request] = mine();
      expect(verify(request!.body, request!.headers, secret)).toEqual([{ key: 'lone', i: 0 }]);
      expect(request!.headers['herald-batch-message-ids']).toBe(id);
      expect(request!.headers['webhook-id']).toBe(`${id}..${id}`);
    });

    it("keeps every key's order through a disabled spell, sending the held messages in order once enabled", async () => {
      const ep = await endpoint({ ordering: 'fifo', disabled: true });
      answer(() => 200);
      const messages = Array.from({ length: 10 }, (_, i) => ({
        orderingKey: `k${i % 2}`,
        payload: { key: `k${i % 2}`, i },
      }));
      const ids = await publish(messages);
      await new Promise((r) => setTimeout(r, 300));
      expect(receiver.requests.filter((r) => r.path === ep.path)).toEqual([]);
      await herald.api('PATCH', `/api/v1/app/${app}/endpoint/${ep.id}`, { disabled: false });
      await eventually(() => [...accepted(ep.path).values()].flat().length === 10);
      expect(accepted(ep.path)).toEqual(
        new Map([
          ['k0', ids.filter((_, i) => i % 2 === 0)],
          ['k1', ids.filter((_, i) => i % 2 === 1)],
        ]),
      );
    }, 30_000);
  });
}
