import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const verifySource = (entry: string) =>
  fileURLToPath(new URL(`./packages/verify/src/${entry}.ts`, import.meta.url));

export default defineConfig({
  // Tests run the receivers' package from its sources (like the `herald-source` export condition
  // child processes use), so they need no build of packages/verify; test/verify/package.test.ts
  // checks the built, packed package.
  resolve: {
    alias: [
      ...['express', 'fastify', 'hono', 'scheme'].map((entry) => ({
        find: `@herald/verify/${entry}`,
        replacement: verifySource(entry),
      })),
      { find: /^@herald\/verify$/, replacement: verifySource('index') },
    ],
  },
  test: {
    include: [
      'src/**/*.test.ts',
      'packages/*/src/**/*.test.ts',
      'test/**/*.test.ts',
      'examples/**/*.test.ts',
      'ui/src/**/*.test.ts',
    ],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    // Most tests wait on sockets, child processes and retry timers rather than the CPU: three
    // files at a time on a 2-core machine take the suite from ~15 to under 10 minutes.
    poolOptions: { forks: { minForks: 1, maxForks: 3 } },
  },
});
