import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { runOriginal, runPoolOriginal } from './python-originals';

// The seed programs themselves, unmodified, seen from inside through the Python lens.
const sections = (page: Page) => page.getByRole('navigation', { name: 'Sections' });

test('3_pool.py from Examples: five task bars on four worker lanes, as its program ran them', async ({
  app,
  page,
}) => {
  await runPoolOriginal(page, app, '3_pool.py');
  await expect(sections(page).getByRole('button', { name: /^Pools/ })).toHaveAttribute(
    'aria-current',
    'page',
  );
  await expect(page.getByRole('heading', { name: /^Pool\(4\) · fork/ })).toBeVisible({ timeout: 15_000 });
  const gantt = page.getByTestId('gantt');
  await expect(gantt).toHaveAttribute('data-lanes', '4');
  await expect(gantt).toHaveAttribute('data-bars', '5', { timeout: 20_000 });
  await expect(page.getByLabel('Pool state')).toHaveText('done', { timeout: 20_000 });
  await expect(page.getByRole('note')).toContainText('Seen through the Python lens');
  // A task's details: the function and the arguments the program gave it.
  await page.getByRole('button', { name: 'Show task 5' }).click();
  const details = page.getByRole('region', { name: 'Task 5 details' });
  await expect(details.locator('dd').filter({ hasText: /^long_time_task$/ })).toHaveCount(1);
  await expect(details.locator('pre').first()).toHaveText('4');
});

test('5_queue.py from Examples: A, B, C put by the writer and got by the reader, with lineage', async ({
  app: _app,
  page,
}) => {
  await runOriginal(page, '5_queue.py');
  await expect(sections(page).getByRole('button', { name: /^Queues/ })).toHaveAttribute(
    'aria-current',
    'page',
  );
  const items = page.getByRole('region', { name: 'Items' });
  const rows = items.getByRole('row').filter({ hasText: /'[ABC]'/ });
  await expect(rows).toHaveCount(3, { timeout: 20_000 });
  for (const [index, letter] of ['A', 'B', 'C'].entries()) {
    const row = rows.nth(index);
    await expect(row).toContainText(`'${letter}'`);
    await expect(row).toContainText('got', { timeout: 20_000 });
  }
  const texts = await rows.allTextContents();
  const putters = new Set(texts.map((text) => /pid:(\d+)/.exec(text)?.[1]));
  expect(putters.size).toBe(1);
  // Written by one pid, read by another: two distinct pids on every row.
  for (const text of texts) expect(new Set(text.match(/pid:\d+/g)).size).toBe(2);
  await expect(page.getByRole('note')).toContainText('Seen through the Python lens');
});

test('1_fork.py from Examples: the run shows the forked child, its parent and its lifetime', async ({
  app: _app,
  page,
}) => {
  await runOriginal(page, '1_fork.py');
  const lens = page.getByRole('region', { name: 'Python lens' });
  await expect(lens.getByRole('status')).toContainText(/Python lens:\s*on/, { timeout: 15_000 });
  const processes = lens.getByRole('table', { name: 'Python processes' });
  await expect(processes.getByRole('row').filter({ hasText: 'os.fork' })).toHaveCount(1, { timeout: 15_000 });
  await expect(processes.getByRole('row').filter({ hasText: 'the program' })).toContainText('exit code 0', {
    timeout: 15_000,
  });
});
