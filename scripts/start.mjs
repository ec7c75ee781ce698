#!/usr/bin/env node
/**
 * `npm start`: runs the built server (`node dist/cli/main.js serve`), compiling first only when
 * a TypeScript source or build setting is newer than the last build. Compiling on every start
 * took ~50 s before Herald listened on a busy 2-core machine; with nothing changed this check
 * takes a few milliseconds. `npm install` (the `prepare` script) makes the first build.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'dist', 'cli', 'main.js');
const inputs = ['src', 'packages/verify/src', 'tsconfig.json', 'tsconfig.build.json', 'package.json'];

/** The newest modification time under `path` (a file or a folder), tests left out: they are not built. */
function newest(path) {
  if (!existsSync(path) || path.endsWith('.test.ts')) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let max = 0;
  for (const entry of readdirSync(path)) max = Math.max(max, newest(join(path, entry)));
  return max;
}

const builtAt = existsSync(built) ? statSync(built).mtimeMs : 0;
const changed = inputs.some((input) => newest(join(root, input)) > builtAt);
if (changed) {
  process.stderr.write('herald: sources changed since the last build; compiling (npm run build)\n');
  const build = spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

// In this process rather than a child: SIGINT/SIGTERM reach Herald once, and it shuts down gracefully.
process.argv = [process.argv[0], built, 'serve', ...process.argv.slice(2)];
await import(pathToFileURL(built).href);
