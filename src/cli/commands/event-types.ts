import { readFileSync, writeFileSync } from 'node:fs';
import { Option } from 'commander';
import YAML from 'yaml';
import type { HeraldContext } from '../../context.js';
import { catalogWebhooksDocument, exportCatalog, importCatalog } from '../../domains/event-type/catalog.js';
import {
  type CatalogFormat,
  formatFromPath,
  parseCatalogFile,
} from '../../domains/event-type/catalog-file.js';
import {
  type CliIo,
  CommandFailure,
  DATABASE_ENV,
  EXIT_USAGE,
  helpEpilogue,
  type Register,
  runCommands,
} from '../command.js';

const ENV = [...DATABASE_ENV, 'HERALD_LOG_LEVEL'];

/**
 * `herald event-types import | export | openapi`: the event catalog as code, so it can live in
 * the platform's repository and be applied in CI. Exit codes: 0 done, 1 the file or the
 * catalog was refused, 2 a usage error.
 */
export const registerEventTypesCommand: Register = (program, cli) => {
  const eventTypes = program
    .command('event-types')
    .helpCommand(false)
    .description(
      'the event catalog as code: import a catalog file, export it, or publish its OpenAPI document',
    )
    .addHelpText(
      'after',
      helpEpilogue(ENV, [
        'npx herald event-types import examples/catalog/billing.yaml --dry-run',
        'npx herald event-types export catalog.yaml',
      ]),
    );
  eventTypes
    .command('import')
    .description(
      'apply a catalog file (.yaml, .yml or .json): create the event types it lists that are missing, update those that differ, leave the others untouched',
    )
    .argument('<file>', 'the catalog file')
    .option('--dry-run', 'show what would change and write nothing')
    .addHelpText(
      'after',
      helpEpilogue(
        ENV,
        [
          'npx herald event-types import examples/catalog/billing.yaml --dry-run',
          'npx herald event-types import examples/catalog/billing.yaml',
        ],
        'Never deletes (mark an event type archived: true instead). All or nothing: an invalid file is\nrefused with every problem listed and exit code 1, and nothing is written.',
      ),
    )
    .action(async (file: string, options: { dryRun?: boolean }) => {
      cli.exit(await runImport(file, options.dryRun === true, cli.io));
    });
  eventTypes
    .command('export')
    .description('write the whole catalog (archived event types included) to FILE, or to stdout')
    .argument('[file]', 'where to write it (format from the extension: .yaml, .yml or .json)')
    .addOption(
      new Option('--format <format>', 'yaml or json (default: from FILE, else yaml)').choices([
        'yaml',
        'json',
      ]),
    )
    .addHelpText(
      'after',
      helpEpilogue(ENV, [
        'npx herald event-types export',
        'npx herald event-types export --format json > catalog.json',
      ]),
    )
    .action(async (file: string | undefined, options: { format?: CatalogFormat }) => {
      cli.exit(await runExport(file, options.format, cli.io));
    });
  eventTypes
    .command('openapi')
    .description(
      'write the OpenAPI 3.1 document whose "webhooks" section describes every live event type, to FILE (JSON, or YAML for .yaml/.yml) or stdout',
    )
    .argument('[file]', 'where to write it')
    .option('--title <title>', 'the document title')
    .option('--version <version>', 'the document version')
    .addHelpText(
      'after',
      helpEpilogue(ENV, [
        'npx herald event-types openapi webhooks.json --title "Acme webhooks" --version 2024-06-01',
      ]),
    )
    .action(async (file: string | undefined, options: { title?: string; version?: string }) => {
      cli.exit(await runOpenApi(file, options, cli.io));
    });
};

/** Runs `herald event-types …args` (tests call it in-process with their own config); returns the exit code. */
export function runEventTypesCommand(args: string[], io: Partial<CliIo> = {}): Promise<number> {
  return runCommands([registerEventTypesCommand], ['event-types', ...args], {
    stdin: io.stdin ?? process.stdin,
    stdout: io.stdout ?? process.stdout,
    stderr: io.stderr ?? process.stderr,
    ...(io.config ? { config: io.config } : {}),
  });
}

async function withContext<T>(io: CliIo, run: (ctx: HeraldContext) => Promise<T>): Promise<T> {
  const [{ loadConfig }, { createRuntime }] = await Promise.all([
    import('../../config/index.js'),
    import('../runtime.js'),
  ]);
  const runtime = await createRuntime(io.config ?? loadConfig());
  // A fresh database gets its first admin token here rather than at `herald serve`: say where it went.
  if (runtime.createdAdminToken)
    io.stderr.write(`herald: created the first admin token, saved in ${runtime.createdAdminToken.file}\n`);
  try {
    return await run(runtime.ctx);
  } finally {
    await runtime.close();
  }
}

async function runImport(file: string, dryRun: boolean, io: CliIo): Promise<number> {
  const format = formatFromPath(file);
  if (!format) throw new CommandFailure(`cannot tell the format of ${file}: name it .yaml, .yml or .json`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CommandFailure(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  const parsed = parseCatalogFile(text, format);
  if (!parsed.ok) {
    const lines = parsed.errors.map((e) => `  - ${e}`).join('\n');
    throw new CommandFailure(
      `${file} was not imported (${parsed.errors.length} problem(s)); nothing was changed:\n${lines}`,
    );
  }
  const summary = await withContext(io, (ctx) => importCatalog(ctx, parsed.eventTypes, { dryRun }));
  for (const [verb, names] of [
    ['create', summary.created],
    ['update', summary.updated],
  ] as const) {
    for (const name of names) io.stdout.write(`  ${dryRun ? `would ${verb}` : `${verb}d`} ${name}\n`);
  }
  io.stdout.write(
    `${dryRun ? 'dry run, nothing written: would have ' : ''}created ${summary.created.length}, ` +
      `updated ${summary.updated.length}, unchanged ${summary.unchanged.length}\n`,
  );
  return 0;
}

/** Writes `text` to `file`, or to stdout when there is none; says where it went on stderr. */
function output(text: string, file: string | undefined, io: CliIo, what: string) {
  if (file === undefined) {
    io.stdout.write(text);
    return;
  }
  try {
    writeFileSync(file, text);
  } catch (err) {
    throw new CommandFailure(`cannot write ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  io.stderr.write(`herald: wrote ${what} to ${file}\n`);
}

async function runExport(
  file: string | undefined,
  format: CatalogFormat | undefined,
  io: CliIo,
): Promise<number> {
  const fromPath = file === undefined ? 'yaml' : formatFromPath(file);
  const chosen = format ?? fromPath;
  if (!chosen)
    throw new CommandFailure(
      `cannot tell the format of ${file}: name it .yaml or .json, or pass --format`,
      EXIT_USAGE,
    );
  const text = await withContext(io, (ctx) => exportCatalog(ctx, chosen));
  output(text, file, io, 'the event catalog');
  return 0;
}

async function runOpenApi(
  file: string | undefined,
  options: { title?: string; version?: string },
  io: CliIo,
): Promise<number> {
  const format = file !== undefined && formatFromPath(file) === 'yaml' ? 'yaml' : 'json';
  const document = await withContext(io, (ctx) =>
    catalogWebhooksDocument(ctx, { includeFlagged: true, title: options.title, version: options.version }),
  );
  const text =
    format === 'yaml'
      ? YAML.stringify(document, { aliasDuplicateObjects: false, lineWidth: 0 })
      : `${JSON.stringify(document, null, 2)}\n`;
  output(text, file, io, 'the webhooks OpenAPI document');
  return 0;
}
