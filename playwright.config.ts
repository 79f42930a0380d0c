import { defineConfig } from '@playwright/test';
import { chooseChromium, chromiumArgs } from './tests/support/chromium';

const browser = chooseChromium();
// Said once, by the runner (its workers load this file too).
if (!process.env.TEST_WORKER_INDEX) {
  console.log(
    browser.path
      ? `forkscope: end-to-end tests use ${browser.source} (${browser.path})`
      : `forkscope: no Chromium for the end-to-end tests: ${browser.reason}`,
  );
}

export default defineConfig({
  testDir: 'tests',
  testMatch: ['e2e/**/*.spec.ts', 'electron/**/*.spec.ts'],
  timeout: 60_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: {
    // The UI follows the browser's language (renderer/lib/i18n): the suite reads English unless a
    // test asks for another (tests/e2e/i18n.spec.ts).
    locale: 'en-US',
    launchOptions: {
      executablePath: browser.path ?? undefined,
      args: chromiumArgs,
    },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
});
