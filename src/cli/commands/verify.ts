/**
 * `herald verify`: checks a webhook captured elsewhere (a request log, a tunnel inspector) the way
 * a receiver would, to tell a wrong secret from a re-serialised body or a stale timestamp.
 */

import { createVerifier, DEFAULT_TOLERANCE_SECONDS, WebhookVerificationError } from '@herald/verify';
import { Option } from 'commander';
import { type CliIo, EXIT_USAGE, helpEpilogue, type Register, runCommands } from '../command.js';

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

/** Adds `verify`. */
export const registerVerifyCommand: Register = (program, cli) => {
  const command = program
    .command('verify')
    // The whole usage after a mistake: the header syntax is the usual one.
    .showHelpAfterError(true)
    .description(
      "check a captured webhook's signature as a receiver would; the body is read from stdin, byte for byte",
    )
    .addOption(
      new Option(
        '--secret <key>',
        'whsec_ secret, whpk_ public key or whsk_ key (repeat for several)',
      ).argParser(collect),
    )
    .option('-H, --header <header>', "a request header, 'name: value'; webhook-* or svix-* (repeat)", collect)
    .option(
      '--tolerance <seconds>',
      'how far the timestamp may be from now',
      String(DEFAULT_TOLERANCE_SECONDS),
    )
    .option('--now <unix seconds>', 'check as if at this time (for an old capture)')
    .addHelpText(
      'after',
      helpEpilogue(
        [],
        [
          'echo -n \'{"test": 2432232314}\' | npx herald verify --secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw \\\n' +
            "      --header 'webhook-id: msg_p5jXN8AQM9LWM0D4loKWxJek' --header 'webhook-timestamp: 1614265330' \\\n" +
            "      --header 'webhook-signature: v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=' --now 1614265330",
        ],
        'Exit codes: 0 verified (prints ok and the payload), 1 not verified (prints why), 2 usage error.',
      ),
    )
    .action(async (options: { secret?: string[]; header?: string[]; tolerance: string; now?: string }) => {
      // Checked here rather than as a mandatory option, so that an unknown option is named first.
      if (!options.secret?.length) command.error('error: --secret is required', { exitCode: EXIT_USAGE });
      const secrets = options.secret as string[];
      const headers: Record<string, string> = {};
      for (const line of options.header ?? []) {
        const colon = line.indexOf(':');
        if (colon <= 0)
          command.error(`error: --header must look like 'name: value', got '${line}'`, {
            exitCode: EXIT_USAGE,
          });
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      const toleranceSeconds = Number(options.tolerance);
      if (!Number.isFinite(toleranceSeconds) || toleranceSeconds < 0)
        command.error('error: --tolerance must be a number of seconds', { exitCode: EXIT_USAGE });
      const nowSeconds = options.now === undefined ? undefined : Number(options.now);
      if (nowSeconds !== undefined && !Number.isFinite(nowSeconds))
        command.error('error: --now must be a Unix time in seconds', { exitCode: EXIT_USAGE });
      cli.exit(await verifyRequest(cli.io, secrets, headers, toleranceSeconds, nowSeconds));
    });
};

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

async function verifyRequest(
  io: CliIo,
  secrets: string[],
  headers: Record<string, string>,
  toleranceSeconds: number,
  nowSeconds: number | undefined,
): Promise<number> {
  try {
    const verifier = createVerifier(secrets);
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

/**
 * Runs `herald verify` with `args` (the words after `verify`). Prints `ok` and the payload on
 * stdout and returns 0 when the webhook verifies; prints the error code and an explanation on
 * stderr and returns 1 when it does not; returns 2 for a usage error.
 */
export function runVerifyCommand(args: string[], io: CliIo): Promise<number> {
  return runCommands([registerVerifyCommand], ['verify', ...args], io);
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream)
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk));
  return Buffer.concat(chunks);
}
