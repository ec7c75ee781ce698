/**
 * What every `herald` command shares: the streams it talks to, how its help lists the
 * environment variables it reads, and how a command line becomes an exit code. Parsing is
 * commander's: `--help` only prints, an unknown option is an error naming it.
 */
import { Command, CommanderError } from 'commander';
import type { Config } from '../config/index.js';
import { SETTINGS } from '../config/index.js';

/** The streams a command talks to (tests pass in-memory ones), and optionally its configuration. */
export interface CliIo {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Used instead of `loadConfig()`: tests point a command at their own database. */
  config?: Readonly<Config>;
}

/** Exit codes: 0 done, 1 refused or failed, 2 the command line is wrong. */
export const EXIT_USAGE = 2;

/** A failure the user can act on: printed as one line `herald <command>: message`, exit code 1. */
export class CommandFailure extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** What a command's action reaches: the streams, and where its exit code goes. */
export interface Cli {
  io: CliIo;
  exit(code: number): void;
}

/** Adds one command (with its subcommands) to the program. */
export type Register = (program: Command, cli: Cli) => void;

/**
 * Runs the command line `argv` (the words after `herald`) with the commands `registers` add.
 * Returns the exit code; errors that are not the user's propagate (the entry point explains
 * or prints them).
 */
export async function runCommands(
  registers: readonly Register[],
  argv: readonly string[],
  io: CliIo,
  version = 'unknown',
): Promise<number> {
  const program = createProgram(io, version);
  let code = 0;
  const cli: Cli = {
    io,
    exit: (c) => {
      code = c;
    },
  };
  for (const register of registers) register(program, cli);
  registerHelpCommand(program);
  pointAtHelp(program, 'herald');
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return 0;
      return err.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    if (err instanceof CommandFailure) {
      io.stderr.write(`herald ${commandPath(program, argv)}: ${err.message}\n`);
      return err.exitCode;
    }
    throw err;
  }
}

/** `herald …` with nothing registered yet: streams, exit handling and help layout set once, inherited by every command. */
function createProgram(io: CliIo, version: string): Command {
  return (
    new Command('herald')
      .version(version, '-v, --version', 'print the version and exit')
      .helpOption('-h, --help', 'print this help and exit (does nothing else)')
      // `herald help [command]` is a command of its own (registerHelpCommand), with its own --help.
      .helpCommand(false)
      .enablePositionalOptions()
      .configureOutput({
        writeOut: (text) => io.stdout.write(text),
        writeErr: (text) => io.stderr.write(text),
      })
      .exitOverride()
  );
}

/**
 * `herald help [command…]`: the help of `herald event-types import` as `herald help event-types
 * import`. Commander's built-in help command answered `herald help --help` with exit code 2 and
 * `herald help nope` with the whole usage and no word of what was wrong; this one is a command
 * like the others (its own --help) and names an unknown command.
 */
function registerHelpCommand(program: Command): void {
  program
    .command('help')
    .argument('[command...]', 'the command, and subcommand, to describe')
    .description('print the help of a command')
    .addHelpText('after', helpEpilogue([], ['npx herald help event-types import']))
    .action((words: string[]) => {
      let target = program;
      for (const word of words) {
        const next = target.commands.find((c) => c.name() === word);
        if (!next) throw new CommandFailure(`unknown command '${words.join(' ')}'`, EXIT_USAGE);
        target = next;
      }
      target.outputHelp();
    });
}

/** After a mistake, each command names its own help (verify, which asks for the whole usage, keeps it). */
function pointAtHelp(command: Command, path: string): void {
  if (!(command as unknown as { _showHelpAfterError: unknown })._showHelpAfterError)
    command.showHelpAfterError(`(see \`${path} --help\`)`);
  for (const sub of command.commands) pointAtHelp(sub, `${path} ${sub.name()}`);
}

/** `event-types import` for `['event-types', 'import', 'x.yaml']`: the words that name commands. */
function commandPath(program: Command, argv: readonly string[]): string {
  const names: string[] = [];
  let current = program;
  for (const word of argv) {
    const next = current.commands.find((c) => c.name() === word);
    if (!next) break;
    names.push(word);
    current = next;
  }
  return names.join(' ') || 'serve';
}

/**
 * The help epilogue every command has: the environment variables it reads (with their
 * description from the one settings table) and examples.
 */
export function helpEpilogue(env: readonly string[], examples: readonly string[], note?: string): string {
  const lines: string[] = [];
  if (note) lines.push('', note);
  lines.push('', 'Environment:');
  if (env.length === 0) lines.push('  (none)');
  const width = Math.max(0, ...env.map((name) => name.length));
  for (const name of env) {
    const spec = SETTINGS.find((s) => s.env === name);
    const text = spec ? spec.description : ENV_EXTRA[name];
    if (text === undefined) throw new Error(`helpEpilogue: no description for ${name}`);
    lines.push(`  ${name.padEnd(width)}  ${text}`);
  }
  lines.push('', 'Examples:', ...examples.map((e) => `  $ ${e}`), '');
  return lines.join('\n');
}

/** Variables read outside the settings table. */
const ENV_EXTRA: Record<string, string> = {
  HERALD_CONFIG: 'A JSON or YAML file with the same settings (environment variables win).',
  'HERALD_*': "Every other setting of the README's Configuration table.",
};

/** The variables that say where the data is, read by every command that opens the database. */
export const DATABASE_ENV = ['HERALD_DATABASE_URL', 'HERALD_DATA_DIR', 'HERALD_MAIN_SECRET', 'HERALD_CONFIG'];
