import { request as httpRequest } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { failThenSucceed, type Receiver, startReceiver } from './receiver.js';

const open: Receiver[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((r) => r.close()));
});

async function receiver(opts?: { host?: string }): Promise<Receiver> {
  const started = await startReceiver(opts);
  open.push(started);
  return started;
}

/** A plain node:http POST (one connection per request), resolving to status and body or the socket error. */
function post(url: string, body = '{"a":1}', headers: Record<string, string> = {}) {
  return new Promise<{ status: number; body: string; headers: Record<string, unknown> } | { error: string }>(
    (resolve) => {
      const req = httpRequest(
        url,
        { method: 'POST', headers: { 'x-test': 'yes', ...headers }, agent: false },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              body: Buffer.concat(chunks).toString(),
              headers: res.headers,
            }),
          );
          res.on('error', (err) => resolve({ error: (err as NodeJS.ErrnoException).code ?? err.message }));
        },
      );
      req.on('error', (err) => resolve({ error: (err as NodeJS.ErrnoException).code ?? err.message }));
      req.end(body);
    },
  );
}

describe('test receiver', () => {
  it('answers 200 {"ok":true} by default and records the request', async () => {
    const r = await receiver();
    expect(r.url('/a?b=1')).toBe(`http://127.0.0.1:${r.port}/a?b=1`);
    const response = await post(r.url('/a?b=1'), 'hello');
    expect(response).toMatchObject({ status: 200, body: '{"ok":true}' });
    expect(r.requests).toHaveLength(1);
    expect(r.requests[0]).toMatchObject({ method: 'POST', path: '/a?b=1', body: 'hello', n: 1 });
    expect(r.requests[0]?.headers['x-test']).toBe('yes');
  });

  it('answers with the scripted status, headers and body', async () => {
    const r = await receiver();
    r.respondWith((req) => ({ status: 418, headers: { 'x-n': String(req.n) }, body: 'teapot' }));
    const response = await post(r.url());
    expect(response).toMatchObject({ status: 418, body: 'teapot', headers: { 'x-n': '1' } });
  });

  it('scripts N failures then success', async () => {
    const r = await receiver();
    r.respondWith(failThenSucceed(2, { status: 500 }));
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push(((await post(r.url())) as { status: number }).status);
    expect(statuses).toEqual([500, 500, 200, 200]);
  });

  it('delays the answer by delayMs', async () => {
    const r = await receiver();
    r.respondWith(() => ({ delayMs: 150 }));
    const started = Date.now();
    await post(r.url());
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('closes the socket without answering when told to destroy', async () => {
    const r = await receiver();
    r.respondWith(() => ({ destroy: true }));
    expect(await post(r.url())).toEqual({ error: 'ECONNRESET' });
  });

  it('ends hanging requests on close so test runs can exit', async () => {
    const r = await startReceiver();
    r.respondWith(() => ({ hang: true }));
    const pending = post(r.url());
    await r.waitForRequests(1);
    await r.close();
    expect(await pending).toEqual({ error: 'ECONNRESET' });
  });

  it('streams a body of bodyBytes and reports its completion', async () => {
    const r = await receiver();
    r.respondWith(() => ({ bodyBytes: 300_000 }));
    const response = await post(r.url());
    expect((response as { body: string }).body).toHaveLength(300_000);
    await expect.poll(() => r.streams[0]?.completed).toBe(true);
    expect(r.streams[0]).toMatchObject({ n: 1, bytesWritten: 300_000, closedEarly: false });
  });

  it('waits for requests, and says how many arrived when they do not', async () => {
    const r = await receiver();
    const waiting = r.waitForRequests(2, 2_000);
    await post(r.url());
    await post(r.url());
    expect((await waiting).map((req) => req.n)).toEqual([1, 2]);
    await expect(r.waitForRequests(3, 50)).rejects.toThrow('expected 3 requests within 50 ms, got 2');
  });

  it('forgets requests, connections and the script on reset', async () => {
    const r = await receiver();
    r.respondWith(() => ({ status: 500 }));
    await post(r.url());
    r.reset();
    expect(r.requests).toEqual([]);
    expect(r.connections).toBe(0);
    expect(await post(r.url())).toMatchObject({ status: 200 });
    expect(r.requests[0]?.n).toBe(1);
  });

  it('listens on another loopback address when asked', async () => {
    const r = await receiver({ host: '127.0.0.2' });
    expect(r.url()).toBe(`http://127.0.0.2:${r.port}/`);
    expect(await post(r.url())).toMatchObject({ status: 200 });
  });
});
