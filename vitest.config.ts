import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
          // Property and corpus tests are CPU-bound: on a loaded 2-core machine they take several times their quiet
          // duration. A stuck test still fails; a slow one does not.
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/setup/redis.global-setup.ts', 'test/setup/redis-cluster.global-setup.ts'],
          testTimeout: 30_000,
          hookTimeout: 30_000,
          // Conditions are awaited, never slept on; on a loaded machine (CI, parallel runs) one can take seconds to
          // hold. A poll returns as soon as its condition holds, so a long ceiling costs nothing when all is well.
          expect: { poll: { timeout: 15_000 } },
        },
      },
    ],
  },
});
