import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/backends.js';
import { eventually, startTestHerald, TEST_ADMIN_TOKEN, type TestHerald } from '../support/herald.js';
import { type Receiver, type ScriptedResponse, startReceiver } from '../support/receiver.js';
import { callApi } from './api-client.js';
import { expectApiError, FLAVOURS, type SvixClient, unique } from './sdk-flavours.js';

/**
 * The official Svix SDKs (both majors) drive the delivery side of Herald's API over a real
 * socket: messages, message attempts, endpoint stats, recover and replays, background tasks,
 * send-example, and the operations no SDK method covers (message events, raw payload).
 */

const STATUS = { success: 0, fail: 2 } as const;
const MANUAL = 1;
const RECEIVER_BODY = 'receiver-said-ok';

for (const backend of BACKENDS) {
  for (const flavour of FLAVOURS) {
    describe(`${backend}: the ${flavour.name} SDK sends messages and reads their delivery`, () => {
      let herald: TestHerald;
      let receiver: Receiver;
      let svix: SvixClient;
      /** Answers per path prefix; paths not listed get a 200. */
      const answers = new Map<string, ScriptedResponse>();

      beforeAll(async () => {
        herald = await startTestHerald(backend, { checkSvixSchemas: true });
        receiver = await startReceiver();
        receiver.respondWith((req) => {
          for (const [prefix, answer] of answers) if (req.path.startsWith(prefix)) return answer;
          return { status: 200, body: RECEIVER_BODY };
        });
        svix = flavour.client(TEST_ADMIN_TOKEN, herald.url);
        for (const name of ['invoice.paid', 'invoice.failed']) {
          await svix.eventType.create({ name, description: name }).catch((err: { code?: number }) => {
            if (err.code !== 409) throw err;
          });
        }
      });
      // Every answer the SDK got satisfies Svix's published OpenAPI document (test/conformance/svix-openapi.ts).
      afterEach(() => {
        expect(herald.svixViolations.splice(0)).toEqual([]);
      });
      afterAll(async () => {
        await herald?.stop();
        await receiver?.close();
      });

      /** An application with an endpoint that answers 200 and one that answers 500 (until told otherwise). */
      async function appWithEndpoints() {
        const app = await svix.application.create({ name: 'Acme', uid: unique('app') });
        const path = `/${unique('t')}`;
        const ok = await svix.endpoint.create(app.id, { url: receiver.url(`${path}/ok`) });
        const failing = await svix.endpoint.create(app.id, { url: receiver.url(`${path}/fail`) });
        answers.set(`${path}/fail`, { status: 500, body: 'receiver-said-no' });
        const requestsTo = (suffix: string) =>
          receiver.requests.filter((r) => r.path === `${path}/${suffix}`);
        const heal = () => answers.delete(`${path}/fail`);
        return { app, ok, failing, requestsTo, heal };
      }

      /** Waits until every delivery of `msgId` has ended (success or retries exhausted). */
      const settled = (appId: string, msgId: string) =>
        eventually(async () => {
          const destinations = await svix.messageAttempt.listAttemptedDestinations(appId, msgId);
          return destinations.data.length > 0 &&
            destinations.data.every((d) => d.status === 0 || d.status === 2)
            ? destinations
            : null;
        }, 20_000);

      it('creates a message that reaches the endpoint, and lists and gets it by id and by eventId', async () => {
        const { app, requestsTo } = await appWithEndpoints();
        const eventId = unique('evt');
        const msg = await svix.message.create(app.id, {
          eventType: 'invoice.paid',
          eventId,
          payload: { invoice: 'in_1', amount: 1200 },
          tags: ['billing'],
        });
        expect(msg.id).toMatch(/^msg_/);
        expect(msg).toMatchObject({ eventType: 'invoice.paid', eventId });
        expect(msg.timestamp).toBeInstanceOf(Date);
        await eventually(() => requestsTo('ok').length === 1);
        expect(JSON.parse(requestsTo('ok')[0]?.body ?? '')).toEqual({ invoice: 'in_1', amount: 1200 });
        expect(requestsTo('ok')[0]?.headers['webhook-id']).toBe(msg.id);

        const listed = await svix.message.list(app.id, { withContent: true });
        expect(listed.data.map((m) => m.id)).toEqual([msg.id]);
        expect(listed.data[0]?.payload).toEqual({ invoice: 'in_1', amount: 1200 });
        const byId = await svix.message.get(app.id, msg.id, { withContent: true });
        expect(byId.payload).toEqual({ invoice: 'in_1', amount: 1200 });
        expect(byId.tags).toEqual(['billing']);
        expect((await svix.message.get(app.id, eventId)).id).toBe(msg.id);
        await expectApiError(
          flavour,
          svix.message.create(app.id, { eventType: 'invoice.paid', eventId, payload: {} }),
          409,
        );
        await expectApiError(flavour, svix.message.get(app.id, 'msg_missing'), 404);
      });

      it("expunges a message's content", async () => {
        const { app } = await appWithEndpoints();
        const msg = await svix.message.create(app.id, {
          eventType: 'invoice.paid',
          payload: { secret: 'pii' },
        });
        await svix.message.expungeContent(app.id, msg.id);
        const read = await svix.message.get(app.id, msg.id, { withContent: true });
        // What Svix answers for an expunged payload (its e2e_message test_expunge_message_payload).
        expect(read.payload).toEqual({ expired: true });
      });

      it('lists attempts by endpoint and by message, attempted messages and destinations, and gets one', async () => {
        const { app, ok, failing } = await appWithEndpoints();
        const msg = await svix.message.create(app.id, { eventType: 'invoice.paid', payload: { n: 1 } });
        const destinations = await settled(app.id, msg.id);
        const statusOf = Object.fromEntries(destinations.data.map((d) => [d.id, d.status]));
        expect(statusOf).toEqual({ [ok.id]: STATUS.success, [failing.id]: STATUS.fail });

        const byOk = await svix.messageAttempt.listByEndpoint(app.id, ok.id);
        expect(byOk.data).toHaveLength(1);
        expect(byOk.data[0]).toMatchObject({
          msgId: msg.id,
          endpointId: ok.id,
          responseStatusCode: 200,
          status: 0,
        });
        const byFailing = await svix.messageAttempt.listByEndpoint(app.id, failing.id, { status: 2 });
        expect(byFailing.data.length).toBeGreaterThan(1);
        expect(byFailing.data.every((a) => a.responseStatusCode === 500)).toBe(true);

        const byMsg = await svix.messageAttempt.listByMsg(app.id, msg.id);
        expect(new Set(byMsg.data.map((a) => a.endpointId))).toEqual(new Set([ok.id, failing.id]));
        const onlyOk = await svix.messageAttempt.listByMsg(app.id, msg.id, { endpointId: ok.id });
        expect(onlyOk.data.map((a) => a.endpointId)).toEqual([ok.id]);

        const attempted = await svix.messageAttempt.listAttemptedMessages(app.id, failing.id);
        expect(attempted.data.map((m) => [m.id, m.status])).toEqual([[msg.id, STATUS.fail]]);

        const attempt = byOk.data[0];
        const one = await svix.messageAttempt.get(app.id, msg.id, attempt?.id as string);
        expect(one).toMatchObject({ id: attempt?.id, msgId: msg.id, endpointId: ok.id, url: ok.url });
        expect(one.response).toBe(RECEIVER_BODY);
        expect(one.timestamp).toBeInstanceOf(Date);
        await expectApiError(
          flavour,
          svix.messageAttempt.get(app.id, msg.id, `atmpt_${'0'.repeat(27)}`),
          404,
        );
      });

      it("expunges an attempt's stored response", async () => {
        const { app, ok } = await appWithEndpoints();
        const msg = await svix.message.create(app.id, { eventType: 'invoice.paid', payload: { n: 2 } });
        await settled(app.id, msg.id);
        const [attempt] = (await svix.messageAttempt.listByEndpoint(app.id, ok.id, { withContent: true }))
          .data;
        expect(attempt?.response).toBe(RECEIVER_BODY);
        await svix.messageAttempt.expungeContent(app.id, msg.id, attempt?.id as string);
        const read = await svix.messageAttempt.get(app.id, msg.id, attempt?.id as string);
        expect(read.response).not.toContain(RECEIVER_BODY);
      });

      it('resends a message to an endpoint as a manual attempt', async () => {
        const { app, failing, requestsTo, heal } = await appWithEndpoints();
        const msg = await svix.message.create(app.id, { eventType: 'invoice.paid', payload: { n: 3 } });
        await settled(app.id, msg.id);
        heal();
        await svix.messageAttempt.resend(app.id, msg.id, failing.id);
        const manual = await eventually(async () => {
          const attempts = await svix.messageAttempt.listByMsg(app.id, msg.id, { endpointId: failing.id });
          return attempts.data.find((a) => a.triggerType === MANUAL && a.responseStatusCode === 200);
        });
        expect(manual.status).toBe(STATUS.success);
        expect(requestsTo('fail').at(-1)?.headers['webhook-id']).toBe(msg.id);
      });

      it('reports endpoint stats', async () => {
        const { app, ok, failing } = await appWithEndpoints();
        const msg = await svix.message.create(app.id, { eventType: 'invoice.paid', payload: { n: 4 } });
        await settled(app.id, msg.id);
        const okStats = await svix.endpoint.getStats(app.id, ok.id);
        expect(okStats).toEqual({ success: 1, pending: 0, sending: 0, fail: 0, canceled: 0 });
        const failStats = await svix.endpoint.getStats(app.id, failing.id);
        expect(failStats).toMatchObject({ success: 0, fail: 1 });
      });

      it('recovers failed messages since a time, as a background task the SDK can read', async () => {
        const since = new Date(Date.now() - 60_000);
        const { app, failing, heal } = await appWithEndpoints();
        const msg = await svix.message.create(app.id, { eventType: 'invoice.paid', payload: { n: 5 } });
        await settled(app.id, msg.id);
        heal();
        const task = await svix.endpoint.recover(app.id, failing.id, { since });
        expect(task.id).toMatch(/^qtask_/);
        expect(task.task).toBe('endpoint.recover');
        expect(task.updatedAt).toBeInstanceOf(Date);
        await eventually(async () => {
          const attempts = await svix.messageAttempt.listByMsg(app.id, msg.id, { endpointId: failing.id });
          return attempts.data.some((a) => a.triggerType === MANUAL && a.responseStatusCode === 200);
        });
        const finished = await eventually(async () => {
          const read = await svix.backgroundTask.get(task.id);
          return read.status === 'finished' ? read : null;
        });
        expect(finished.task).toBe('endpoint.recover');
        expect((await svix.backgroundTask.list()).data.map((t) => t.id)).toContain(task.id);
        await expectApiError(flavour, svix.backgroundTask.get(`qtask_${'0'.repeat(27)}`), 404);
      });

      it('replays the messages an endpoint missed', async () => {
        const since = new Date(Date.now() - 60_000);
        const { app, ok } = await appWithEndpoints();
        const msg = await svix.message.create(app.id, { eventType: 'invoice.paid', payload: { n: 6 } });
        await settled(app.id, msg.id);
        const path = `/${unique('late')}`;
        const late = await svix.endpoint.create(app.id, { url: receiver.url(path) });
        const task = await svix.endpoint.replayMissing(app.id, late.id, { since });
        expect(task.task).toBe('endpoint.replay');
        const [request] = await eventually(async () => {
          const got = receiver.requests.filter((r) => r.path === path);
          return got.length > 0 ? got : null;
        });
        expect(request?.headers['webhook-id']).toBe(msg.id);
        // What the first endpoint already received is not sent again.
        expect((await svix.messageAttempt.listByEndpoint(app.id, ok.id)).data).toHaveLength(1);
      });

      it('bulk-replays the failed messages of an endpoint', async () => {
        const since = new Date(Date.now() - 60_000);
        const { app, failing, heal } = await appWithEndpoints();
        const msg = await svix.message.create(app.id, { eventType: 'invoice.paid', payload: { n: 7 } });
        await settled(app.id, msg.id);
        heal();
        const task = await svix.endpoint.bulkReplay(app.id, failing.id, { since, status: 2 });
        expect(task.task).toBe('endpoint.bulk-replay');
        await eventually(async () => {
          const attempts = await svix.messageAttempt.listByMsg(app.id, msg.id, { endpointId: failing.id });
          return attempts.data.some((a) => a.responseStatusCode === 200);
        });
      });

      it('sends the example of an event type to one endpoint', async () => {
        const name = unique('order.created');
        await svix.eventType.create({
          name,
          description: 'An order was created',
          schemas: {
            1: { type: 'object', properties: { order: { type: 'string' } }, examples: [{ order: 'ord_1' }] },
          },
        });
        const { app, ok, requestsTo } = await appWithEndpoints();
        const msg = await svix.endpoint.sendExample(app.id, ok.id, { eventType: name });
        expect(msg.eventType).toBe(name);
        const [request] = await eventually(() => (requestsTo('ok').length > 0 ? requestsTo('ok') : null));
        expect(JSON.parse(request?.body ?? '')).toEqual({ order: 'ord_1' });
        expect(requestsTo('fail')).toHaveLength(0);
      });

      it('reads the message events stream and a raw payload (operations without an SDK method)', async () => {
        const { app } = await appWithEndpoints();
        const msg = await svix.message.create(app.id, {
          eventType: 'invoice.failed',
          payload: { raw: true },
        });
        // The feed serves a message once it has settled (a second by default), so poll as a consumer would.
        const events = await eventually(async () => {
          const page = await callApi(herald.url, TEST_ADMIN_TOKEN, 'GET', `/api/v1/app/${app.id}/events`);
          return page.status !== 200 || page.body.data.length > 0 ? page : null;
        });
        expect(events.status).toBe(200);
        expect(events.body.data.map((m: { id: string }) => m.id)).toEqual([msg.id]);
        expect(typeof events.body.iterator).toBe('string');
        expect(typeof events.body.done).toBe('boolean');
        const raw = await callApi(
          herald.url,
          TEST_ADMIN_TOKEN,
          'GET',
          `/api/v1/app/${app.id}/msg/${msg.id}/raw`,
        );
        expect(raw.status).toBe(200);
        expect(JSON.parse(raw.body.payload)).toEqual({ raw: true });
      });
    });
  }
}
