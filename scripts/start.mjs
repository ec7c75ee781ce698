#!/usr/bin/env node
/**
 * `npm start`: runs the built server (`node dist/cli/main.js serve`), compiling first only when
 * a TypeScript source or build setting is newer than the last build. Compiling on every start
 * took ~50 s before Herald listened on a busy 2-core machine; with nothing changed this check
 * takes a few milliseconds. `npm install` (the `prepare` script) makes the first build.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isStale, SERVER_BUILD } from './build-state.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, SERVER_BUILD.output);
const changed = isStale(root, SERVER_BUILD.inputs, SERVER_BUILD.output);
if (changed) {
  process.stderr.write('herald: sources changed since the last build; compiling (npm run build)\n');
  const build = spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

// In this process rather than a child: SIGINT/SIGTERM reach Herald once, and it shuts down gracefully.
process.argv = [process.argv[0], built, 'serve', ...process.argv.slice(2)];
await import(pathToFileURL(built).href);
