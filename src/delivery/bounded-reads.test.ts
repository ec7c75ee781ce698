import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HostileReceiver, startHostileReceiver } from '../../test/support/hostile-receiver.js';
import { boundReads } from './bounded-reads.js';

/** undici's response header cap (http-client.ts sets it explicitly). */
const HEADER_CAP = 16 * 1024;

/** Resolves once `socket` has buffered at least `bytes` unread, or after ~2 s. */
async function buffered(socket: Socket, bytes: number): Promise<number> {
  for (let i = 0; i < 200 && socket.readableLength < bytes; i++)
    await new Promise((resolve) => setTimeout(resolve, 10));
  return socket.readableLength;
}

describe('reading a hostile response through boundReads', () => {
  let hostile: HostileReceiver;
  beforeAll(async () => {
    hostile = await startHostileReceiver();
  });
  afterAll(async () => {
    await hostile.close();
  });

  it('a response of 100,000 headers: past the header cap, the parser is handed at most one small slice', async () => {
    const url = new URL(hostile.url('many-headers'));
    const socket = boundReads(connect(Number(url.port), url.hostname));
    socket.on('error', () => {});
    socket.write(`POST ${url.pathname} HTTP/1.1\r\nhost: ${url.host}\r\ncontent-length: 0\r\n\r\n`);
    expect(await buffered(socket, 3 * HEADER_CAP)).toBeGreaterThanOrEqual(3 * HEADER_CAP);

    // What undici's parser does: read until null, count header bytes, destroy the socket at
    // the cap, and go on through the rest of the chunk in hand (each header left in it is a
    // callback and, in undici, one HeadersOverflowError constructed).
    let headerBytes = 0;
    let linesPastCap = 0;
    let reads = 0;
    for (
      let chunk = socket.read() as Buffer | null;
      chunk !== null && reads < 10_000;
      chunk = socket.read()
    ) {
      reads++;
      let from = 0;
      for (let at = chunk.indexOf('\r\n'); at !== -1; from = at + 2, at = chunk.indexOf('\r\n', from)) {
        if (socket.destroyed) {
          linesPastCap++;
          continue;
        }
        headerBytes += at + 2 - from;
        if (headerBytes >= HEADER_CAP) socket.destroy();
      }
    }
    expect(socket.destroyed).toBe(true);
    // "x-hNNNNN: v\r\n" is 13-14 bytes: a 1 KiB slice holds under 80 of them (16 KiB: ~1,200).
    expect(linesPastCap).toBeLessThan(100);
  });
});
