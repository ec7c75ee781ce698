import { loadConfig } from '../../config/index.js';
import type { HeraldContext } from '../../context.js';
import { reencryptHeaders } from '../../signing/endpoint-headers.js';
import { generateMainSecret } from '../../signing/main-key.js';
import { createRuntime } from '../runtime.js';

const BATCH = 200;

/**
 * `herald secrets generate-main-key` prints a new main key.
 * `herald secrets rotate-main-key` re-encrypts every endpoint secret and custom header map
 * under the current `HERALD_MAIN_SECRET` (encrypting header maps an earlier version stored in
 * plaintext); running Herald processes keep working throughout as long as they
 * have the old key in `HERALD_MAIN_SECRET_PREVIOUS`.
 */
export async function runSecretsCommand(
  args: string[],
  out: NodeJS.WritableStream = process.stdout,
): Promise<number> {
  const [sub] = args;
  if (sub === 'generate-main-key') {
    out.write(`${generateMainSecret()}\n`);
    return 0;
  }
  if (sub === 'rotate-main-key') {
    const runtime = await createRuntime(loadConfig());
    try {
      const count = await reencryptAll(runtime.ctx);
      out.write(
        `herald: re-encrypted the secrets and headers of ${count} endpoint(s) with main key ${runtime.ctx.keyring.currentKeyId}\n`,
      );
      return 0;
    } finally {
      await runtime.close();
    }
  }
  process.stderr.write('usage: herald secrets generate-main-key | rotate-main-key\n');
  return 2;
}

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
