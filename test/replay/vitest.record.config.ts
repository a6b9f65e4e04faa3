// `make record-histories`: the recorder only (test/replay/record.recorder.ts), on the run's dev server.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/replay/record.recorder.ts'],
    pool: 'forks',
    globalSetup: ['test/setup/global.ts'],
    // Paths wait on real timers (backoffs, a 4 s Livy poll, EMR termination); most of it is waiting.
    maxConcurrency: 12,
    testTimeout: 120_000,
    hookTimeout: 180_000,
    teardownTimeout: 30_000,
  },
});
