import { expect, test } from './fixtures';
import { runPoolOriginal } from './python-originals';

test('3_pool.py from Examples: each task’s Input is the argument its program gave it', async ({
  app,
  page,
}) => {
  await runPoolOriginal(page, app, '3_pool.py');
  await expect(page.getByLabel('Pool state')).toHaveText('done', { timeout: 30_000 });
  for (const n of [0, 1, 2, 3, 4]) {
    const row = page
      .getByRole('row')
      .filter({ has: page.getByRole('button', { name: `Show task ${n + 1}`, exact: true }) });
    await expect(row).toContainText(`long_time_task(${n})`);
    // Its own cell, not only inside the label.
    await expect(row.getByRole('cell').filter({ hasText: new RegExp(`^${n}$`) })).toHaveCount(1);
  }
  // The details show the arguments as the program gave them (not placeholders for unknown values).
  await page.getByRole('button', { name: 'Show task 3', exact: true }).click();
  const details = page.getByRole('region', { name: /Task 3/ });
  await expect(details.locator('pre').first()).toHaveText('2');
});
