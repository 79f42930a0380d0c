import { expect, type Page } from '@playwright/test';
import { connectClient, type ServeProcess } from '../support/serve';

const sections = (page: Page) => page.getByRole('navigation', { name: 'Sections' });

/** Runs a seed program's Python original from Examples, as one click does. */
export async function runOriginal(page: Page, file: string): Promise<void> {
  await sections(page).getByRole('button', { name: 'Examples' }).click();
  await page.getByRole('button', { name: `Run Python original · ${file}` }).click();
}

/**
 * Runs a pool program's Python original and waits until its own pool is the one shown: an earlier
 * file on the same serve mode may have left a pool of the same name, shown until this one comes.
 */
export async function runPoolOriginal(page: Page, app: ServeProcess, file: string): Promise<void> {
  const { client, close } = await connectClient(app);
  let before: number;
  try {
    before = (await client.call('pools.list', {})).length;
  } finally {
    close();
  }
  await runOriginal(page, file);
  await expect(
    page
      .getByRole('navigation', { name: 'Pools list' })
      .getByRole('button', { name: new RegExp(`^Show pool p${before + 1}:`) }),
  ).toHaveAttribute('aria-current', 'true', { timeout: 15_000 });
}
