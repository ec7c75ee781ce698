import { createServer } from 'node:net';

/**
 * A free TCP port on 127.0.0.1 (asked of the OS, then released). Kept apart from process.ts,
 * which imports vitest, so the bench scripts can use it too.
 */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
