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

const SCRIPTS = ['prepare.mjs', 'build-state.mjs'].map((name) => [
  name,
  fileURLToPath(new URL(`../../scripts/${name}`, import.meta.url)),
]);

/**
 * `npm install`'s `prepare` (scripts/prepare.mjs) in a stand-in checkout whose `build` and
 * `build:ui` scripts only record that they ran and write their output. `npx herald` runs prepare
 * again in the checkout: with nothing changed it must build nothing.
 */
describe('npm install (prepare): builds the server and the UI, each only when its sources changed', () => {
  let root: string;
  const builds = () => readFileSync(join(root, 'builds.log'), 'utf8').split('\n').filter(Boolean);
  const prepare = () =>
    new Promise<number>((resolve) => {
      execFile(process.execPath, [join(root, 'scripts', 'prepare.mjs')], { cwd: root }, (err) =>
        resolve(err ? Number(err.code ?? 1) : 0),
      );
    });
  const touch = (path: string, secondsAhead: number) => {
    const at = new Date(Date.now() + secondsAhead * 1000);
    utimesSync(join(root, path), at, at);
  };
  const recorder = (name: string, output: string) =>
    [
      "import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';",
      `appendFileSync('builds.log', '${name}\\n');`,
      `mkdirSync('${output.slice(0, output.lastIndexOf('/'))}', { recursive: true });`,
      `writeFileSync('${output}', '');`,
    ].join('\n');

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'herald-prepare-'));
    for (const dir of ['scripts', 'src/cli', 'packages/verify/src', 'ui/src'])
      mkdirSync(join(root, dir), { recursive: true });
    for (const [name, path] of SCRIPTS) copyFileSync(path as string, join(root, 'scripts', name as string));
    const inputs = [
      'src/cli/main.ts',
      'packages/verify/src/index.ts',
      'ui/src/main.tsx',
      'ui/package-lock.json',
    ];
    for (const path of inputs) writeFileSync(join(root, path), '//\n');
    writeFileSync(join(root, 'builds.log'), '');
    writeFileSync(join(root, 'build-server.mjs'), recorder('server', 'dist/cli/main.js'));
    writeFileSync(join(root, 'build-ui.mjs'), recorder('ui', 'ui/dist/index.html'));
    writeFileSync(
      join(root, 'package.json'),
      JSON.stringify({
        name: 'stand-in',
        type: 'module',
        scripts: { build: 'node build-server.mjs', 'build:ui': 'node build-ui.mjs' },
      }),
    );
    for (const path of [...inputs, 'package.json']) touch(path, -60);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('builds both on a fresh clone, and nothing when run again (the npx herald case)', async () => {
    expect(await prepare()).toBe(0);
    expect(builds()).toEqual(['server', 'ui']);
    expect(await prepare()).toBe(0);
    expect(builds()).toEqual(['server', 'ui']);
  }, 30_000);

  it('rebuilds only the part whose sources changed', async () => {
    touch('ui/package-lock.json', 60);
    expect(await prepare()).toBe(0);
    expect(builds().slice(2)).toEqual(['ui']);
    touch('ui/dist/index.html', 61); // as if built after that change
    touch('packages/verify/src/index.ts', 120);
    expect(await prepare()).toBe(0);
    expect(builds().slice(2)).toEqual(['ui', 'server']);
  }, 30_000);
});
