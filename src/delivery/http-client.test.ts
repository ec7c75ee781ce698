import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../test/support/eventually.js';
import { failThenSucceed, type Receiver, startReceiver } from '../../test/support/receiver.js';
import { createNetworkPolicy } from '../core/net/network-policy.js';
import type { LookupFn } from './guarded-connector.js';
import { createDeliveryClient, type DeliveryClient } from './http-client.js';

const loopbackAllowed = createNetworkPolicy(['127.0.0.0/8']);
const SECRET_SIGNATURE = 'v1,c2VjcmV0LXNpZ25hdHVyZS1tdXN0LW5vdC1sZWFr';

describe('delivery client against a real receiver', () => {
  let receiver: Receiver;
  let redirectTarget: Receiver;
  const clients: DeliveryClient[] = [];

  beforeAll(async () => {
    receiver = await startReceiver();
    redirectTarget = await startReceiver();
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    receiver.reset();
    redirectTarget.reset();
  });
  afterAll(async () => {
    await receiver.close();
    await redirectTarget.close();
  });

  function client(overrides: Partial<Parameters<typeof createDeliveryClient>[0]> = {}): DeliveryClient {
    const created = createDeliveryClient({
      policy: loopbackAllowed,
      requestTimeoutMs: 5_000,
      userAgent: 'Herald-Webhooks/test',
      ...overrides,
    });
    clients.push(created);
    return created;
  }

  const send = (c: DeliveryClient, url = receiver.url('/hook?x=1')) =>
    c.send({
      url,
      headers: { 'webhook-id': 'msg_1', 'webhook-signature': SECRET_SIGNATURE },
      body: '{"type":"invoice.paid"}',
    });

  it('records a 2xx as success with the response body and headers', async () => {
    receiver.respondWith(() => ({ status: 202, headers: { 'x-receiver': 'yes' }, body: 'accepted' }));
    const result = await send(client());
    expect(result).toMatchObject({
      statusCode: 202,
      responseBody: 'accepted',
      errorClass: null,
      errorMessage: null,
      retryAfterMs: null,
    });
    expect(result.responseHeaders['x-receiver']).toBe('yes');
    expect(result.durationMs).toBeGreaterThanOrEqual(0);

    const [request] = await receiver.waitForRequests(1);
    expect(request).toMatchObject({ method: 'POST', path: '/hook?x=1', body: '{"type":"invoice.paid"}' });
    expect(request?.headers['user-agent']).toBe('Herald-Webhooks/test');
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.headers['webhook-signature']).toBe(SECRET_SIGNATURE);
  });

  it("tells whether the previous answer's connection was closed: not while the receiver keeps it, and after it closed it", async () => {
    const c = client();
    const seen: (boolean | null)[] = [];
    // undici hands a connection back to its pool a tick after the answer ends: sent at once, the
    // next request would open another beside it.
    const sendLater = async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      seen.push((await send(c)).reconnected);
    };
    for (let i = 0; i < 2; i++) await sendLater();
    receiver.respondWith(() => ({ status: 200, headers: { connection: 'close' } }));
    // The first of these still comes on the kept connection; the receiver closes it after answering.
    for (let i = 0; i < 3; i++) await sendLater();
    expect(seen).toEqual([null, false, false, true, true]);
  });

  it('tells that a receiver sending an endless body made the next answer need a new connection', async () => {
    const c = client();
    receiver.respondWith(() => ({
      status: 200,
      headers: { 'transfer-encoding': 'chunked' },
      bodyBytes: 10_000_000,
    }));
    const seen: (boolean | null)[] = [];
    for (let i = 0; i < 3; i++) seen.push((await send(c)).reconnected);
    expect(seen).toEqual([null, true, true]);
  });

  it('records a 302 as http_3xx and never follows the Location', async () => {
    receiver.respondWith(() => ({ status: 302, headers: { location: redirectTarget.url('/stolen') } }));
    const result = await send(client());
    expect(result.statusCode).toBe(302);
    expect(result.errorClass).toBe('http_3xx');
    expect(result.errorMessage).toContain('redirects are not followed');
    expect(result.responseHeaders.location).toBe(redirectTarget.url('/stolen'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(redirectTarget.connections).toBe(0);
  });

  it('records 410 Gone as http_4xx with its status', async () => {
    receiver.respondWith(() => ({ status: 410, body: 'gone' }));
    const result = await send(client());
    expect(result).toMatchObject({ statusCode: 410, errorClass: 'http_4xx', responseBody: 'gone' });
    expect(result.errorMessage).toBe('HTTP 410 Gone');
  });

  it('honours Retry-After in seconds on a 429', async () => {
    receiver.respondWith(() => ({ status: 429, headers: { 'retry-after': '120' } }));
    const result = await send(client());
    expect(result).toMatchObject({ statusCode: 429, errorClass: 'http_4xx', retryAfterMs: 120_000 });
  });

  it('honours Retry-After as an HTTP-date on a 503', async () => {
    const at = new Date(Math.ceil(Date.now() / 1000) * 1000 + 60_000);
    receiver.respondWith(() => ({ status: 503, headers: { 'retry-after': at.toUTCString() } }));
    const result = await send(client());
    expect(result.errorClass).toBe('http_5xx');
    expect(result.retryAfterMs).toBeGreaterThan(55_000);
    expect(result.retryAfterMs).toBeLessThanOrEqual(61_000);
  });

  it('ignores Retry-After on statuses that are not throttling', async () => {
    receiver.respondWith(() => ({ status: 500, headers: { 'retry-after': '120' } }));
    const result = await send(client());
    expect(result).toMatchObject({ statusCode: 500, errorClass: 'http_5xx', retryAfterMs: null });
  });

  it('cuts off a receiver that never answers at the request timeout', async () => {
    receiver.respondWith(() => ({ hang: true }));
    const started = Date.now();
    const result = await send(client({ requestTimeoutMs: 300 }));
    const elapsed = Date.now() - started;
    expect(result).toMatchObject({ statusCode: 0, errorClass: 'timeout' });
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(1_500);
    expect(result.errorMessage).toContain('300 ms');
  });

  it('records a socket closed without an answer as connection_reset', async () => {
    receiver.respondWith(() => ({ destroy: true }));
    const result = await send(client());
    expect(result).toMatchObject({ statusCode: 0, errorClass: 'connection_reset' });
  });

  it('records a refused connection (nothing listening) as connect', async () => {
    const closed = await startReceiver();
    const url = closed.url('/');
    await closed.close();
    const result = await send(client(), url);
    expect(result).toMatchObject({ statusCode: 0, errorClass: 'connect' });
    expect(result.errorMessage).toContain('ECONNREFUSED');
  });

  it('records an unknown name as dns', async () => {
    const nowhere: LookupFn = (hostname, _options, callback) =>
      callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), []);
    const result = await send(client({ lookup: nowhere }), 'http://no-such-host.test/hook');
    expect(result).toMatchObject({ statusCode: 0, errorClass: 'dns' });
    expect(result.errorMessage).toBe('could not resolve no-such-host.test (ENOTFOUND)');
  });

  it('records a TLS handshake failure as tls', async () => {
    // The receiver speaks plain HTTP, so the TLS client hello gets no valid answer.
    const result = await send(client(), `https://127.0.0.1:${receiver.port}/hook`);
    expect(result).toMatchObject({ statusCode: 0, errorClass: 'tls' });
  });

  it('records a non-HTTP answer as invalid_response', async () => {
    const garbage: Server = createServer((socket) => {
      socket.once('data', () => socket.end('SSH-2.0-OpenSSH_9.6\r\n\r\n'));
    });
    await new Promise<void>((resolve) => garbage.listen(0, '127.0.0.1', resolve));
    const port = (garbage.address() as { port: number }).port;
    try {
      const result = await send(client(), `http://127.0.0.1:${port}/`);
      expect(result).toMatchObject({ statusCode: 0, errorClass: 'invalid_response' });
    } finally {
      await new Promise((resolve) => garbage.close(resolve));
    }
  });

  it('cuts off a receiver that sends headers then stalls the body, keeping its 2xx verdict', async () => {
    const stalling: Server = createServer((socket) => {
      socket.once('data', () => socket.write('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\npartial'));
    });
    await new Promise<void>((resolve) => stalling.listen(0, '127.0.0.1', resolve));
    const port = (stalling.address() as { port: number }).port;
    try {
      const started = Date.now();
      const result = await send(client({ requestTimeoutMs: 300 }), `http://127.0.0.1:${port}/`);
      expect(Date.now() - started).toBeLessThan(1_500);
      expect(result).toMatchObject({ statusCode: 200, errorClass: null, responseBody: 'partial' });
      expect(result.errorMessage).toContain('response body incomplete');
    } finally {
      await new Promise((resolve) => stalling.close(resolve));
    }
  });

  it('reads a 50 MB body only up to the cap and hangs up instead of buffering it', async () => {
    const size = 50 * 1024 * 1024;
    receiver.respondWith(() => ({ status: 200, bodyBytes: size }));
    const result = await send(client({ storedResponseBytes: 1024 }));
    expect(result.statusCode).toBe(200);
    expect(result.errorClass).toBeNull();
    expect(result.responseBody).toBe('a'.repeat(1024));
    await expect.poll(() => receiver.streams[0]?.closedEarly, { timeout: 5_000 }).toBe(true);
    expect(receiver.streams[0]?.completed).toBe(false);
    expect(receiver.streams[0]?.bytesWritten).toBeLessThan(size / 2);
  });

  it('stops reading a body of unannounced size at the read cap', async () => {
    const size = 50 * 1024 * 1024;
    receiver.respondWith(() => ({ bodyBytes: size, headers: { 'transfer-encoding': 'chunked' } }));
    const result = await send(client({ maxResponseBytes: 64 * 1024, storedResponseBytes: 100 }));
    expect(result.statusCode).toBe(200);
    expect(result.responseBody).toHaveLength(100);
    await expect.poll(() => receiver.streams[0]?.closedEarly, { timeout: 5_000 }).toBe(true);
    expect(receiver.streams[0]?.bytesWritten).toBeLessThan(size / 2);
  });

  it('truncates the stored body on a UTF-8 character boundary', async () => {
    receiver.respondWith(() => ({ status: 400, body: 'é'.repeat(100) }));
    const result = await send(client({ storedResponseBytes: 51 }));
    expect(result.responseBody).toBe('é'.repeat(25));
  });

  it('reuses keep-alive connections across deliveries to the same origin', async () => {
    const c = client();
    for (let i = 0; i < 10; i++) expect((await send(c)).statusCode).toBe(200);
    expect(receiver.requests).toHaveLength(10);
    // undici hands a connection back to the pool a tick after the body ends, so a request
    // sent at once may open a second connection; after that the pool stays warm.
    expect(receiver.connections).toBeLessThanOrEqual(2);
  });

  it('delivers after scripted failures, seeing each attempt', async () => {
    receiver.respondWith(failThenSucceed(2, { status: 503 }));
    const c = client();
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await send(c)).statusCode);
    expect(statuses).toEqual([503, 503, 200]);
    expect((await receiver.waitForRequests(3)).map((r) => r.n)).toEqual([1, 2, 3]);
  });

  it('never echoes request headers such as the signature in any result', async () => {
    const c = client({ requestTimeoutMs: 200 });
    const results = [];
    for (const script of [{ status: 200 }, { status: 500 }, { destroy: true }, { hang: true }]) {
      receiver.respondWith(() => script);
      results.push(await send(c));
    }
    results.push(await send(c, 'http://127.0.0.1:1/'));
    results.push(await send(createDeliveryClient({ ...baseOptions(), policy: createNetworkPolicy([]) })));
    for (const result of results) expect(JSON.stringify(result)).not.toContain('c2VjcmV0');
  });

  it('refuses URLs that are not http or https without dialling', async () => {
    const result = await send(client(), `ftp://127.0.0.1:${receiver.port}/`);
    expect(result.errorClass).toBe('blocked_by_policy');
    expect(receiver.connections).toBe(0);
  });

  it('reports an unparseable URL without throwing', async () => {
    const result = await send(client(), 'not a url');
    expect(result).toMatchObject({
      statusCode: 0,
      errorClass: 'connect',
      errorMessage: 'endpoint URL is not a valid URL',
    });
  });

  /** A server speaking raw HTTP/1.1, so tests can see header names as sent and write any answer. */
  async function rawServer(
    answer: (socket: Socket) => void,
  ): Promise<{ url: string; heads: string[]; close(): Promise<void> }> {
    const heads: string[] = [];
    const sockets = new Set<Socket>();
    const server = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {});
      let buffered = '';
      socket.on('data', (data) => {
        buffered += data.toString('latin1');
        const end = buffered.indexOf('\r\n\r\n');
        if (end === -1) return;
        const length = Number(/\r\ncontent-length: (\d+)/i.exec(buffered.slice(0, end))?.[1] ?? 0);
        if (buffered.length < end + 4 + length) return;
        heads.push(buffered.slice(0, end));
        buffered = buffered.slice(end + 4 + length);
        answer(socket);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    return {
      url: `http://127.0.0.1:${port}/raw`,
      heads,
      close: () => {
        for (const socket of sockets) socket.destroy();
        return new Promise((resolve) => server.close(() => resolve()));
      },
    };
  }

  it('sends header names lower-cased, the request overriding user-agent and content-type', async () => {
    const raw = await rawServer((socket) => socket.write('HTTP/1.1 204 No Content\r\n\r\n'));
    try {
      const result = await client().send({
        url: raw.url,
        headers: { 'X-Trace': 'a', 'User-Agent': 'custom/1', 'x-trace': 'b', 'Content-Type': 'text/plain' },
        body: 'hi',
      });
      expect(result.statusCode).toBe(204);
      const lines = raw.heads[0]?.split('\r\n') ?? [];
      expect(lines).toContain('user-agent: custom/1');
      expect(lines).toContain('content-type: text/plain');
      expect(lines).toContain('x-trace: b');
      expect(lines.filter((line) => /^x-trace:/i.test(line))).toHaveLength(1);
      expect(raw.heads[0]).not.toContain('Herald-Webhooks/test');
      expect(raw.heads[0]).not.toContain('application/json');
    } finally {
      await raw.close();
    }
  });

  it('joins repeated response headers with a comma under lower-case names', async () => {
    const raw = await rawServer((socket) =>
      socket.write('HTTP/1.1 200 OK\r\nX-Tag: one\r\nx-tag: two\r\ncontent-length: 2\r\n\r\nok'),
    );
    try {
      const result = await send(client(), raw.url);
      expect(result.responseHeaders['x-tag']).toBe('one, two');
      expect(result.responseBody).toBe('ok');
    } finally {
      await raw.close();
    }
  });

  it('records the final answer after an interim 103 Early Hints', async () => {
    const raw = await rawServer((socket) =>
      socket.write(
        'HTTP/1.1 103 Early Hints\r\nlink: </style.css>\r\n\r\nHTTP/1.1 201 Created\r\ncontent-length: 4\r\n\r\ndone',
      ),
    );
    try {
      const result = await send(client(), raw.url);
      expect(result).toMatchObject({
        statusCode: 201,
        responseBody: 'done',
        errorClass: null,
        errorMessage: null,
      });
      expect(result.responseHeaders.link).toBeUndefined();
    } finally {
      await raw.close();
    }
  });

  it('keeps the status of a response whose connection closes mid-body, noting the cut', async () => {
    const raw = await rawServer((socket) =>
      socket.end('HTTP/1.1 503 Service Unavailable\r\nretry-after: 30\r\ncontent-length: 100\r\n\r\npartial'),
    );
    try {
      const result = await send(client(), raw.url);
      expect(result).toMatchObject({
        statusCode: 503,
        errorClass: 'http_5xx',
        responseBody: 'partial',
        retryAfterMs: 30_000,
      });
      expect(result.errorMessage).toMatch(
        /^HTTP 503 Service Unavailable; response body incomplete: connection to 127\.0\.0\.1:\d+ closed before a complete response/,
      );
    } finally {
      await raw.close();
    }
  });

  it('times out a delivery still resolving its host name at the request timeout', async () => {
    const silent: LookupFn = () => {};
    const started = Date.now();
    const result = await send(client({ requestTimeoutMs: 300, lookup: silent }), 'http://slow-dns.test/hook');
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(1_500);
    expect(result).toMatchObject({ statusCode: 0, errorClass: 'timeout' });
  });

  it('times out a delivery queued behind a hung one on a single connection', async () => {
    receiver.respondWith(() => ({ hang: true }));
    const c = client({ requestTimeoutMs: 300, connectionsPerOrigin: 1 });
    const started = Date.now();
    const results = await Promise.all([send(c), send(c)]);
    expect(Date.now() - started).toBeLessThan(1_500);
    for (const result of results) expect(result).toMatchObject({ statusCode: 0, errorClass: 'timeout' });
  });

  it('sends each URL to its own path and query, never the fragment', async () => {
    const c = client();
    await send(c, receiver.url('/a?n=1#section'));
    await send(c, receiver.url('/b'));
    await send(c, receiver.url('/a?n=1#section'));
    // Only these paths: a request the previous test timed out can still reach the receiver.
    const paths = () => receiver.requests.map((r) => r.path).filter((p) => p === '/a?n=1' || p === '/b');
    await eventually(() => paths().length >= 3, 5_000);
    expect(paths()).toEqual(['/a?n=1', '/b', '/a?n=1']);
  });

  it('reports a header value undici refuses as a failed request, without the value', async () => {
    const result = await client().send({
      url: receiver.url('/hook'),
      headers: { 'x-custom': `${SECRET_SIGNATURE}\r\ninjected: yes` },
      body: '{}',
    });
    expect(result).toMatchObject({ statusCode: 0, errorClass: 'connect' });
    expect(result.errorMessage).toContain('invalid x-custom header');
    expect(JSON.stringify(result)).not.toContain('c2VjcmV0');
    expect(receiver.requests).toHaveLength(0);
  });

  it('lets an in-flight delivery finish when closed, and reports sends after that', async () => {
    receiver.respondWith(() => ({ status: 200, delayMs: 150, body: 'late but fine' }));
    const c = createDeliveryClient(baseOptions());
    const inFlight = send(c);
    let closed = false;
    const closing = c.close().then(() => {
      closed = true;
    });
    const result = await inFlight;
    expect(result).toMatchObject({ statusCode: 200, responseBody: 'late but fine', errorClass: null });
    await closing;
    expect(closed).toBe(true);
    const after = await send(c);
    expect(after).toMatchObject({ statusCode: 0, errorClass: 'connect' });
  });

  function baseOptions() {
    return { policy: loopbackAllowed, requestTimeoutMs: 1_000, userAgent: 'test' };
  }
});
