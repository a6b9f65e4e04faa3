import { defineConfig } from 'vitest/config';

/**
 * The production-stack suite (`npx vitest run --config test/production/vitest.config.ts`): the file
 * starts its own stack (PostgreSQL, two Temporal servers, two workers) and kills its parts in turn,
 * so it runs alone, without the dev server of the main config's globalSetup.
 */
export default defineConfig({
  test: {
    include: ['test/production/**/*.test.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 240_000,
    // The first run provisions PostgreSQL and builds Temporal's server (minutes, cached afterwards).
    hookTimeout: 900_000,
    teardownTimeout: 60_000,
  },
});
