import { defineConfig } from 'vitest/config';

/**
 * Shared vitest settings: read workspace packages from source (the `@hybridspike/source`
 * export condition, so tests need no build) and write a JSON summary that `.ci/run` totals.
 */
export default defineConfig({
  resolve: { conditions: ['@hybridspike/source', 'module', 'node', 'import', 'default'] },
  ssr: { resolve: { conditions: ['@hybridspike/source', 'module', 'node', 'import', 'default'] } },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['default', ['json', { outputFile: '.vitest/results.json' }]],
  },
});
