import { readFileSync } from 'node:fs';
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
});
