import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HeraldContext } from '../../src/context.js';
import type { HeraldApp } from '../../src/http/types.js';
import { uiRoutes } from '../../src/http/ui.js';

const INDEX =
  '<!doctype html><html><head><script type="module" src="/assets/index-Ab12Cd.js"></script></head></html>';
const SCRIPT = `console.log(${JSON.stringify('herald '.repeat(400))});`;

/** A Fastify app serving a hand-made `ui/dist` on a real socket. */
async function serve(dir: string) {
  const app = Fastify();
  await uiRoutes(app as unknown as HeraldApp, {} as HeraldContext, dir);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as { port: number };
  return { app, url: `http://127.0.0.1:${port}` };
}

describe('the UI files', () => {
  let dir: string;
  let server: Awaited<ReturnType<typeof serve>>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'herald-ui-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), INDEX);
    writeFileSync(join(dir, 'assets', 'index-Ab12Cd.js'), SCRIPT);
    writeFileSync(join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    writeFileSync(join(dir, 'secret.txt.bak'), 'not served');
    server = await serve(dir);
  });
  afterAll(async () => {
    await server?.app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers the dashboard with index.html that is never cached and cannot be framed', async () => {
    const res = await fetch(`${server.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await res.text()).toBe(INDEX);
  });

  it('answers client routes of both faces with the same page (deep links and reloads work)', async () => {
    for (const path of [
      '/apps',
      '/apps/acme/endpoints/ep_1/test',
      '/catalog',
      '/portal',
      '/portal/history?x=1',
    ]) {
      const res = await fetch(`${server.url}${path}`);
      expect(res.status, path).toBe(200);
      expect(await res.text(), path).toBe(INDEX);
    }
  });

  it('lets any site frame the consumer portal, which platforms embed', async () => {
    const res = await fetch(`${server.url}/portal?name=Acme`);
    expect(res.headers.get('x-frame-options')).toBeNull();
    expect(res.headers.get('content-security-policy')).toContain('frame-ancestors *');
  });

  it('caches hashed assets for a year, compressed when the browser accepts it', async () => {
    const plain = await fetch(`${server.url}/assets/index-Ab12Cd.js`, {
      headers: { 'accept-encoding': 'identity' },
    });
    expect(plain.status).toBe(200);
    expect(plain.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(plain.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect(await plain.text()).toBe(SCRIPT);

    // fetch() would decode the body itself; read the raw bytes through node's http instead.
    const { request } = await import('node:http');
    const raw = (encoding: string) =>
      new Promise<{ encoding: string | undefined; body: Buffer }>((resolve, reject) => {
        request(
          `${server.url}/assets/index-Ab12Cd.js`,
          { headers: { 'accept-encoding': encoding } },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () =>
              resolve({
                encoding: res.headers['content-encoding'] as string | undefined,
                body: Buffer.concat(chunks),
              }),
            );
          },
        )
          .on('error', reject)
          .end();
      });
    const br = await raw('gzip, deflate, br');
    expect(br.encoding).toBe('br');
    expect(br.body.length).toBeLessThan(SCRIPT.length / 4);
    expect(brotliDecompressSync(br.body).toString()).toBe(SCRIPT);
    const gzip = await raw('gzip, br;q=0');
    expect(gzip.encoding).toBe('gzip');
    expect(gunzipSync(gzip.body).toString()).toBe(SCRIPT);
  });

  it('answers 304 when the browser already has the file', async () => {
    const first = await fetch(`${server.url}/assets/index-Ab12Cd.js`);
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^".+"$/);
    const again = await fetch(`${server.url}/assets/index-Ab12Cd.js`, {
      headers: { 'if-none-match': etag! },
    });
    expect(again.status).toBe(304);
  });

  it('answers 404, not the page, for an asset that does not exist or a path that climbs out', async () => {
    for (const path of ['/assets/missing-123.js', '/assets/..%2F..%2Fpackage.json', '/assets/.hidden']) {
      const res = await fetch(`${server.url}${path}`);
      expect(res.status, path).toBe(404);
      expect(await res.text(), path).not.toContain('<html');
    }
  });

  it('serves the public files beside index.html and nothing else from the folder root', async () => {
    const icon = await fetch(`${server.url}/favicon.svg`);
    expect(icon.status).toBe(200);
    expect(icon.headers.get('content-type')).toBe('image/svg+xml');
    // Registered because it is in the folder, yet only as itself; unrelated paths are not pages.
    expect((await fetch(`${server.url}/index.html.orig`)).status).toBe(404);
    expect((await fetch(`${server.url}/unknown/page`)).status).toBe(404);
  });
});

describe('the UI before it is built', () => {
  it('says how to build it instead of failing obscurely', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'herald-ui-empty-'));
    const server = await serve(dir);
    try {
      const res = await fetch(`${server.url}/portal`);
      expect(res.status).toBe(503);
      expect(await res.text()).toContain('npm --prefix ui run build');
    } finally {
      await server.app.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
