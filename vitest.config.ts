import { defineConfig } from 'vitest/config';

// Projects:
//  unit       package unit tests, run in parallel
//  unit-tz    the calendar/session/time tests again under TZ=Asia/Shanghai (unit runs them under TZ=UTC)
//  e2e        end-to-end suites (real child processes and sockets), one file at a time
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['packages/*/test/**/*.test.ts', 'examples/**/*.test.ts'],
          env: { TZ: 'UTC' },
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'unit-tz',
          include: ['packages/core/test/market/**/*.test.ts'],
          env: { TZ: 'Asia/Shanghai' },
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['tests/e2e/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
