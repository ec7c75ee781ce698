import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SETTINGS } from '../../src/config/schema.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('README', () => {
  it('documents every configuration variable Herald reads', () => {
    const missing = SETTINGS.filter((s) => !readme.includes(`| \`${s.env}\``)).map((s) => s.env);
    expect(missing).toEqual([]);
  });

  it('gives the quick start as npm install, npm start and npm test', () => {
    expect(readme).toContain('npm install\nnpm start');
    expect(readme).toContain('npm test');
  });

  it('links only to files of the repository that exist', () => {
    const root = fileURLToPath(new URL('../../', import.meta.url));
    const targets = [...readme.matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)]
      .map((m) => m[1] as string)
      .filter((target) => !/^[a-z]+:/.test(target));
    expect(targets.length).toBeGreaterThan(5);
    expect(targets.filter((target) => target.startsWith('..') || target.startsWith('/'))).toEqual([]);
    expect(targets.filter((target) => !existsSync(`${root}${target}`))).toEqual([]);
  });

  it('runs the command line as npx herald in its examples, naming files that exist', () => {
    const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1] as string).join('\n');
    expect(blocks.split('\n').filter((line) => /^\s*herald /.test(line))).toEqual([]);
    for (const [, file] of blocks.matchAll(/npx herald event-types import (\S+)/g))
      expect(existsSync(fileURLToPath(new URL(`../../${file}`, import.meta.url)))).toBe(true);
  });
});
