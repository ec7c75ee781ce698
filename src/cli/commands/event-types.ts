import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import YAML from 'yaml';
import { type Config, loadConfig } from '../../config/index.js';
import type { HeraldContext } from '../../context.js';
import { catalogWebhooksDocument, exportCatalog, importCatalog } from '../../domains/event-type/catalog.js';
import {
  type CatalogFormat,
  formatFromPath,
  parseCatalogFile,
} from '../../domains/event-type/catalog-file.js';
import { createRuntime } from '../runtime.js';

const USAGE = `Usage:
  herald event-types import FILE [--dry-run]
      Applies a catalog file (.yaml, .yml or .json): creates the event types it lists that are
      missing, updates those that differ, leaves the others untouched. Never deletes.
  herald event-types export [FILE] [--format yaml|json]
      Writes the whole catalog (archived event types included) to FILE, or to stdout.
  herald event-types openapi [FILE] [--title TITLE] [--version VERSION]
      Writes the OpenAPI 3.1 document whose "webhooks" section describes every live event type
      (JSON; YAML when FILE ends in .yaml or .yml).

They run against the database configured by HERALD_* variables (HERALD_DATABASE_URL, …).`;

/** Where the command writes, and (tests) which configuration it runs with. */
export interface EventTypesCommandIo {
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
  /** Used instead of `loadConfig()`: tests point the command at their own database. */
  config?: Readonly<Config>;
}

/** A mistake in the command line or the file: reported in one line, exit code 1 or 2. */
class CommandError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/**
 * `herald event-types import | export | openapi`: the event catalog as code, so it can live in
 * the platform's repository and be applied in CI. Returns the exit code: 0 done, 1 the file or
 * the catalog was refused, 2 a usage error.
 */
export async function runEventTypesCommand(args: string[], io: EventTypesCommandIo = {}): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const [sub, ...rest] = args;
  try {
    switch (sub) {
      case 'import':
        return await runImport(rest, io, stdout, stderr);
      case 'export':
        return await runExport(rest, io, stdout, stderr);
      case 'openapi':
        return await runOpenApi(rest, io, stdout, stderr);
      case 'help':
      case '--help':
      case '-h':
        stdout.write(`${USAGE}\n`);
        return 0;
      default:
        throw new CommandError(sub ? `unknown subcommand "${sub}"` : 'a subcommand is required', 2);
    }
  } catch (err) {
    if (!(err instanceof CommandError)) throw err;
    stderr.write(`herald event-types: ${err.message}\n`);
    if (err.exitCode === 2) stderr.write(`\n${USAGE}\n`);
    return err.exitCode;
  }
}

function parse(args: string[], options: Record<string, { type: 'string' | 'boolean' }>) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new CommandError((err as Error).message, 2);
  }
}

/** At most one positional argument: the file. */
function fileArgument(positionals: string[], required: boolean): string | undefined {
  if (positionals.length > 1) throw new CommandError(`unexpected argument "${positionals[1]}"`, 2);
  if (required && positionals.length === 0) throw new CommandError('FILE is required', 2);
  return positionals[0];
}

async function withContext<T>(
  io: EventTypesCommandIo,
  stderr: NodeJS.WritableStream,
  run: (ctx: HeraldContext) => Promise<T>,
): Promise<T> {
  const runtime = await createRuntime(io.config ?? loadConfig());
  // A fresh database gets its first admin token here rather than at `herald serve`: say where it went.
  if (runtime.createdAdminToken)
    stderr.write(`herald: created the first admin token, saved in ${runtime.createdAdminToken.file}\n`);
  try {
    return await run(runtime.ctx);
  } finally {
    await runtime.close();
  }
}

async function runImport(
  args: string[],
  io: EventTypesCommandIo,
  stdout: NodeJS.WritableStream,
  stderr: NodeJS.WritableStream,
) {
  const { values, positionals } = parse(args, { 'dry-run': { type: 'boolean' } });
  const file = fileArgument(positionals, true) as string;
  const format = formatFromPath(file);
  if (!format) throw new CommandError(`cannot tell the format of ${file}: name it .yaml, .yml or .json`, 1);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CommandError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, 1);
  }
  const parsed = parseCatalogFile(text, format);
  if (!parsed.ok) {
    const lines = parsed.errors.map((e) => `  - ${e}`).join('\n');
    throw new CommandError(
      `${file} was not imported (${parsed.errors.length} problem(s)); nothing was changed:\n${lines}`,
      1,
    );
  }
  const dryRun = values['dry-run'] === true;
  const summary = await withContext(io, stderr, (ctx) => importCatalog(ctx, parsed.eventTypes, { dryRun }));
  for (const [verb, names] of [
    ['create', summary.created],
    ['update', summary.updated],
  ] as const) {
    for (const name of names) stdout.write(`  ${dryRun ? `would ${verb}` : `${verb}d`} ${name}\n`);
  }
  stdout.write(
    `${dryRun ? 'dry run, nothing written: would have ' : ''}created ${summary.created.length}, ` +
      `updated ${summary.updated.length}, unchanged ${summary.unchanged.length}\n`,
  );
  return 0;
}

function formatOption(value: string | undefined, file: string | undefined): CatalogFormat {
  if (value !== undefined) {
    if (value !== 'yaml' && value !== 'json') throw new CommandError(`--format must be yaml or json`, 2);
    return value;
  }
  if (file === undefined) return 'yaml';
  const fromPath = formatFromPath(file);
  if (!fromPath)
    throw new CommandError(`cannot tell the format of ${file}: name it .yaml or .json, or pass --format`, 2);
  return fromPath;
}

/** Writes `text` to `file`, or to stdout when there is none; says where it went on stderr. */
function output(
  text: string,
  file: string | undefined,
  stdout: NodeJS.WritableStream,
  stderr: NodeJS.WritableStream,
  what: string,
) {
  if (file === undefined) {
    stdout.write(text);
    return;
  }
  try {
    writeFileSync(file, text);
  } catch (err) {
    throw new CommandError(`cannot write ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, 1);
  }
  stderr.write(`herald: wrote ${what} to ${file}\n`);
}

async function runExport(
  args: string[],
  io: EventTypesCommandIo,
  stdout: NodeJS.WritableStream,
  stderr: NodeJS.WritableStream,
) {
  const { values, positionals } = parse(args, { format: { type: 'string' } });
  const file = fileArgument(positionals, false);
  const format = formatOption(values.format as string | undefined, file);
  const text = await withContext(io, stderr, (ctx) => exportCatalog(ctx, format));
  output(text, file, stdout, stderr, 'the event catalog');
  return 0;
}

async function runOpenApi(
  args: string[],
  io: EventTypesCommandIo,
  stdout: NodeJS.WritableStream,
  stderr: NodeJS.WritableStream,
) {
  const { values, positionals } = parse(args, { title: { type: 'string' }, version: { type: 'string' } });
  const file = fileArgument(positionals, false);
  const format = file !== undefined && formatFromPath(file) === 'yaml' ? 'yaml' : 'json';
  const document = await withContext(io, stderr, (ctx) =>
    catalogWebhooksDocument(ctx, {
      includeFlagged: true,
      title: values.title as string | undefined,
      version: values.version as string | undefined,
    }),
  );
  const text =
    format === 'yaml'
      ? YAML.stringify(document, { aliasDuplicateObjects: false, lineWidth: 0 })
      : `${JSON.stringify(document, null, 2)}\n`;
  output(text, file, stdout, stderr, 'the webhooks OpenAPI document');
  return 0;
}
