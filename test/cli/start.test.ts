import { execFile } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const START = fileURLToPath(new URL('../../scripts/start.mjs', import.meta.url));
const BUILD_STATE = fileURLToPath(new URL('../../scripts/build-state.mjs', import.meta.url));

/**
 * `npm start` (scripts/start.mjs) in a stand-in checkout: the same script, sources and build
 * settings, and a `build` script that only records that it ran and writes a `dist/cli/main.js`
 * printing the arguments it was started with. So the test sees when a start compiles, without
 * the minute a real `tsc` takes.
 */
describe('npm start: runs the built server, compiling only when a source changed', () => {
  let root: string;
  const builds = () => readFileSync(join(root, 'builds.log'), 'utf8').split('\n').filter(Boolean).length;
  const start = () =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [join(root, 'scripts', 'start.mjs'), '--extra'],
        { cwd: root },
        (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
      );
    });
  /** Makes `path` look modified `secondsAhead` from now (mtimes, not the clock, decide). */
  const touch = (path: string, secondsAhead: number) => {
    const at = new Date(Date.now() + secondsAhead * 1000);
    utimesSync(join(root, path), at, at);
  };

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'herald-start-'));
    for (const dir of ['scripts', 'src/cli', 'packages/verify/src'])
      mkdirSync(join(root, dir), { recursive: true });
    copyFileSync(START, join(root, 'scripts', 'start.mjs'));
    copyFileSync(BUILD_STATE, join(root, 'scripts', 'build-state.mjs'));
    writeFileSync(join(root, 'src/cli/main.ts'), '// the server\n');
    writeFileSync(join(root, 'src/cli/main.test.ts'), '// a test, never built\n');
    writeFileSync(join(root, 'packages/verify/src/index.ts'), '// the receivers package\n');
    writeFileSync(join(root, 'tsconfig.json'), '{}\n');
    writeFileSync(join(root, 'tsconfig.build.json'), '{}\n');
    writeFileSync(join(root, 'builds.log'), '');
    writeFileSync(
      join(root, 'build.mjs'),
      [
        "import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';",
        "appendFileSync('builds.log', 'built\\n');",
        "mkdirSync('dist/cli', { recursive: true });",
        "writeFileSync('dist/cli/main.js', \"console.log('started:', process.argv.slice(2).join(' '));\\n\");",
      ].join('\n'),
    );
    writeFileSync(
      join(root, 'package.json'),
      JSON.stringify({ name: 'stand-in', type: 'module', scripts: { build: 'node build.mjs' } }),
    );
    // Every input older than any build this test makes.
    for (const path of [
      'src/cli/main.ts',
      'src/cli/main.test.ts',
      'packages/verify/src/index.ts',
      'tsconfig.json',
      'tsconfig.build.json',
      'package.json',
    ])
      touch(path, -60);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('builds once when there is no build yet, then starts serve with the arguments given', async () => {
    const first = await start();
    expect(first.code).toBe(0);
    expect(first.stderr).toContain('sources changed since the last build; compiling');
    expect(first.stdout).toBe('started: serve --extra\n');
    expect(builds()).toBe(1);
  }, 30_000);

  it('starts without compiling when nothing changed, nor when only a test file did', async () => {
    const again = await start();
    expect(again.stderr).toBe('');
    expect(again.stdout).toBe('started: serve --extra\n');
    touch('src/cli/main.test.ts', 30);
    expect((await start()).stderr).toBe('');
    expect(builds()).toBe(1);
  }, 30_000);

  it('compiles again when a source, the receivers package or a build setting is newer than the build', async () => {
    let expected = builds();
    for (const [path, ahead] of [
      ['src/cli/main.ts', 60],
      ['packages/verify/src/index.ts', 120],
      ['tsconfig.build.json', 180],
    ] as const) {
      touch(path, ahead);
      const started = await start();
      expect(started.stderr, path).toContain('compiling');
      expect(started.stdout).toBe('started: serve --extra\n');
      expected += 1;
      expect(builds()).toBe(expected);
      // Once built after that change, the next start runs the build as it is.
      touch('dist/cli/main.js', ahead + 1);
      expect((await start()).stderr, path).toBe('');
      expect(builds()).toBe(expected);
    }
  }, 60_000);
});
