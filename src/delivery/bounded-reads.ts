import type { Socket } from 'node:net';

/**
 * Most bytes undici's HTTP parser gets from a socket per read.
 *
 * Why (issue 16, measured with `node --cpu-prof` and `monitorEventLoopDelay`): undici reads
 * everything the socket has buffered in one `socket.read()` and parses it in one go. When a
 * receiver sends 100,000 tiny headers, undici sees the 16 KiB header cap passed after ~1,200
 * of them and destroys the socket, but its parser goes on through the rest of that read,
 * and for every header left in it `trackHeader` constructs a new `HeadersOverflowError`
 * (a stack trace each) before finding the socket already destroyed. Unbounded, five such
 * responses blocked the event loop for 603 ms. At 16 KiB per read the waste is one read's
 * worth, ~2,300 errors: in the "Hostile receivers" bench on SQLite the longest tasks of the
 * Herald process (82-205 ms each) were still these, and 20 such responses spent 262 ms
 * constructing them (`HeadersOverflowError`, inclusive time). At 1 KiB, ~150 errors: 71 ms for
 * the same 20. Per attempt against that receiver in another process (200 attempts, 8 at a
 * time, CPU time of the sending process): 26-49 ms at 16 KiB, 7 ms at 1 KiB, 5 ms at 256 B;
 * event-loop delay p99 184-261 ms against 41-49 ms. A healthy response (a few hundred bytes)
 * is still one read; a 64 KiB body (the read cap) is 64 reads of one tick, each a copy into
 * the parser: an endless body cost 3.4 ms per attempt at 16 KiB, 3.9 at 1 KiB (noise), and
 * below 1 KiB the read calls start to show, hence 1 KiB.
 */
export const READ_SLICE_BYTES = 1024;

/** The socket whose bytes undici's parser is working through now (see {@link socketBeingRead}). */
let beingRead: Socket | null = null;

/**
 * The socket of the response being parsed, for code that undici calls while it parses (a
 * response's handler): undici parses what a `socket.read()` returned synchronously after the
 * read, so the last socket read is the one. Null before any read.
 */
export function socketBeingRead(): Socket | null {
  return beingRead;
}

/** Makes `socket.read()` return at most {@link READ_SLICE_BYTES}, and nothing once destroyed. */
export function boundReads(socket: Socket): Socket {
  const read = socket.read;
  socket.read = function boundedRead(this: Socket, size?: number) {
    if (this.destroyed) return null;
    beingRead = this;
    if (size === undefined && this.readableLength > READ_SLICE_BYTES)
      return read.call(this, READ_SLICE_BYTES);
    return read.call(this, size);
  };
  return socket;
}
