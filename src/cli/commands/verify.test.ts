import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { generateEndpointSecret, publicSecretForm } from '../../signing/secrets.js';
import { signatureHeader } from '../../signing/sign.js';
import { runVerifyCommand } from './verify.js';

async function run(args: string[], stdin: string) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (chunk: Buffer) => out.push(chunk));
  stderr.on('data', (chunk: Buffer) => err.push(chunk));
  const code = await runVerifyCommand(args, { stdin: Readable.from([Buffer.from(stdin)]), stdout, stderr });
  return { code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}

const BODY = '{"type": "invoice.paid",  "data": {"id": "in_1"}}\n';
const TS = 1700000000;

function headerArgs(secret: string, body = BODY, id = 'msg_cli') {
  return [
    '--header',
    `webhook-id: ${id}`,
    '--header',
    `Webhook-Timestamp: ${TS}`,
    '--header',
    `webhook-signature: ${signatureHeader(id, TS, body, [secret])}`,
  ];
}

describe('herald verify', () => {
  it('prints ok and the payload and exits 0 for a valid webhook', async () => {
    const secret = generateEndpointSecret('hmac');
    const result = await run(['--secret', secret, ...headerArgs(secret), '--now', String(TS + 10)], BODY);
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')[0]).toBe('ok');
    expect(JSON.parse(result.stdout.slice(3))).toEqual({ type: 'invoice.paid', data: { id: 'in_1' } });
    expect(result.stderr).toBe('');
  });

  it('verifies a v1a signature with the whpk_ public key', async () => {
    const secret = generateEndpointSecret('ed25519');
    const result = await run(
      ['--secret', publicSecretForm(secret), ...headerArgs(secret), '--now', String(TS)],
      BODY,
    );
    expect(result.code).toBe(0);
  });

  it('exits 1 with invalid_signature and a plain explanation when the body changed', async () => {
    const secret = generateEndpointSecret('hmac');
    const result = await run(
      ['--secret', secret, ...headerArgs(secret), '--now', String(TS)],
      BODY.trimEnd(),
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^invalid_signature: /);
    expect(result.stderr).toMatch(/re-serialised JSON/);
    expect(result.stderr).not.toContain(secret.slice(6));
    expect(result.stdout).toBe('');
  });

  it('exits 1 with timestamp_too_old for an old capture unless --now or --tolerance allows it', async () => {
    const secret = generateEndpointSecret('hmac');
    const stale = await run(['--secret', secret, ...headerArgs(secret)], BODY);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(/^timestamp_too_old: .*\n.*--now/);
    const tolerated = await run(
      ['--secret', secret, ...headerArgs(secret), '--now', String(TS + 3600), '--tolerance', '7200'],
      BODY,
    );
    expect(tolerated.code).toBe(0);
  });

  it('exits 1 with missing_header when a header is not given', async () => {
    const secret = generateEndpointSecret('hmac');
    const result = await run(['--secret', secret, '--header', `webhook-id: msg_cli`], BODY);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^missing_header: /);
  });

  it('exits 1 with invalid_secret for a secret that is not a key, without echoing it', async () => {
    const result = await run(
      ['--secret', 'whsec_***not-base64***', ...headerArgs(generateEndpointSecret('hmac'))],
      BODY,
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^invalid_secret: /);
    expect(result.stderr).not.toContain('***not-base64***');
  });

  it('accepts several --secret values and passes when one matches', async () => {
    const secret = generateEndpointSecret('hmac');
    const args = ['--secret', generateEndpointSecret('hmac'), '--secret', secret, ...headerArgs(secret)];
    expect((await run([...args, '--now', String(TS)], BODY)).code).toBe(0);
  });

  it('exits 2 with the usage for a missing --secret, a malformed --header or an unknown option', async () => {
    for (const args of [
      ['--header', 'webhook-id: x'],
      ['--secret', 'whsec_x', '--header', 'no-colon'],
      ['--bogus'],
    ]) {
      const result = await run(args, BODY);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('Usage: herald verify');
    }
  });

  it('prints the usage and exits 0 for --help', async () => {
    const result = await run(['--help'], '');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: herald verify');
  });
});
