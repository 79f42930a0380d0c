import { expect, test } from './fixtures';

test('seed example 5 from one click: three put → get pairs in order, the reader terminated, depth back to 0', async ({
  app: _app,
  page,
}) => {
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: 'Examples' }).click();
  await page.getByRole('button', { name: /Run 5 · Queue/ }).click();

  const queue = page.getByRole('article', { name: /^Queue q\d+/ });
  await expect(queue).toBeVisible();
  const marks = queue.getByRole('list', { name: 'Puts and gets' }).getByRole('listitem');
  await expect(marks).toHaveCount(6, { timeout: 30_000 });
  const texts = (await marks.allInnerTexts()).map((text) => text.split('#')[0]!.replace(/\s+/g, ' ').trim());
  expect(texts).toEqual(['put "A"', 'get "A"', 'put "B"', 'get "B"', 'put "C"', 'get "C"']);

  // The reader's lane says it was terminated.
  const lanes = queue.getByRole('region', { name: 'Lanes' });
  await expect(lanes.getByText(/SIGTERM/)).toBeVisible({ timeout: 30_000 });

  // The chart's values are in its accessible name: it went up and came back to 0.
  await expect(queue.getByRole('img', { name: /Depth chart of q\d+: now 0, peak [1-9]/ })).toBeVisible();

  // Every item got, none lost.
  const rows = queue.getByRole('table').getByRole('row');
  await expect(rows).toHaveCount(4);
  await expect(queue.getByRole('table').getByRole('cell', { name: 'got', exact: true })).toHaveCount(3);
});

test('put and get from the UI, then close a queue with items left: they are listed as never got', async ({
  app: _app,
  page,
}) => {
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: 'Queues' }).click();
  await page.getByRole('textbox', { name: 'Name' }).fill('by hand');
  await page.getByRole('button', { name: 'Create queue' }).click();
  const queue = page.getByRole('article', { name: /^Queue q\d+/ });
  await expect(queue.getByRole('heading', { name: /by hand/ })).toBeVisible();

  const item = queue.getByRole('textbox', { name: 'Item' });
  for (const value of ['one', 'two', '{"n": 3}']) {
    await item.fill(value);
    await queue.getByRole('button', { name: 'Put', exact: true }).click();
    await expect(item).toHaveValue('');
  }
  await queue.getByRole('button', { name: 'Get', exact: true }).click();
  await expect(queue.getByRole('status', { name: 'Last item got' })).toContainText('"one"');
  await queue.getByRole('button', { name: 'Close queue' }).click();
  await queue.getByRole('checkbox', { name: 'Only never got' }).check();
  await expect(queue.getByRole('cell', { name: 'never got: queue closed' })).toHaveCount(2);
  await expect(queue.getByRole('cell', { name: '"two"' })).toBeVisible();
});
