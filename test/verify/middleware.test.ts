import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { MemoryReplayStore } from '@herald/verify';
import type { WebhookMiddlewareOptions } from '@herald/verify/express';
import { verifyWebhook as expressVerifyWebhook } from '@herald/verify/express';
import { verifyWebhookPlugin } from '@herald/verify/fastify';
import { verifyWebhook as honoVerifyWebhook, type WebhookVariables } from '@herald/verify/hono';
import { serve } from '@hono/node-server';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { generateEndpointSecret, publicSecretForm } from '../../src/signing/secrets.js';
import { signatureHeader, webhookHeaders } from '../../src/signing/sign.js';

/** A receiver on a real socket: every handler call is recorded, and its answer can be set. */
interface Receiver {
  url: string;
  handled: unknown[];
  answer: { status: number };
  close(): Promise<void>;
}

type StartReceiver = (secret: string | string[], options?: WebhookMiddlewareOptions) => Promise<Receiver>;

const startExpress: StartReceiver = async (secret, options) => {
  const handled: unknown[] = [];
  const answer = { status: 200 };
  const app = express();
  app.post('/hook', express.raw({ type: '*/*' }), expressVerifyWebhook(secret, options), (req, res) => {
    handled.push(req.webhook);
    res.status(answer.status).json({ received: true });
  });
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hook`, handled, answer, close: () => closeServer(server) };
};

const startFastify: StartReceiver = async (secret, options) => {
  const handled: unknown[] = [];
  const answer = { status: 200 };
  const app = Fastify();
  try {
    await app.register(async (scope) => {
      await scope.register(verifyWebhookPlugin, { ...options, secret });
      scope.post('/hook', async (request, reply) => {
        handled.push(request.webhook);
        return reply.code(answer.status).send({ received: true });
      });
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
  } catch (err) {
    await app.close();
    throw err;
  }
  const { port } = app.server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hook`, handled, answer, close: () => app.close() };
};

const startHono: StartReceiver = async (secret, options) => {
  const handled: unknown[] = [];
  const answer = { status: 200 };
  const app = new Hono<{ Variables: WebhookVariables }>();
  app.post('/hook', honoVerifyWebhook(secret, options), (c) => {
    handled.push(c.get('webhook'));
    return c.json({ received: true }, answer.status as 200);
  });
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hook`, handled, answer, close: () => closeServer(server) };
};

function closeServer(server: { close(cb: (err?: Error) => void): void }): Promise<void> {
  return new Promise((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
}

const FRAMEWORKS = [
  { name: 'express', start: startExpress },
  { name: 'fastify', start: startFastify },
  { name: 'hono', start: startHono },
];

let receivers: Receiver[] = [];
afterEach(async () => {
  await Promise.all(receivers.map((r) => r.close()));
  receivers = [];
});

function signed(secrets: string[], body: string, options: { id?: string; offsetSeconds?: number } = {}) {
  const id = options.id ?? `msg_${Math.random().toString(36).slice(2)}`;
  const ts = Math.floor(Date.now() / 1000) + (options.offsetSeconds ?? 0);
  return webhookHeaders(id, ts, signatureHeader(id, ts, body, secrets), { svixCompat: true });
}

async function post(url: string, body: string, headers: Record<string, string>) {
  const response = await fetch(url, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', ...headers },
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

// Unusual whitespace, key order and number spelling: any parse-and-re-serialise step would change
// these bytes and break the signature.
const AWKWARD_BODY =
  '{ "type" :"invoice.paid",\n\t"data":{"zeta":1, "alpha" : 1.50e2, "name":"caf\\u00e9"} }  ';

describe.each(FRAMEWORKS)('$name middleware', ({ start }) => {
  async function receiver(secret: string | string[], options?: WebhookMiddlewareOptions) {
    const r = await start(secret, options);
    receivers.push(r);
    return r;
  }

  it('passes a valid webhook to the handler with its parsed payload', async () => {
    const secret = generateEndpointSecret('hmac');
    const r = await receiver(secret);
    const body = '{"type":"invoice.paid","data":{"id":"in_1"}}';
    const response = await post(r.url, body, signed([secret], body));
    expect(response).toEqual({ status: 200, body: { received: true } });
    expect(r.handled).toEqual([{ type: 'invoice.paid', data: { id: 'in_1' } }]);
  });

  it('verifies the raw bytes of a body with unusual whitespace and key order', async () => {
    const secret = generateEndpointSecret('hmac');
    const r = await receiver(secret);
    const response = await post(r.url, AWKWARD_BODY, signed([secret], AWKWARD_BODY));
    expect(response.status).toBe(200);
    expect(r.handled).toEqual([JSON.parse(AWKWARD_BODY)]);
  });

  it('answers 401 invalid_signature to a tampered body without calling the handler', async () => {
    const secret = generateEndpointSecret('hmac');
    const r = await receiver(secret);
    const body = '{"amount":100}';
    const response = await post(r.url, '{"amount":999}', signed([secret], body));
    expect(response.status).toBe(401);
    expect(response.body).toMatchObject({ error: 'invalid_signature', message: expect.any(String) });
    expect(r.handled).toEqual([]);
  });

  it('answers 400 missing_header when a signature header is absent', async () => {
    const secret = generateEndpointSecret('hmac');
    const r = await receiver(secret);
    const body = '{}';
    const { 'webhook-signature': _, 'svix-signature': __, ...headers } = signed([secret], body);
    const response = await post(r.url, body, headers);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ error: 'missing_header' });
    expect(r.handled).toEqual([]);
  });

  it('answers 401 timestamp_too_old to a replay of an old request', async () => {
    const secret = generateEndpointSecret('hmac');
    const r = await receiver(secret);
    const body = '{}';
    const response = await post(r.url, body, signed([secret], body, { offsetSeconds: -600 }));
    expect(response).toMatchObject({ status: 401, body: { error: 'timestamp_too_old' } });
  });

  it('answers 400 invalid_payload to a correctly signed body that is not JSON', async () => {
    const secret = generateEndpointSecret('hmac');
    const r = await receiver(secret);
    const body = 'plain text';
    const response = await post(r.url, body, signed([secret], body));
    expect(response).toMatchObject({ status: 400, body: { error: 'invalid_payload' } });
  });

  it('verifies v1a signatures with the whpk_ public key', async () => {
    const secret = generateEndpointSecret('ed25519');
    const r = await receiver(publicSecretForm(secret));
    const body = '{"asymmetric":true}';
    const response = await post(r.url, body, signed([secret], body));
    expect(response.status).toBe(200);
    expect(r.handled).toEqual([{ asymmetric: true }]);
  });

  it('answers a redelivered webhook-id 200 without running the handler twice', async () => {
    const secret = generateEndpointSecret('hmac');
    const r = await receiver(secret, { dedupe: true });
    const body = '{"n":1}';
    const first = await post(r.url, body, signed([secret], body, { id: 'msg_dup' }));
    const retry = await post(r.url, body, signed([secret], body, { id: 'msg_dup' }));
    expect(first).toEqual({ status: 200, body: { received: true } });
    expect(retry).toEqual({ status: 200, body: { duplicate: true } });
    expect(r.handled).toHaveLength(1);
  });

  it('runs the handler again on a retry when its first answer was an error', async () => {
    const secret = generateEndpointSecret('hmac');
    const store = new MemoryReplayStore();
    const r = await receiver(secret, { dedupe: { store } });
    const body = '{"n":2}';
    r.answer.status = 500;
    expect((await post(r.url, body, signed([secret], body, { id: 'msg_retry' }))).status).toBe(500);
    r.answer.status = 200;
    expect((await post(r.url, body, signed([secret], body, { id: 'msg_retry' }))).status).toBe(200);
    expect(r.handled).toHaveLength(2);
    await expect.poll(() => store.seen('msg_retry')).toBe(true);
  });

  it('refuses to start with an unusable secret', async () => {
    await expect(start('whpk_not-a-key')).rejects.toMatchObject({ code: 'invalid_secret' });
  });
});

describe('express middleware specifics', () => {
  it('reads the raw body itself when no body parser ran', async () => {
    const secret = generateEndpointSecret('hmac');
    const handled: unknown[] = [];
    const app = express();
    app.post('/hook', expressVerifyWebhook(secret), (req, res) => {
      handled.push(req.webhook);
      res.json({ ok: true });
    });
    const server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    receivers.push({ url: '', handled, answer: { status: 200 }, close: () => closeServer(server) });
    const { port } = server.address() as AddressInfo;
    const response = await post(
      `http://127.0.0.1:${port}/hook`,
      AWKWARD_BODY,
      signed([secret], AWKWARD_BODY),
    );
    expect(response.status).toBe(200);
    expect(handled).toEqual([JSON.parse(AWKWARD_BODY)]);
  });

  it('fails loudly with 500 when express.json() already parsed the body', async () => {
    const secret = generateEndpointSecret('hmac');
    const app = express();
    app.post('/hook', express.json(), expressVerifyWebhook(secret), (_req, res) => {
      res.json({ ok: true });
    });
    const server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    receivers.push({ url: '', handled: [], answer: { status: 200 }, close: () => closeServer(server) });
    const { port } = server.address() as AddressInfo;
    const body = '{"a":1}';
    const response = await fetch(`http://127.0.0.1:${port}/hook`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', ...signed([secret], body) },
    });
    expect(response.status).toBe(500);
  });
});

describe('fastify plugin specifics', () => {
  it('leaves JSON parsing of routes outside its scope untouched', async () => {
    const secret = generateEndpointSecret('hmac');
    const app = Fastify();
    await app.register(async (scope) => {
      await scope.register(verifyWebhookPlugin, { secret });
      scope.post('/hook', async (request) => ({ rawIsBuffer: Buffer.isBuffer(request.body) }));
    });
    app.post('/api', async (request) => ({ parsed: request.body }));
    receivers.push({ url: '', handled: [], answer: { status: 200 }, close: () => app.close() });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;

    const api = await post(`http://127.0.0.1:${port}/api`, '{"x":1}', {});
    expect(api).toEqual({ status: 200, body: { parsed: { x: 1 } } });
    const hook = await post(`http://127.0.0.1:${port}/hook`, '{"x":1}', signed([secret], '{"x":1}'));
    expect(hook).toEqual({ status: 200, body: { rawIsBuffer: true } });
    const unsigned = await post(`http://127.0.0.1:${port}/hook`, '{"x":1}', {});
    expect(unsigned.status).toBe(400);
  });
});
