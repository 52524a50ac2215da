import { defineConfig } from 'vitest/config';

/**
 * Files that load a module whose state lives as long as the module (a Lambda handler's client
 * built on first call, Powertools' secret cache): each gets its own module registry, as each
 * Lambda gets its own process.
 */
const FRESH_MODULES = [
  'test/infra/functions/health.test.ts',
  'test/bot/slack-secrets.test.ts',
  'test/bot/lambda.test.ts',
];

export default defineConfig({
  test: {
    setupFiles: ['test/setup.ts'],
    pool: 'forks',
    // Vitest leaves a core free by default: one worker on a 2-core machine. Most of the suite
    // waits on loopback servers and child processes, so two files at a time nearly halve it.
    maxWorkers: 2,
    testTimeout: 20_000,
    projects: [
      {
        extends: true,
        test: { name: 'fresh-modules', include: FRESH_MODULES, isolate: true },
      },
      {
        // The rest share each worker's module cache: the SDK, CDK and Bolt load once per worker,
        // not once per file (the suite took 6 minutes isolated, 3 shared). test/setup.ts puts the
        // environment back before each file.
        extends: true,
        test: {
          name: 'shared-modules',
          include: ['test/**/*.test.ts'],
          exclude: FRESH_MODULES,
          isolate: false,
        },
      },
    ],
  },
});
