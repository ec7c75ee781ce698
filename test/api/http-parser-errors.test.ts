import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHerald, TEST_ADMIN_TOKEN, type TestHerald } from '../support/herald.js';

/** What came back on one raw connection, up to the server closing it. */
interface RawAnswer {
  raw: string;
  /** Status of the last response on the connection. */
  status: number;
  headers: Record<string, string>;
  body: string;
  closed: boolean;
}

/**
 * Writes each of `requests` byte for byte on one TCP connection (no HTTP client would send
 * these), the next once an answer to the previous has arrived, and reads until the server
 * closes the connection.
 */
function sendRaw(url: string, ...requests: string[]): Promise<RawAnswer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    const chunks: Buffer[] = [];
    const received = () => Buffer.concat(chunks).toString('latin1');
    let sent = 0;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no close within 5 s; got: ${received()}`));
    }, 5_000);
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      // Enough for the bodiless answers the keep-alive case waits for.
      const answered = received().split('\r\n\r\n').length - 1;
      if (sent < requests.length && answered >= sent) socket.write(requests[sent++]!);
    });
    // A reset after the answer still counts as closed: the server drops what it did not read.
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      const raw = received();
      const last = raw.lastIndexOf('HTTP/1.1 ');
      const [head = '', body = ''] = raw.slice(Math.max(last, 0)).split('\r\n\r\n');
      const [statusLine = '', ...headerLines] = head.split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of headerLines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({ raw, status: Number(statusLine.split(' ')[1]), headers, body, closed: true });
    });
    socket.write(requests[sent++]!);
  });
}

describe('sqlite: requests the HTTP parser refuses get Svix-shaped errors', () => {
  let herald: TestHerald;

  beforeAll(async () => {
    herald = await startTestHerald('sqlite', { worker: false });
  });
  afterAll(async () => {
    await herald?.stop();
  });

  it('answers 431 request_header_fields_too_large to a 40 KB header, without echoing it', async () => {
    const marker = 'x-oversized-marker';
    const request =
      'GET /api/v1/app HTTP/1.1\r\nHost: localhost\r\n' +
      `authorization: Bearer ${TEST_ADMIN_TOKEN}\r\n` +
      `x-big: ${marker}${'a'.repeat(40 * 1024)}\r\n\r\n`;
    const answer = await sendRaw(herald.url, request);
    expect(answer.status).toBe(431);
    expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(Number(answer.headers['content-length'])).toBe(Buffer.byteLength(answer.body));
    expect(JSON.parse(answer.body)).toEqual({
      code: 'request_header_fields_too_large',
      detail: expect.any(String),
    });
    expect(answer.raw).not.toContain(marker);
    expect(answer.raw).not.toContain(TEST_ADMIN_TOKEN);
    expect(answer.closed).toBe(true);
  });

  it('answers 400 bad_request to a garbage request line', async () => {
    const answer = await sendRaw(herald.url, 'HELLO THERE \x01\x02 NOT-HTTP\r\n\r\n');
    expect(answer.status).toBe(400);
    expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(JSON.parse(answer.body)).toEqual({ code: 'bad_request', detail: expect.any(String) });
    expect(answer.raw).not.toContain('HELLO');
  });

  it('answers 400 bad_request to a malformed header, and never logs the token it carried', async () => {
    const answer = await sendRaw(
      herald.url,
      `GET /api/v1/app HTTP/1.1\r\nHost: localhost\r\nauthorization: Bearer ${TEST_ADMIN_TOKEN}\r\nno colon here\r\n\r\n`,
    );
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toEqual({ code: 'bad_request', detail: expect.any(String) });
    expect(answer.raw).not.toContain(TEST_ADMIN_TOKEN);
    expect(herald.logs.join('')).not.toContain(TEST_ADMIN_TOKEN);
  });

  it('answers garbage on a kept-alive connection after a good request was answered', async () => {
    const answer = await sendRaw(
      herald.url,
      'GET /api/v1/health/ping HTTP/1.1\r\nHost: localhost\r\n\r\n',
      'GARBAGE\r\n\r\n',
    );
    const responses = answer.raw.match(/^HTTP\/1\.1 \d+/gm);
    expect(responses).toEqual(['HTTP/1.1 204', 'HTTP/1.1 400']);
    expect(JSON.parse(answer.body)).toEqual({ code: 'bad_request', detail: expect.any(String) });
  });
});
