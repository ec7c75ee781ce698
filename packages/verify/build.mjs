/**
 * Builds the package twice from the same sources: ESM in dist/esm and CommonJS in dist/cjs, each
 * with its declarations. dist/cjs gets a package.json saying `"type": "commonjs"`, so Node and
 * TypeScript read its .js and .d.ts files as CommonJS although the package is `"type": "module"`.
 */
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
rmSync(join(here, 'dist'), { recursive: true, force: true });
for (const project of ['tsconfig.json', 'tsconfig.cjs.json'])
  execFileSync(process.execPath, [tsc, '-p', join(here, project)], { stdio: 'inherit' });
writeFileSync(join(here, 'dist', 'cjs', 'package.json'), '{ "type": "commonjs" }\n');
