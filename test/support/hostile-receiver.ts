import { type AddressInfo, createServer, type Socket } from 'node:net';

/** The ways a receiver can misbehave that issue 16 measured, one per path `/<mode>`. */
export const HOSTILE_MODES = [
  'endless-body',
  'trickle',
  'hang',
  'redirect-301',
  'redirect-302',
  'reset',
  'huge-header',
  'many-headers',
  'malformed',
  'slow-headers',
  'garbage-after-headers',
] as const;

export type HostileMode = (typeof HOSTILE_MODES)[number];

/** A raw TCP server answering each request as `/<mode>` says, on loopback. */
export interface HostileReceiver {
  url(mode: HostileMode, tag?: string): string;
  /** Requests seen per mode. */
  readonly hits: Map<HostileMode, number>;
  /** Connections open whose request's tag (the path after the mode) starts with `prefix`. */
  openWith(prefix: string): number;
  /** Connections currently open. */
  readonly open: number;
  close(): Promise<void>;
}

const HEADER_END = Buffer.from('\r\n\r\n');
const CHUNK = Buffer.alloc(64 * 1024, 0x61);
let manyHeaders: Buffer | undefined;
/**
 * The 100,000-header answer, built once: building it per request would cost this process more
 * than the client's parsing. The receiver builds it when it starts, because building it at the
 * first request took the rig's CPU (tens of ms) just as the bench starts timing the healthy
 * endpoints beside it.
 */
const manyHeadersAnswer = () =>
  (manyHeaders ??= Buffer.from(
    `HTTP/1.1 200 OK\r\n${Array.from({ length: 100_000 }, (_, i) => `x-h${i}: v\r\n`).join('')}content-length: 0\r\n\r\n`,
  ));

/**
 * The one link all floods share, as if the receiver were a remote host behind 1 Gbit/s. On
 * loopback nothing slows a sender: an endless body was copied into the socket buffers at memory
 * speed, about 1.9 MB per connection before Herald's reset arrived (Herald reads 64 KiB of it),
 * and at 300 deliveries a second that copying took half a core of the two that Herald runs on. A
 * remote flood costs Herald what arrives over its link, not the sender's copying.
 */
const LINK_BYTES_PER_SEC = 125_000_000;

class Link {
  #freeAt = 0;

  /** Reserves the link for `bytes`; returns the ms to wait before sending them. */
  reserve(bytes: number): number {
    const now = performance.now();
    const start = Math.max(now, this.#freeAt);
    this.#freeAt = start + (bytes * 1000) / LINK_BYTES_PER_SEC;
    return start - now;
  }
}

/** Writes `chunk` over `link` until the socket goes away, respecting back-pressure. */
function flood(socket: Socket, chunk: Buffer | (() => Buffer), link: Link): void {
  const next = typeof chunk === 'function' ? chunk : () => chunk;
  const send = () => {
    if (socket.destroyed) return;
    if (socket.write(next())) pump();
    else socket.once('drain', pump);
  };
  const pump = () => {
    if (socket.destroyed) return;
    const wait = link.reserve(CHUNK.length);
    if (wait >= 1) setTimeout(send, wait);
    else send();
  };
  pump();
}

/** Writes one byte of `text` every `everyMs`, then `after` (if any). */
function trickle(socket: Socket, text: string, everyMs: number, timers: Set<NodeJS.Timeout>) {
  let at = 0;
  const timer = setInterval(() => {
    if (socket.destroyed || at >= text.length) {
      clearInterval(timer);
      timers.delete(timer);
      return;
    }
    socket.write(text[at++] as string);
  }, everyMs);
  timers.add(timer);
}

function respond(mode: HostileMode, socket: Socket, timers: Set<NodeJS.Timeout>, link: Link): void {
  switch (mode) {
    case 'endless-body':
      socket.write('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n');
      flood(
        socket,
        Buffer.concat([Buffer.from(`${CHUNK.length.toString(16)}\r\n`), CHUNK, Buffer.from('\r\n')]),
        link,
      );
      return;
    case 'trickle':
      socket.write('HTTP/1.1 200 OK\r\ncontent-length: 100000\r\n\r\n');
      trickle(socket, 'a'.repeat(100_000), 1_000, timers);
      return;
    case 'hang':
      return;
    case 'redirect-301':
    case 'redirect-302':
      socket.end(
        `HTTP/1.1 ${mode === 'redirect-301' ? '301 Moved Permanently' : '302 Found'}\r\nlocation: http://169.254.169.254/latest/meta-data/\r\ncontent-length: 0\r\n\r\n`,
      );
      return;
    case 'reset':
      socket.resetAndDestroy();
      return;
    case 'huge-header': {
      // 10 MB in one header value, sent as fast as the client reads.
      socket.write('HTTP/1.1 200 OK\r\nx-huge: ');
      let sent = 0;
      flood(
        socket,
        () => {
          sent += CHUNK.length;
          if (sent >= 10 * 1024 * 1024) {
            queueMicrotask(() => socket.end('\r\ncontent-length: 0\r\n\r\n'));
          }
          return CHUNK;
        },
        link,
      );
      return;
    }
    case 'many-headers':
      socket.end(manyHeadersAnswer());
      return;
    case 'malformed':
      socket.end('HTXP/9.9 two hundred\r\n\u0000\u0001: \r\n\r\n');
      return;
    case 'slow-headers':
      trickle(
        socket,
        'HTTP/1.1 200 OK\r\ncontent-length: 0\r\nx-slow: '.concat('b'.repeat(10_000)),
        100,
        timers,
      );
      return;
    case 'garbage-after-headers':
      socket.write('HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello');
      flood(socket, CHUNK, link);
      return;
  }
}

/** Starts a hostile receiver on 127.0.0.1 (a free port). */
export async function startHostileReceiver(): Promise<HostileReceiver> {
  manyHeadersAnswer();
  /** Open connections, with their request's tag ('' until the request has arrived). */
  const sockets = new Map<Socket, string>();
  const timers = new Set<NodeJS.Timeout>();
  const hits = new Map<HostileMode, number>();
  const link = new Link();
  const server = createServer((socket) => {
    sockets.set(socket, '');
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      // Answer once the request line has arrived; the body is read and ignored.
      if (head.indexOf(HEADER_END) === -1 && head.length < 64 * 1024) return;
      socket.off('data', onData);
      socket.on('data', () => {});
      const [, path = '', tag = ''] =
        /^[A-Z]+ \/([a-z0-9-]+)(?:\/([^ ?]*))?/.exec(head.toString('latin1')) ?? [];
      const mode = (HOSTILE_MODES as readonly string[]).includes(path) ? (path as HostileMode) : 'hang';
      hits.set(mode, (hits.get(mode) ?? 0) + 1);
      if (sockets.has(socket)) sockets.set(socket, tag);
      respond(mode, socket, timers, link);
    };
    socket.on('data', onData);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: (mode, tag = '') => `http://127.0.0.1:${port}/${mode}${tag ? `/${tag}` : ''}`,
    hits,
    openWith: (prefix) => [...sockets.values()].filter((tag) => tag.startsWith(prefix)).length,
    get open() {
      return sockets.size;
    },
    close() {
      for (const timer of timers) clearInterval(timer);
      for (const socket of sockets.keys()) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
