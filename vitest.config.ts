import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          testTimeout: 10_000,
        },
      },
      {
        // Real worker threads: longer bounds, and one file at a time so two cores are not
        // oversubscribed by several thread-heavy files at once.
        test: {
          name: 'threads',
          include: ['test/threads/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 30_000,
          fileParallelism: false,
        },
      },
    ],
  },
})
