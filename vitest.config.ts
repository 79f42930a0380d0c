import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'tests/engine/**/*.test.ts',
      'tests/contract/**/*.test.ts',
      'tests/unit/**/*.test.ts',
      'tests/reliability/**/*.test.ts',
      'tests/cli/**/*.test.ts',
      'tests/fleet/**/*.test.ts',
    ],
    globalSetup: ['tests/support/require-build.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
