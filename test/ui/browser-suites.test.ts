import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const DIR = new URL('./', import.meta.url);

describe('browser test files', () => {
  // A suite opened with plain `describe` fails on a machine without Chromium instead of being
  // skipped loudly, which breaks "npm test passes on a fresh machine" (two new files did).
  it('open every suite with describeInBrowser, so a machine without Chromium skips them loudly', () => {
    const files = readdirSync(DIR).filter((f) => f.endsWith('.e2e.test.ts'));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const source = readFileSync(new URL(file, DIR), 'utf8');
      expect(source, file).toMatch(/^describeInBrowser\(/m);
      expect(source, file).not.toMatch(/^describe(\.\w+)?\(/m);
    }
  });
});
