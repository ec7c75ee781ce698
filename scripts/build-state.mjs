/**
 * When a build is out of date: the newest modification time among its inputs against its output's.
 * Shared by `npm start` (start.mjs) and `npm install` (prepare.mjs), so both skip a build that
 * nothing changed since.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The newest modification time under `path` (a file or a folder), tests left out: they are not built. */
export function newest(path) {
  if (!existsSync(path) || path.endsWith('.test.ts')) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let max = 0;
  for (const entry of readdirSync(path)) {
    if (entry === 'node_modules' || entry === 'dist') continue;
    max = Math.max(max, newest(join(path, entry)));
  }
  return max;
}

/** True when `output` (under `root`) is missing or older than any of `inputs`. */
export function isStale(root, inputs, output) {
  const built = join(root, output);
  const builtAt = existsSync(built) ? statSync(built).mtimeMs : 0;
  return inputs.some((input) => newest(join(root, input)) > builtAt);
}

/** What the server build (`npm run build`: @herald/verify and tsc) reads, and the file it writes last. */
export const SERVER_BUILD = {
  inputs: ['src', 'packages/verify/src', 'tsconfig.json', 'tsconfig.build.json', 'package.json'],
  output: 'dist/cli/main.js',
};

/** What the UI build (`npm run build:ui`: its own npm ci, tsc and vite) reads, and its entry page. */
export const UI_BUILD = {
  inputs: [
    'ui/src',
    'ui/public',
    'ui/index.html',
    'ui/package.json',
    'ui/package-lock.json',
    'ui/vite.config.ts',
    'ui/tsconfig.json',
  ],
  output: 'ui/dist/index.html',
};
