import type { ChildProcess } from 'node:child_process';
import { test as base, expect } from '@playwright/test';
import { connectClient, startServe, type ServeProcess } from '../support/serve';

/**
 * One real serve mode per Playwright worker, shared by the files that worker runs in turn (a file
 * leaves it as it found it: hosts removed, agents stopped); each test gets a page on its token URL.
 */
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

/** Terminates this file's distributed pools before their agents stop (their health would keep updating them). */
export async function terminateDistributedPools(serve: ServeProcess): Promise<void> {
  const { client, close } = await connectClient(serve);
  try {
    const pools = await client.call('pools.list', {});
    for (const pool of pools) {
      if (pool.kind === 'distributed' && pool.state !== 'terminated' && pool.state !== 'done') {
        await client.call('pools.terminate', { id: pool.id });
      }
    }
  } finally {
    close();
  }
}

export { expect, connectClient };
