#!/usr/bin/env node
/**
 * `npm install` / `npm ci` (the `prepare` script): builds the server with @herald/verify, and the
 * web UI, each only when a source changed since its last build. A fresh clone builds both.
 *
 * Skipping matters for `npx herald`: npm puts no bin of the project itself in node_modules/.bin,
 * so `npx herald` links the checkout into npm's npx cache and runs this script again. Building
 * unconditionally made that first call take 85 s (and fetch the UI's packages); with nothing
 * changed it now takes no time.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isStale, SERVER_BUILD, UI_BUILD } from './build-state.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

for (const [build, script] of [
  [SERVER_BUILD, 'build'],
  [UI_BUILD, 'build:ui'],
]) {
  if (!isStale(root, build.inputs, build.output)) continue;
  const run = spawnSync('npm', ['run', script, '--silent'], { cwd: root, stdio: 'inherit' });
  if (run.status !== 0) process.exit(run.status ?? 1);
}
