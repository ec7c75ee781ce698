import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, gzipSync, constants as zlib } from 'node:zlib';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { HeraldContext } from '../context.js';
import type { HeraldApp } from './types.js';

/** Where `npm --prefix ui run build` writes the UI (the same path from `src/http` and `dist/http`). */
const DEFAULT_UI_DIR = fileURLToPath(new URL('../../ui/dist/', import.meta.url));

/**
 * Client-side routes that answer with index.html (the app routes itself). Listed rather than a
 * catch-all so that an unknown path outside them, and every unknown `/api/` path, still gets
 * Herald's JSON 404.
 */
const DASHBOARD_PAGES = ['/', '/apps', '/apps/*', '/catalog', '/catalog/*'];
const PORTAL_PAGES = ['/portal', '/portal/*'];

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};
const COMPRESSIBLE = new Set(['.js', '.mjs', '.css', '.html', '.json', '.map', '.svg', '.txt']);
/** Vite's hashed file names, and nothing that could climb out of the folder. */
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * The pages' Content-Security-Policy: scripts and styles from Herald only (the JSON editor's
 * schema validator interprets schemas, so no 'unsafe-eval'), API calls to Herald only. The
 * dashboard may not be framed (it holds an admin token); the portal is made to be embedded in
 * the platform's own site, so any site may frame it.
 */
export function contentSecurityPolicy(face: 'dashboard' | 'portal'): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    face === 'dashboard' ? "frame-ancestors 'none'" : 'frame-ancestors *',
  ].join('; ');
}

/** One file ready to send: its bytes, type, validator, and compressed forms made on first demand. */
interface StaticFile {
  body: Buffer;
  type: string;
  etag: string;
  compressible: boolean;
  gzip?: Buffer;
  br?: Buffer;
}

function loadFile(path: string): StaticFile {
  const body = readFileSync(path);
  const ext = extname(path).toLowerCase();
  return {
    body,
    type: CONTENT_TYPES[ext] ?? 'application/octet-stream',
    etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
    compressible: COMPRESSIBLE.has(ext) && body.length > 1024,
  };
}

/** The content codings a client accepts (`q=0` means refused). */
function acceptedEncodings(header: string | undefined): Set<string> {
  const accepted = new Set<string>();
  for (const part of (header ?? '').split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    if (name && (!q || Number(q.slice(2)) > 0)) accepted.add(name);
  }
  return accepted;
}

/** Picks br or gzip from Accept-Encoding, compressing once and keeping the result with the file. */
function negotiate(
  file: StaticFile,
  acceptEncoding: string | undefined,
): { body: Buffer; encoding?: string } {
  if (!file.compressible) return { body: file.body };
  const accepted = acceptedEncodings(acceptEncoding);
  if (accepted.has('br')) {
    file.br ??= brotliCompressSync(file.body, { params: { [zlib.BROTLI_PARAM_QUALITY]: 9 } });
    return { body: file.br, encoding: 'br' };
  }
  if (accepted.has('gzip')) {
    file.gzip ??= gzipSync(file.body, { level: 9 });
    return { body: file.gzip, encoding: 'gzip' };
  }
  return { body: file.body };
}

function send(
  request: FastifyRequest,
  reply: FastifyReply,
  file: StaticFile,
  headers: Record<string, string>,
): FastifyReply {
  reply.headers({
    ...headers,
    etag: file.etag,
    vary: 'accept-encoding',
    'x-content-type-options': 'nosniff',
  });
  if (request.headers['if-none-match'] === file.etag) return reply.code(304).send();
  const { body, encoding } = negotiate(file, request.headers['accept-encoding']);
  if (encoding) reply.header('content-encoding', encoding);
  return reply.type(file.type).send(body);
}

/**
 * The web UI's static files: the dashboard at `/` and the consumer portal at `/portal` (one
 * index.html, which routes itself), hashed assets under `/assets/` cached for a year, and
 * index.html never cached so a new Herald's UI is picked up at once. All outside `/api/`, so no
 * token is asked for: the pages call the API with the token the person gives them.
 */
export async function uiRoutes(
  app: HeraldApp,
  _ctx: HeraldContext,
  dir: string = DEFAULT_UI_DIR,
): Promise<void> {
  const assets = new Map<string, StaticFile>();
  let index: { file: StaticFile; mtimeMs: number } | null = null;

  // Re-read index.html when a rebuild replaced it; assets are immutable, so they are cached for good.
  const readIndex = (): StaticFile | null => {
    try {
      const { mtimeMs } = statSync(join(dir, 'index.html'));
      if (!index || index.mtimeMs !== mtimeMs) index = { file: loadFile(join(dir, 'index.html')), mtimeMs };
      return index.file;
    } catch {
      return null;
    }
  };

  const page = (face: 'dashboard' | 'portal') => async (request: FastifyRequest, reply: FastifyReply) => {
    const file = readIndex();
    if (!file) {
      return reply
        .code(503)
        .type('text/plain; charset=utf-8')
        .header('cache-control', 'no-store')
        .send(
          'The Herald web UI has not been built. Run `npm --prefix ui ci && npm --prefix ui run build` ' +
            '(or `npm install` at the top of the project), then reload.',
        );
    }
    return send(request, reply, file, {
      'cache-control': 'no-cache',
      'content-security-policy': contentSecurityPolicy(face),
      'referrer-policy': 'no-referrer',
      ...(face === 'dashboard' ? { 'x-frame-options': 'DENY' } : {}),
    });
  };

  const route = { config: { public: true }, schema: { hide: true } } as const;
  for (const url of DASHBOARD_PAGES) app.get(url, route, page('dashboard'));
  for (const url of PORTAL_PAGES) app.get(url, route, page('portal'));

  app.get('/assets/:file', route, async (request, reply) => {
    const name = (request.params as { file: string }).file;
    let file = assets.get(name);
    if (!file && SAFE_NAME.test(name)) {
      try {
        file = loadFile(join(dir, 'assets', name));
        assets.set(name, file);
      } catch {
        file = undefined;
      }
    }
    if (!file) return reply.code(404).type('text/plain; charset=utf-8').send('Not found');
    return send(request, reply, file, { 'cache-control': IMMUTABLE });
  });

  // Files Vite copies from ui/public to the top of dist (the favicon): not hashed, cached a day.
  let publicFiles: string[] = [];
  try {
    publicFiles = readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isFile() && entry.name !== 'index.html' && SAFE_NAME.test(entry.name))
      .map((entry) => entry.name);
  } catch {
    /* not built: only the pages answer, with the 503 above */
  }
  for (const name of publicFiles) {
    const file = loadFile(join(dir, name));
    app.get(`/${name}`, route, async (request, reply) =>
      send(request, reply, file, { 'cache-control': 'public, max-age=86400' }),
    );
  }
}
