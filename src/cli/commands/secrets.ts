import type { HeraldContext } from '../../context.js';
import { reencryptHeaders } from '../../signing/endpoint-headers.js';
import { generateMainSecret } from '../../signing/main-key.js';
import { helpEpilogue, type Register } from '../command.js';

const BATCH = 200;

/**
 * `herald secrets generate-main-key` prints a new main key.
 * `herald secrets rotate-main-key` re-encrypts every endpoint secret and custom header map
 * under the current `HERALD_MAIN_SECRET` (encrypting header maps an earlier version stored in
 * plaintext); running Herald processes keep working throughout as long as they
 * have the old key in `HERALD_MAIN_SECRET_PREVIOUS`.
 */
export const registerSecretsCommand: Register = (program, cli) => {
  const secrets = program
    .command('secrets')
    .helpCommand(false)
    .description('main key tools: generate one, or re-encrypt every stored secret under the current one')
    .addHelpText(
      'after',
      helpEpilogue([], ['npx herald secrets generate-main-key', 'npx herald secrets rotate-main-key --help']),
    );
  secrets
    .command('generate-main-key')
    .description('print a new random main key (base64 of 32 bytes) for HERALD_MAIN_SECRET; touches nothing')
    .addHelpText(
      'after',
      helpEpilogue([], ['export HERALD_MAIN_SECRET=$(npx herald secrets generate-main-key)']),
    )
    .action(() => {
      cli.io.stdout.write(`${generateMainSecret()}\n`);
      cli.exit(0);
    });
  secrets
    .command('rotate-main-key')
    .description('re-encrypt every endpoint secret and header map under the current HERALD_MAIN_SECRET')
    .addHelpText(
      'after',
      helpEpilogue(
        [
          'HERALD_MAIN_SECRET',
          'HERALD_MAIN_SECRET_PREVIOUS',
          'HERALD_DATABASE_URL',
          'HERALD_DATA_DIR',
          'HERALD_CONFIG',
        ],
        ['HERALD_MAIN_SECRET=$NEW HERALD_MAIN_SECRET_PREVIOUS=$OLD npx herald secrets rotate-main-key'],
        'Give every running process the new key first, with the old one in HERALD_MAIN_SECRET_PREVIOUS:\n' +
          'they keep decrypting both while this rewrites the stored values. Safe to run again.',
      ),
    )
    .action(async () => {
      const [{ loadConfig }, { createRuntime }] = await Promise.all([
        import('../../config/index.js'),
        import('../runtime.js'),
      ]);
      const runtime = await createRuntime(cli.io.config ?? loadConfig());
      try {
        const count = await reencryptAll(runtime.ctx);
        cli.io.stdout.write(
          `herald: re-encrypted the secrets and headers of ${count} endpoint(s) with main key ${runtime.ctx.keyring.currentKeyId}\n`,
        );
        cli.exit(0);
      } finally {
        await runtime.close();
      }
    });
};

/**
 * Re-encrypts, in small batches, every stored secret and header map not yet under the current
 * main key. Returns how many endpoints were rewritten.
 */
export async function reencryptAll(ctx: HeraldContext): Promise<number> {
  const { db } = ctx.store;
  let changed = 0;
  let after = '';
  for (;;) {
    const rows = await db
      .selectFrom('endpoint')
      .select(['id', 'secrets', 'headers'])
      .where('id', '>', after)
      .orderBy('id')
      .limit(BATCH)
      .execute();
    if (rows.length === 0) return changed;
    for (const row of rows) {
      const stored = JSON.parse(row.secrets) as { key: string; expiresAt: number | null }[];
      const secrets = stored.every((s) => ctx.keyring.isCurrent(s.key))
        ? row.secrets
        : JSON.stringify(stored.map((s) => ({ ...s, key: ctx.keyring.reencrypt(s.key) })));
      // Unchanged (the same string) when already encrypted under the current key.
      const headers = reencryptHeaders(ctx.keyring, row.headers);
      if (secrets === row.secrets && headers === row.headers) continue;
      // Compare-and-set: a rotation or headers write through the API meanwhile wins, and is already current.
      const result = await db
        .updateTable('endpoint')
        .set({ secrets, headers })
        .where('id', '=', row.id)
        .where('secrets', '=', row.secrets)
        .where('headers', '=', row.headers)
        .executeTakeFirst();
      changed += Number(result.numUpdatedRows);
    }
    after = rows[rows.length - 1]!.id;
  }
}
