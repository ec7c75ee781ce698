/**
 * A0, the API's limit: a bare Fastify server that takes Herald's publish request (bearer
 * token, same JSON body), parses it, and answers 202 with a body of the size Herald's
 * MessageOut has, storing nothing. Forked by the driver; reports `{ready, port}`, exits when told to.
 */
import { randomBytes } from 'node:crypto';
import Fastify from 'fastify';
import { BENCH_ADMIN_TOKEN } from '../payload.js';

const AUTHORIZATION = `Bearer ${BENCH_ADMIN_TOKEN}`;
const app = Fastify({ logger: false });

app.post<{ Params: { app_id: string }; Body: { eventType: string; payload: unknown } }>(
  '/api/v1/app/:app_id/msg',
  async (request, reply) => {
    if (request.headers.authorization !== AUTHORIZATION)
      return reply.code(401).send({ code: 'unauthorized', detail: 'Invalid token.' });
    const { eventType, payload } = request.body;
    // Herald's MessageOut, field for field: a message id of Herald's length and the payload back.
    return reply.code(202).send({
      id: `msg_${randomBytes(20).toString('base64url').slice(0, 27)}`,
      eventId: null,
      eventType,
      payload,
      channels: null,
      tags: null,
      timestamp: new Date().toISOString(),
      deliverAt: null,
    });
  },
);

await app.listen({ host: '127.0.0.1', port: 0 });
process.send?.({ ready: true, port: (app.server.address() as { port: number }).port });
process.on('message', (msg) => {
  if ((msg as { cmd?: string }).cmd === 'exit') void app.close().then(() => process.exit(0));
});
process.on('disconnect', () => process.exit(0));
