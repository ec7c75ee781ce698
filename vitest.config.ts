import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'examples/**/*.test.ts', 'ui/src/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    // Most tests wait on sockets, child processes and retry timers rather than the CPU: three
    // files at a time on a 2-core machine take the suite from ~15 to under 10 minutes.
    poolOptions: { forks: { minForks: 1, maxForks: 3 } },
  },
});
