import type { ChildProcess } from 'node:child_process';
import { test as base, expect } from '@playwright/test';
import { connectClient, startServe, type ServeProcess } from '../support/serve';

/** Each test file gets its own real serve mode; each test a page opened on its token URL. */
export const test = base.extend<{ app: ServeProcess }, { serve: ServeProcess }>({
  serve: [
    // eslint-disable-next-line no-empty-pattern
    async ({}, use) => {
      const serve = await startServe();
      await use(serve);
      await serve.stop('SIGINT');
    },
    { scope: 'worker' },
  ],
  app: async ({ serve, page }, use) => {
    await page.goto(serve.url);
    await use(serve);
  },
});

/** Children a test spawns (detached, each its own group), SIGKILLed after each test of the file. */
export function childrenKilledAfterEach(): ChildProcess[] {
  const started: ChildProcess[] = [];
  test.afterEach(() => {
    for (const child of started.splice(0)) {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  });
  return started;
}

export { expect, connectClient };
