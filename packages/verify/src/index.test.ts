import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

describe('the receivers library (herald/verify)', () => {
  it('loads no web framework and nothing outside src/verify, so it stays dependency-free', () => {
    const here = dirname(fileURLToPath(import.meta.url));
    const seen = new Set<string>();
    const runtimeImports: string[] = [];
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const source = readFileSync(file, 'utf8');
      for (const match of source.matchAll(/^(import|export)\s+(type\s+)?[^'"]*?from\s+'([^']+)'/gm)) {
        const [, , typeOnly, specifier] = match;
        if (typeOnly) continue;
        if (specifier!.startsWith('.')) {
          visit(resolve(dirname(file), specifier!.replace(/\.js$/, '.ts')));
        } else {
          runtimeImports.push(specifier!);
        }
      }
    };
    visit(join(here, 'index.ts'));
    expect(seen.size).toBeGreaterThan(3);
    expect([...seen].every((file) => file.startsWith(here))).toBe(true);
    expect(runtimeImports.every((specifier) => specifier.startsWith('node:'))).toBe(true);
  });

  it('middlewares import their framework as types only, so the app supplies it', () => {
    const here = dirname(fileURLToPath(import.meta.url));
    for (const [file, framework] of [
      ['express.ts', 'express'],
      ['fastify.ts', 'fastify'],
      ['hono.ts', 'hono'],
    ] as const) {
      const source = readFileSync(join(here, file), 'utf8');
      expect(source).toMatch(new RegExp(`import type [^;]+ from '${framework}'`));
      expect(source).not.toMatch(new RegExp(`import (?!type )[^;]+ from '${framework}'`));
    }
  });
});
