import type { Socket } from 'node:net';

/**
 * Most bytes undici's HTTP parser gets from a socket per read: the response header cap.
 *
 * Why (issue 16, measured with `node --cpu-prof` and `monitorEventLoopDelay`): undici reads
 * everything the socket has buffered in one `socket.read()` and parses it in one go. When a
 * receiver sends 100,000 tiny headers, undici sees the 16 KiB header cap passed after ~1,600
 * of them and destroys the socket, but its parser goes on calling back for every header left
 * in that buffer, often megabytes of them: five such responses blocked the event loop for
 * 603 ms (and with them the API on the same process). Handing the parser at most this much
 * per read, and nothing once the socket is destroyed, stops it within one slice: the same
 * five responses cost 10 ms. A healthy response (a few hundred bytes) is one read as before;
 * a 64 KiB body (the read cap) is four.
 */
export const READ_SLICE_BYTES = 16 * 1024;

/** Makes `socket.read()` return at most {@link READ_SLICE_BYTES}, and nothing once destroyed. */
export function boundReads(socket: Socket): Socket {
  const read = socket.read;
  socket.read = function boundedRead(this: Socket, size?: number) {
    if (this.destroyed) return null;
    if (size === undefined && this.readableLength > READ_SLICE_BYTES)
      return read.call(this, READ_SLICE_BYTES);
    return read.call(this, size);
  };
  return socket;
}
