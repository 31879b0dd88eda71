import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    // Two files at once, also on two cores: thread tests spend much of their time waiting
    // (timeouts, elections, child processes), which a second file fills.
    maxWorkers: 2,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          testTimeout: 10_000,
        },
      },
      {
        // Real worker threads: longer bounds.
        test: {
          name: 'threads',
          include: ['test/threads/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 30_000,
        },
      },
    ],
  },
})
