import { configDefaults, defineConfig } from 'vitest/config';

/** Unit tests that read the build's output (out/main): they run with the tests that need it. */
const unitNeedingBuild = ['packaging'];

// Tests in layers. `npm run test:unit` runs the `unit` project alone: pure modules, no build, seconds.
// `npm test` builds, then runs both. Every folder of tests/ but unit/ needs the build (real processes
// forked from out/main: engine, contract, reliability, cli, fleet, and any folder added later).
export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['tests/unit/**/*.test.ts'],
          exclude: [
            ...configDefaults.exclude,
            ...unitNeedingBuild.map((name) => `tests/unit/${name}.test.ts`),
          ],
          globalSetup: ['tests/support/temp-dirs.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'build',
          include: ['tests/**/*.test.ts'],
          // tests/unit/ runs in `unit`, but for the files listed above.
          exclude: [...configDefaults.exclude, `tests/unit/!(${unitNeedingBuild.join('|')}).test.ts`],
          globalSetup: ['tests/support/require-build.ts'],
        },
      },
    ],
  },
});
