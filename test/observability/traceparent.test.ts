import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/backends.js';
import { startTestHerald, type TestHerald } from '../support/herald.js';
import { type Receiver, startReceiver } from '../support/receiver.js';

const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

for (const backend of BACKENDS) {
  describe(`${backend}: a W3C traceparent on the publish call continues into the receiver`, () => {
    let herald: TestHerald;
    let receiver: Receiver;

    beforeAll(async () => {
      herald = await startTestHerald(backend);
      receiver = await startReceiver();
      await herald.api('POST', '/api/v1/app', { name: 'Traced', uid: 'traced' });
      await herald.api('POST', '/api/v1/app/traced/endpoint', { url: receiver.url('/hook') });
    });
    afterAll(async () => {
      await herald?.stop();
      await receiver?.close();
    });

    it('sends the same traceparent on the first try and on every retry', async () => {
      let calls = 0;
      receiver.respondWith(() => (++calls === 1 ? { status: 503 } : { status: 200 }));
      const msg = await herald.api(
        'POST',
        '/api/v1/app/traced/msg',
        { eventType: 'trace.me', payload: { n: 1 } },
        { traceparent: TRACEPARENT },
      );
      expect(msg.status).toBe(202);
      const requests = await receiver.waitForRequests(2);
      expect(requests.map((r) => r.headers['webhook-id'])).toEqual([msg.body.id, msg.body.id]);
      expect(requests.map((r) => r.headers.traceparent)).toEqual([TRACEPARENT, TRACEPARENT]);
    });

    it('sends no traceparent when the publish call had none or an invalid one', async () => {
      receiver.reset();
      await herald.api('POST', '/api/v1/app/traced/msg', { eventType: 'trace.none', payload: {} });
      await herald.api(
        'POST',
        '/api/v1/app/traced/msg',
        { eventType: 'trace.bad', payload: {} },
        { traceparent: '00-not-a-trace-01' },
      );
      const requests = await receiver.waitForRequests(2);
      expect(requests.map((r) => r.headers.traceparent)).toEqual([undefined, undefined]);
    });
  });
}
