/**
 * The webhook receiver, run as its own process (forked by `receiver-handle.ts`) so that its
 * CPU is not the benchmark driver's. It listens on one or more loopback ports and answers by
 * path: `/ok/...` 200 at once, `/fail/...` 503, `/hang/...` never (the sender's timeout ends
 * it). It records the first receipt of each `webhook-id` at each path, and for `/ok` requests the latency
 * from the `t` field in the payload (the send or scheduled time) to receipt.
 *
 * Driver commands over IPC: `reset`, `stats`, `waitFor {n}`, `latencies`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { nowMs } from './payload.js';

interface Waiter {
  id: number;
  n: number;
}

const T_FIELD = /^\{"t":(\d+(?:\.\d+)?)/;

let seen = new Set<string>();
let requests = 0;
let failed = 0;
let firstAt = 0;
let lastAt = 0;
let latencies: number[] = [];
let waiters: Waiter[] = [];

function reply(msg: unknown): void {
  process.send?.(msg);
}

function received(id: string, path: string, body: string, at: number): void {
  // One message fans out to many endpoints under one webhook-id: the path tells them apart.
  const key = `${path} ${id}`;
  if (seen.has(key)) return;
  seen.add(key);
  if (firstAt === 0) firstAt = at;
  lastAt = at;
  if (path.startsWith('/ok')) {
    const t = T_FIELD.exec(body);
    if (t) latencies.push(at - Number(t[1]));
  }
  if (waiters.length > 0) {
    const count = seen.size;
    waiters = waiters.filter((w) => {
      if (count < w.n) return true;
      reply({ id: w.id, unique: count, firstAt, lastAt });
      return false;
    });
  }
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  const path = req.url ?? '/';
  if (path.startsWith('/hang')) {
    // Never answered: the sender's deadline closes the socket.
    req.resume();
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    requests++;
    if (path.startsWith('/fail')) {
      failed++;
      res.writeHead(503, { 'content-type': 'text/plain', 'content-length': '11' });
      res.end('unavailable');
      return;
    }
    const at = nowMs();
    const id = req.headers['webhook-id'];
    // A FIFO batch carries several messages under one webhook-id: each counts as received.
    const batch = req.headers['herald-batch-message-ids'];
    if (typeof batch === 'string') for (const msgId of batch.split(',')) received(msgId, path, '', at);
    else if (typeof id === 'string') received(id, path, Buffer.concat(chunks).toString('utf8'), at);
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' });
    res.end('ok');
  });
}

async function listen(port: number): Promise<number> {
  const server = createServer({ keepAliveTimeout: 60_000, requestTimeout: 0 }, handle);
  server.headersTimeout = 0;
  server.maxRequestsPerSocket = 0;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

const wanted = Number(process.argv[2] ?? '1');
const ports: number[] = [];
for (let i = 0; i < wanted; i++) ports.push(await listen(0));

process.on('message', (raw) => {
  const msg = raw as { cmd: string; id: number; n?: number };
  switch (msg.cmd) {
    case 'reset':
      seen = new Set();
      requests = 0;
      failed = 0;
      firstAt = 0;
      lastAt = 0;
      latencies = [];
      waiters = [];
      reply({ id: msg.id });
      break;
    case 'stats':
      reply({ id: msg.id, unique: seen.size, requests, failed, firstAt, lastAt });
      break;
    case 'waitFor':
      if (seen.size >= (msg.n ?? 0)) reply({ id: msg.id, unique: seen.size, firstAt, lastAt });
      else waiters.push({ id: msg.id, n: msg.n ?? 0 });
      break;
    case 'cancelWaits':
      waiters = [];
      reply({ id: msg.id });
      break;
    case 'latencies':
      reply({ id: msg.id, latencies });
      break;
    case 'exit':
      process.exit(0);
  }
});
// The driver going away must not leave a receiver behind.
process.on('disconnect', () => process.exit(0));
reply({ ready: true, ports });
