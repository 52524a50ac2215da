import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    pool: 'forks',
    // Vitest leaves a core free by default: one worker on a 2-core machine. Most of the suite
    // waits on loopback servers and child processes, so two files at a time nearly halve it.
    maxWorkers: 2,
    testTimeout: 20_000,
  },
});
