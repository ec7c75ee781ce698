import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHerald, type TestHerald } from '../support/herald.js';
import { type ReceivedRequest, type Receiver, startReceiver } from '../support/receiver.js';

const run = promisify(execFile);
const PACKAGE = fileURLToPath(new URL('../../packages/verify/', import.meta.url));

/** What a receiver's own project does with the package, once as ESM and once as CommonJS. */
const ESM_RECEIVER = `
import { verify, WebhookVerificationError } from '@herald/verify';
import { verifyWebhook } from '@herald/verify/express';
const { body, headers, secret } = JSON.parse(await new Promise((r) => { let s = ''; process.stdin.on('data', (c) => (s += c)).on('end', () => r(s)); }));
if (typeof verifyWebhook !== 'function') throw new Error('no express middleware');
try {
  console.log(JSON.stringify({ ok: verify(body, headers, secret) }));
} catch (err) {
  if (!(err instanceof WebhookVerificationError)) throw err;
  console.log(JSON.stringify({ error: err.code }));
}
`;
const CJS_RECEIVER = `
const { verify, WebhookVerificationError } = require('@herald/verify');
const { verifyWebhookPlugin } = require('@herald/verify/fastify');
let s = '';
process.stdin.on('data', (c) => (s += c)).on('end', () => {
  const { body, headers, secret } = JSON.parse(s);
  if (typeof verifyWebhookPlugin !== 'function') throw new Error('no fastify plugin');
  try {
    console.log(JSON.stringify({ ok: verify(body, headers, secret) }));
  } catch (err) {
    if (!(err instanceof WebhookVerificationError)) throw err;
    console.log(JSON.stringify({ error: err.code }));
  }
});
`;

/** Runs `file` in the receiver project with `input` on stdin; returns what it printed, parsed. */
async function receive(project: string, file: string, input: unknown): Promise<Record<string, unknown>> {
  const child = execFile(process.execPath, [join(project, file)], { cwd: project });
  child.stdin?.end(JSON.stringify(input));
  let out = '';
  child.stdout?.on('data', (d) => {
    out += String(d);
  });
  let err = '';
  child.stderr?.on('data', (d) => {
    err += String(d);
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`${file} exited ${code}: ${err}`);
  return JSON.parse(out) as Record<string, unknown>;
}

describe('the @herald/verify package, packed and installed into a receiver project', () => {
  let project: string;
  let herald: TestHerald;
  let receiver: Receiver;
  let delivery: ReceivedRequest;
  let secret: string;

  beforeAll(async () => {
    // npm ci builds it (the root prepare script); build it here when a checkout has not.
    if (!existsSync(join(PACKAGE, 'dist', 'cjs', 'package.json')))
      await run(process.execPath, [join(PACKAGE, 'build.mjs')]);
    project = mkdtempSync(join(tmpdir(), 'herald-receiver-'));
    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', project], { cwd: PACKAGE });
    const [packed] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
    expect(packed?.files.some((f) => f.path === 'dist/cjs/index.d.ts')).toBe(true);
    expect(packed?.files.some((f) => f.path.startsWith('src/'))).toBe(false);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'acme-receiver', private: true }));
    // From the tarball alone, offline: the package has no dependencies to fetch.
    await run(
      'npm',
      [
        'install',
        '--offline',
        '--no-audit',
        '--no-fund',
        '--ignore-scripts',
        join(project, packed!.filename),
      ],
      { cwd: project },
    );
    writeFileSync(join(project, 'receiver.mjs'), ESM_RECEIVER);
    writeFileSync(join(project, 'receiver.cjs'), CJS_RECEIVER);

    [herald, receiver] = await Promise.all([startTestHerald('sqlite'), startReceiver()]);
    await herald.api('POST', '/api/v1/app', { name: 'Acme', uid: 'acme' });
    await herald.api('POST', '/api/v1/app/acme/endpoint', { url: receiver.url('/hooks'), uid: 'main' });
    secret = (await herald.api('GET', '/api/v1/app/acme/endpoint/main/secret')).body.key as string;
    await herald.api('POST', '/api/v1/app/acme/msg', {
      eventType: 'invoice.paid',
      payload: { invoiceId: 'in_1' },
    });
    [delivery] = (await receiver.waitForRequests(1)) as [ReceivedRequest];
  }, 180_000);
  afterAll(async () => {
    await herald?.stop();
    await receiver?.close();
    if (project) rmSync(project, { recursive: true, force: true });
  });

  it('installs with no dependencies of its own', () => {
    const installed = readdirSync(join(project, 'node_modules')).filter((name) => !name.startsWith('.'));
    expect(installed).toEqual(['@herald']);
    const manifest = JSON.parse(
      readFileSync(join(project, 'node_modules/@herald/verify/package.json'), 'utf8'),
    );
    expect(manifest.dependencies).toBeUndefined();
  });

  for (const file of ['receiver.mjs', 'receiver.cjs']) {
    it(`verifies a real Herald delivery from ${file.endsWith('.mjs') ? 'ESM' : 'CommonJS'}, and refuses it altered`, async () => {
      const { body, headers } = delivery;
      expect(await receive(project, file, { body, headers, secret })).toEqual({ ok: { invoiceId: 'in_1' } });
      expect(await receive(project, file, { body: body.replace('in_1', 'in_2'), headers, secret })).toEqual({
        error: 'invalid_signature',
      });
    });
  }
});
