import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/backends.js';
import { eventually, startTestHerald, type TestHerald } from '../support/herald.js';
import { type Receiver, startReceiver } from '../support/receiver.js';

/** Concurrent publishes are stored together (group commit): each must still get exactly its own deliveries. */
for (const backend of BACKENDS) {
  describe(`${backend}: publishing many messages at once`, () => {
    let herald: TestHerald;
    let receiver: Receiver;

    beforeAll(async () => {
      herald = await startTestHerald(backend);
      receiver = await startReceiver();
      for (const app of ['batch-a', 'batch-b']) {
        expect((await herald.api('POST', '/api/v1/app', { name: app, uid: app })).status).toBe(201);
      }
      for (const type of ['order.created', 'order.paid', 'user.created']) {
        await herald.api('POST', '/api/v1/event-type', { name: type, description: type });
      }
      const endpoints = [
        { app: 'batch-a', path: '/a-all', filterTypes: null, channels: null },
        { app: 'batch-a', path: '/a-orders', filterTypes: ['order.created', 'order.paid'], channels: null },
        { app: 'batch-a', path: '/a-eu', filterTypes: null, channels: ['eu'] },
        { app: 'batch-b', path: '/b-all', filterTypes: null, channels: null },
        { app: 'batch-b', path: '/b-disabled', filterTypes: null, channels: null, disabled: true },
      ];
      for (const { app, path, ...rest } of endpoints) {
        const res = await herald.api('POST', `/api/v1/app/${app}/endpoint`, {
          url: receiver.url(path),
          ...rest,
        });
        expect(res.status).toBe(201);
      }
    });
    afterAll(async () => {
      await herald?.stop();
      await receiver?.close();
    });

    it('gives every message of a concurrent burst its own subscribers, across applications', async () => {
      const types = ['order.created', 'order.paid', 'user.created'];
      const sent = Array.from({ length: 60 }, (_, i) => ({
        app: i % 2 === 0 ? 'batch-a' : 'batch-b',
        eventType: types[i % 3]!,
        channels: i % 4 === 0 ? ['eu'] : undefined,
        payload: { i },
      }));
      const answers = await Promise.all(
        sent.map((m) =>
          herald.api('POST', `/api/v1/app/${m.app}/msg`, {
            eventType: m.eventType,
            channels: m.channels,
            payload: m.payload,
          }),
        ),
      );
      expect(answers.map((a) => a.status)).toEqual(sent.map(() => 202));
      const expected = new Map<string, number[]>();
      const expect1 = (path: string, i: number) => expected.set(path, [...(expected.get(path) ?? []), i]);
      sent.forEach((m, i) => {
        if (m.app === 'batch-a') {
          expect1('/a-all', i);
          if (m.eventType.startsWith('order.')) expect1('/a-orders', i);
          if (m.channels) expect1('/a-eu', i);
        } else expect1('/b-all', i);
      });
      const total = [...expected.values()].reduce((n, list) => n + list.length, 0);
      await eventually(() => receiver.requests.length >= total || null);
      await new Promise((r) => setTimeout(r, 200));
      const received = new Map<string, number[]>();
      for (const r of receiver.requests) {
        received.set(r.path, [...(received.get(r.path) ?? []), JSON.parse(r.body).i as number]);
      }
      for (const [path, list] of expected)
        expect([...(received.get(path) ?? [])].sort((x, y) => x - y)).toEqual(list);
      expect(received.has('/b-disabled')).toBe(false);
      // The disabled endpoint's deliveries are held, one per batch-b message.
      const held = await herald.ctx.store.db
        .selectFrom('delivery')
        .innerJoin('endpoint', 'endpoint.id', 'delivery.endpoint_id')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('endpoint.url', '=', receiver.url('/b-disabled'))
        .where('delivery.due_at', 'is', null)
        .executeTakeFirstOrThrow();
      expect(Number(held.n)).toBe(30);
    });

    it('answers 409 to all but one of concurrent messages with the same eventId, and stores the rest', async () => {
      receiver.reset();
      const bodies = Array.from({ length: 12 }, (_, i) => ({
        eventType: 'user.created',
        eventId: i < 6 ? 'same-event' : `unique-${i}`,
        payload: { i },
      }));
      const answers = await Promise.all(bodies.map((b) => herald.api('POST', '/api/v1/app/batch-b/msg', b)));
      const statuses = answers.map((a) => a.status);
      expect(statuses.slice(0, 6).filter((s) => s === 202)).toHaveLength(1);
      expect(statuses.slice(0, 6).filter((s) => s === 409)).toHaveLength(5);
      expect(statuses.slice(6)).toEqual([202, 202, 202, 202, 202, 202]);
      for (const a of answers.filter((x) => x.status === 409)) {
        expect(a.body).toMatchObject({ code: 'conflict' });
      }
      await eventually(() => receiver.requests.length >= 7 || null);
      await new Promise((r) => setTimeout(r, 200));
      expect(receiver.requests).toHaveLength(7);
    });
  });
}
