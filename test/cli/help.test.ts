import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, runHerald } from '../support/process.js';

/** Every command and subcommand `herald` has. */
const COMMANDS = [
  [],
  ['serve'],
  ['api'],
  ['worker'],
  ['migrate'],
  ['verify'],
  ['secrets'],
  ['secrets', 'generate-main-key'],
  ['secrets', 'rotate-main-key'],
  ['event-types'],
  ['event-types', 'import'],
  ['event-types', 'export'],
  ['event-types', 'openapi'],
  ['help'],
];

type Result = Awaited<ReturnType<typeof runHerald>>;

describe('herald … --help', () => {
  let cwd: string;
  let port: number;
  const env = () => ({
    // Relative paths: a command that acted would create ./data or ./h.db in the fresh directory.
    HERALD_DATA_DIR: './data',
    HERALD_DATABASE_URL: 'sqlite:./h.db',
    HERALD_PORT: String(port),
    HERALD_MAIN_SECRET: '',
    HERALD_ADMIN_TOKEN: '',
  });
  const help = new Map<string, Result>();

  beforeAll(async () => {
    cwd = mkdtempSync(join(tmpdir(), 'herald-help-'));
    port = await freePort();
    // Four at a time: each is a real child process that must exit by itself (a started server never would).
    const queue = [...COMMANDS];
    const runNext = async (): Promise<void> => {
      const words = queue.shift();
      if (!words) return;
      help.set(words.join(' '), await runHerald([...words, '--help'], env(), cwd));
      return runNext();
    };
    await Promise.all([runNext(), runNext(), runNext(), runNext()]);
  }, 120_000);
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));

  for (const words of COMMANDS) {
    const name = ['herald', ...words].join(' ');
    it(`${name} --help prints its usage, environment and examples and exits 0`, () => {
      const result = help.get(words.join(' ')) as Result;
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout.startsWith(`Usage: ${name} [options]`)).toBe(true);
      expect(result.stdout).toContain('Environment:');
      expect(result.stdout).toMatch(/Examples:\n {2}\$ (npx herald|export|echo|HERALD_)/);
    });
  }

  it('changes nothing: no file in the fresh directory, no database, the port still free', async () => {
    expect(readdirSync(cwd)).toEqual([]);
    expect(existsSync(join(cwd, 'h.db'))).toBe(false);
    // A command that had listened would still hold the port (or have failed on it); it is free.
    const probe = await fetch(`http://127.0.0.1:${port}/`).then(
      () => 'open',
      () => 'closed',
    );
    expect(probe).toBe('closed');
  });

  it('lists every command in herald --help', () => {
    const listed = (help.get('') as Result).stdout.split('Commands:\n')[1] ?? '';
    for (const [top] of COMMANDS.filter((w) => w.length === 1))
      expect(listed).toMatch(new RegExp(`^ {2}${top}\\b`, 'm'));
  });

  it('names an unknown option and exits 2, doing nothing', async () => {
    const results = await Promise.all([
      runHerald(['serve', '--prot', '9000'], env(), cwd),
      runHerald(['secrets', 'rotate-main-key', '--dry-run'], env(), cwd),
      runHerald(['nope'], env(), cwd),
      runHerald(['help', 'event-types', 'nope'], env(), cwd),
    ]);
    expect(results.map((r) => r.code)).toEqual([2, 2, 2, 2]);
    expect(results[0]?.stderr).toContain("unknown option '--prot'");
    expect(results[1]?.stderr).toContain("unknown option '--dry-run'");
    expect(results[2]?.stderr).toContain("unknown command 'nope'");
    expect(results[3]?.stderr).toBe("herald help: unknown command 'event-types nope'\n");
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('prints the help of a subcommand with herald help, as --help does', async () => {
    const [viaHelp, viaOption] = await Promise.all([
      runHerald(['help', 'event-types', 'import'], env(), cwd),
      runHerald(['event-types', 'import', '--help'], env(), cwd),
    ]);
    expect(viaHelp.code).toBe(0);
    expect(viaHelp.stdout).toBe(viaOption.stdout);
    expect(viaHelp.stdout.startsWith('Usage: herald event-types import [options] <file>')).toBe(true);
  });

  it('prints the version with --version', async () => {
    const result = await runHerald(['--version'], env(), cwd);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });
});
