import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Tests fork real processes and run real ffmpeg: give them room on a 2-core machine, and run files one at a time
    // so that CPU-heavy suites do not starve each other.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    fileParallelism: false,
    pool: 'forks',
    globalSetup: ['test/global_setup.ts'],
    reporters: ['default', './test/support/plain_summary_reporter.ts'],
  },
});
