import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * The real-Livy suite: Shale against a real Apache Livy 0.7.1 with Spark 3.5 in local mode
 * (dev/tools/install-livy.sh provisions them, from globalSetup when not cached). Run it alone: `npx vitest run --config test/livy-real/vitest.config.ts`.
 * Each file starts its own Livy and runs real Spark apps (a JVM and a Python driver each, ~500 MiB):
 * files run one after another so a 2-core machine is not asked for more than a few apps at once.
 */
export default defineConfig({
  test: {
    // The repository: include and globalSetup paths read as from the main config.
    root: fileURLToPath(new URL('../..', import.meta.url)),
    include: ['test/livy-real/**/*.test.ts'],
    pool: 'forks',
    fileParallelism: false,
    // Livy and Spark installed first (minutes from nothing), then the run's Temporal dev server.
    globalSetup: ['test/livy-real/support/provision.ts', 'test/setup/global.ts'],
    // Spark apps start in seconds to tens of seconds on a busy machine; Livy in ~4 s.
    testTimeout: 180_000,
    hookTimeout: 180_000,
    teardownTimeout: 60_000,
  },
});
