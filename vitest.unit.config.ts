import { defineConfig } from 'vitest/config';

/**
 * The fast in-process unit tests of the decision modules: what mutation testing runs against
 * each mutant. `npm test` runs these too, through vitest.config.ts.
 */
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
