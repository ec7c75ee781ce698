import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** One request as the receiver saw it. */
export interface ReceivedRequest {
  method: string;
  /** Path and query string, as sent on the request line. */
  path: string;
  /** Lower-case names; repeated headers joined with `, `. */
  headers: Record<string, string>;
  body: string;
  /** `Date.now()` when the body had been read. */
  receivedAt: number;
  /** 1-based position among the requests this receiver got since start or `reset()`. */
  n: number;
  /** Requests being answered when this one arrived, itself included. */
  concurrent: number;
}

/** How to answer one request. Absent fields: 200, `{"ok":true}`, at once. */
export interface ScriptedResponse {
  status?: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Wait this long before answering. */
  delayMs?: number;
  /** Never answer; the socket stays open until the client gives up or `close()`. */
  hang?: boolean;
  /** Close the socket without writing a response. */
  destroy?: boolean;
  /** Stream a body of this many bytes (ignores `body`), respecting back-pressure. */
  bodyBytes?: number;
}

/** Progress of one `bodyBytes` stream, updated live, so tests can see a client hang up early. */
export interface StreamedBody {
  /** The `n` of the request being answered. */
  n: number;
  bodyBytes: number;
  bytesWritten: number;
  /** True once all `bodyBytes` were handed to the socket. */
  completed: boolean;
  /** True if the connection closed before the body was complete. */
  closedEarly: boolean;
}

type Responder = (req: ReceivedRequest) => ScriptedResponse | Promise<ScriptedResponse>;

/** A real HTTP server on a loopback socket whose answers each test scripts. */
export interface Receiver {
  /** `http://HOST:PORT/path` for this receiver. */
  url(path?: string): string;
  port: number;
  /** Every request received, in arrival order. */
  requests: ReceivedRequest[];
  /** TCP connections accepted since start or `reset()`; fewer than requests means keep-alive reuse. */
  readonly connections: number;
  /** One entry per `bodyBytes` response. */
  streams: StreamedBody[];
  respondWith(fn: Responder): void;
  /** Resolves once `count` requests have arrived; rejects after `timeoutMs` (default 5 s). */
  waitForRequests(count: number, timeoutMs?: number): Promise<ReceivedRequest[]>;
  /** Forgets requests, connections and streams and goes back to the default answer. */
  reset(): void;
  /** Stops listening and destroys every socket, hanging ones included. */
  close(): Promise<void>;
}

const defaultResponder: Responder = () => ({ status: 200 });

function flattenHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

async function streamBody(res: ServerResponse, progress: StreamedBody): Promise<void> {
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  while (progress.bytesWritten < progress.bodyBytes) {
    if (res.destroyed || res.socket === null || res.socket.destroyed) return;
    const size = Math.min(chunk.length, progress.bodyBytes - progress.bytesWritten);
    const flushed = res.write(size === chunk.length ? chunk : chunk.subarray(0, size));
    progress.bytesWritten += size;
    if (!flushed) {
      await new Promise<void>((resolve) => {
        const done = () => {
          res.off('drain', done);
          res.off('close', done);
          resolve();
        };
        res.on('drain', done);
        res.on('close', done);
      });
    }
  }
  res.end(() => {
    progress.completed = true;
  });
}

async function answer(res: ServerResponse, script: ScriptedResponse, n: number, streams: StreamedBody[]) {
  if (script.delayMs) await new Promise((resolve) => setTimeout(resolve, script.delayMs));
  if (res.destroyed || res.socket?.destroyed) return;
  if (script.hang) return;
  if (script.destroy) {
    res.socket?.destroy();
    return;
  }
  const status = script.status ?? 200;
  if (script.bodyBytes !== undefined) {
    const progress: StreamedBody = {
      n,
      bodyBytes: script.bodyBytes,
      bytesWritten: 0,
      completed: false,
      closedEarly: false,
    };
    streams.push(progress);
    res.on('close', () => {
      if (!progress.completed && !res.writableFinished) progress.closedEarly = true;
    });
    // Sent with Content-Length unless the script asks for chunked (a body of unannounced size).
    const chunked = script.headers?.['transfer-encoding'] === 'chunked';
    res.writeHead(
      status,
      chunked ? script.headers : { 'content-length': String(script.bodyBytes), ...script.headers },
    );
    await streamBody(res, progress);
    return;
  }
  const body = script.body ?? (script.status === undefined || status < 300 ? '{"ok":true}' : '');
  const headers: Record<string, string> = { ...script.headers };
  if (script.body === undefined && body !== '') headers['content-type'] ??= 'application/json';
  res.writeHead(status, headers);
  res.end(body);
}

/**
 * Starts a scriptable receiver on a real socket (default host 127.0.0.1, a free port;
 * pass `port` to put two receivers on one port at different loopback addresses).
 * Shared by the whole test suite: delivery, retry and end-to-end tests point endpoints
 * at it and script failures with `respondWith`.
 */
export async function startReceiver(opts: { host?: string; port?: number } = {}): Promise<Receiver> {
  const host = opts.host ?? '127.0.0.1';
  const sockets = new Set<Socket>();
  const waiters = new Set<() => void>();
  let responder = defaultResponder;
  let counter = 0;
  let connections = 0;
  let answering = 0;

  const receiver: Receiver = {
    url: (path = '/') => `http://${host.includes(':') ? `[${host}]` : host}:${receiver.port}${path}`,
    port: 0,
    requests: [],
    get connections() {
      return connections;
    },
    streams: [],
    respondWith(fn) {
      responder = fn;
    },
    waitForRequests(count, timeoutMs = 5_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (receiver.requests.length < count) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(receiver.requests.slice(0, count));
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(`expected ${count} requests within ${timeoutMs} ms, got ${receiver.requests.length}`),
          );
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    reset() {
      receiver.requests.length = 0;
      receiver.streams.length = 0;
      counter = 0;
      connections = 0;
      responder = defaultResponder;
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };

  const server = createServer({ keepAliveTimeout: 5_000 }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      counter += 1;
      answering += 1;
      res.once('close', () => {
        answering -= 1;
      });
      const received: ReceivedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: flattenHeaders(req),
        body: Buffer.concat(chunks).toString('utf8'),
        receivedAt: Date.now(),
        n: counter,
        concurrent: answering,
      };
      receiver.requests.push(received);
      for (const waiter of [...waiters]) waiter();
      Promise.resolve()
        .then(() => responder(received))
        .then((script) => answer(res, script, received.n, receiver.streams))
        .catch((err: unknown) => {
          // A broken script must be loud in the test output, not a silent hang.
          console.error('receiver script failed', err);
          if (!res.headersSent) res.writeHead(500).end(String(err));
        });
    });
  });
  server.on('connection', (socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  receiver.port = (server.address() as AddressInfo).port;
  return receiver;
}

/**
 * A responder that answers the first `n` requests it sees with `failure`, then
 * `success` (default 200). Counts its own calls, so it survives `reset()`.
 */
export function failThenSucceed(
  n: number,
  failure: ScriptedResponse,
  success: ScriptedResponse = { status: 200 },
): (req: ReceivedRequest) => ScriptedResponse {
  let calls = 0;
  return () => {
    calls += 1;
    return calls <= n ? failure : success;
  };
}
