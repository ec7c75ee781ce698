/**
 * `herald verify`: checks a webhook captured elsewhere (a request log, a tunnel inspector) the way
 * a receiver would, to tell a wrong secret from a re-serialised body or a stale timestamp.
 */
import { parseArgs } from 'node:util';
import { createVerifier, DEFAULT_TOLERANCE_SECONDS, WebhookVerificationError } from '../../verify/index.js';

/** The streams a command talks to; tests pass in-memory ones. */
export interface CommandIo {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

const USAGE = `Usage: herald verify --secret <whsec_…|whpk_…|whsk_…> --header 'webhook-id: …'
         --header 'webhook-timestamp: …' --header 'webhook-signature: …'
         [--tolerance <seconds>] [--now <unix seconds>]  < body

Checks a webhook's signature as a receiver would. The body is read from stdin, byte for byte.
--secret and --header may be repeated; svix-* headers are accepted too.
Exit codes: 0 verified, 1 not verified, 2 usage error.
`;

const EXPLANATIONS: Record<string, string> = {
  missing_header: 'A signature header is missing or malformed.',
  timestamp_too_old:
    'The timestamp is older than the tolerance: pass --now <the time it was sent> to check an old capture.',
  timestamp_too_new: 'The timestamp is in the future beyond the tolerance: check the clocks, or pass --now.',
  invalid_signature:
    'No signature matches: the secret is wrong, or the body differs from what was sent (re-serialised JSON, a changed newline).',
  invalid_secret: 'The secret is not a whsec_, whpk_ or whsk_ key.',
  invalid_payload: 'The signature is valid, but the body is not JSON.',
};

/**
 * Runs `herald verify` with `args` (the words after `verify`). Prints `ok` and the payload on
 * stdout and returns 0 when the webhook verifies; prints the error code and an explanation on
 * stderr and returns 1 when it does not; returns 2 for a usage error.
 */
export async function runVerifyCommand(args: string[], io: CommandIo): Promise<number> {
  let values: { secret?: string[]; header?: string[]; tolerance?: string; now?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args,
      options: {
        secret: { type: 'string', multiple: true },
        header: { type: 'string', short: 'H', multiple: true },
        tolerance: { type: 'string' },
        now: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    return usageError(io, (err as Error).message);
  }
  if (values.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  if (!values.secret?.length) return usageError(io, '--secret is required');

  const headers: Record<string, string> = {};
  for (const line of values.header ?? []) {
    const colon = line.indexOf(':');
    if (colon <= 0) return usageError(io, `--header must look like 'name: value', got '${line}'`);
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const toleranceSeconds =
    values.tolerance === undefined ? DEFAULT_TOLERANCE_SECONDS : Number(values.tolerance);
  if (!Number.isFinite(toleranceSeconds) || toleranceSeconds < 0) {
    return usageError(io, '--tolerance must be a number of seconds');
  }
  const nowSeconds = values.now === undefined ? undefined : Number(values.now);
  if (nowSeconds !== undefined && !Number.isFinite(nowSeconds)) {
    return usageError(io, '--now must be a Unix time in seconds');
  }

  try {
    const verifier = createVerifier(values.secret);
    const body = await readAll(io.stdin);
    const { payload } = verifier(body, headers, {
      toleranceSeconds,
      now: nowSeconds === undefined ? Date.now() : nowSeconds * 1000,
    });
    io.stdout.write(`ok\n${payload === undefined ? '' : `${JSON.stringify(payload, null, 2)}\n`}`);
    return 0;
  } catch (err) {
    if (!(err instanceof WebhookVerificationError)) throw err;
    io.stderr.write(`${err.code}: ${err.message}\n${EXPLANATIONS[err.code] ?? ''}\n`);
    return 1;
  }
}

function usageError(io: CommandIo, message: string): number {
  io.stderr.write(`herald verify: ${message}\n\n${USAGE}`);
  return 2;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream)
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk));
  return Buffer.concat(chunks);
}
