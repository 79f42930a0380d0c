import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { startServe, type ServeProcess } from '../support/serve';
import { expect, test } from './fixtures';
import { addHost, showSection } from './hosts-ui';

/** Another host to remember; the page's own serve mode is started here, on a log root of the test's. */
let other: ServeProcess;
test.beforeAll(async () => (other = await startServe()));
test.afterAll(async () => other?.stop());

test.describe('remembered hosts', () => {
  // Each test starts, stops and starts again a serve mode of its own, beside the page's.
  test.setTimeout(120_000);
  let root: string;
  let mine: ServeProcess | null = null;
  const startMine = async (page: Page) => {
    mine = await startServe(['--log-dir', root]);
    await page.goto(mine.url);
    await showSection(page, 'Runs');
  };
  const stopMine = async (page: Page) => {
    // The page leaves first: its reconnecting is not part of what is looked at.
    await page.goto('about:blank');
    await mine?.stop();
    mine = null;
  };
  test.beforeEach(() => void (root = mkdtempSync(join(tmpdir(), 'forkscope-e2e-remembered-'))));
  test.afterEach(async () => mine?.stop());

  test('a host added is there again after serve mode restarts', async ({ page }) => {
    await startMine(page);
    await addHost(page, other.url, 'remembered-b');
    await stopMine(page);

    await startMine(page);
    const picker = page.getByRole('combobox', { name: 'Host' }).first();
    await expect(picker.locator('option', { hasText: 'remembered-b' })).toHaveText(
      'remembered-b (connected)',
    );
    await expect(page.getByRole('alert')).toHaveCount(0);
  });

  test('a damaged hosts file is said once, beside the picker, and the list is empty', async ({ page }) => {
    writeFileSync(join(root, 'hosts.json'), 'not json');
    await startMine(page);
    await expect(page.getByRole('alert').filter({ hasText: 'The remembered hosts file' })).toContainText(
      'hosts.json.damaged: no hosts were reconnected.',
    );
    await expect(page.getByRole('combobox', { name: 'Host' }).first().locator('option')).toHaveText([
      'This machine',
    ]);
  });
});
