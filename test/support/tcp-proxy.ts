import { connect, createServer, type Server, type Socket } from 'node:net';

/** A TCP proxy on 127.0.0.1 in front of one upstream address, which a test can cut. */
export interface TcpProxy {
  port: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  /**
   * Drops every open connection and refuses new ones (the port stops listening) for `ms`,
   * then accepts again. Resolves when it accepts again.
   */
  cut(ms: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * Stands between Herald and a shared database server, so a test can take the database away
 * from its own processes (every connection dropped, new ones refused) and give it back,
 * without touching the server that other tests use.
 */
export async function startTcpProxy(upstreamHost: string, upstreamPort: number): Promise<TcpProxy> {
  const open = new Set<Socket>();
  let accepted = 0;
  let closed = false;
  const onConnection = (client: Socket) => {
    accepted++;
    const upstream = connect(upstreamPort, upstreamHost);
    // Without this, Nagle's algorithm meets delayed ACKs: ~40 ms on every query round trip.
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    open.add(client);
    open.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  };
  let server: Server = createServer(onConnection);
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
    });
  const stopListening = () => new Promise<void>((resolve) => server.close(() => resolve()));
  const port = await listen(0);
  const dropAll = () => {
    for (const socket of open) socket.destroy();
    open.clear();
  };
  return {
    port,
    get accepted() {
      return accepted;
    },
    async cut(ms) {
      const closing = stopListening();
      dropAll();
      await closing;
      await new Promise((r) => setTimeout(r, ms));
      if (closed) return;
      server = createServer(onConnection);
      await listen(port);
    },
    async close() {
      closed = true;
      const closing = stopListening();
      dropAll();
      await closing;
    },
  };
}
