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
  // Puts in order, gets in order, and each get after its put (the writer's pauses are random, so a
  // put may come before the previous get when a pause is very short).
  expect(texts.filter((text) => text.startsWith('put'))).toEqual(['put "A"', 'put "B"', 'put "C"']);
  expect(texts.filter((text) => text.startsWith('get'))).toEqual(['get "A"', 'get "B"', 'get "C"']);
  for (const item of ['A', 'B', 'C']) {
    expect(texts.indexOf(`get "${item}"`)).toBeGreaterThan(texts.indexOf(`put "${item}"`));
  }

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

test('a Put from the UI shows at once (no Get needed); a Get’s result stays with its queue', async ({
  app: _app,
  page,
}) => {
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: 'Queues' }).click();
  await page.getByRole('textbox', { name: 'Name' }).fill('unbounded');
  await page.getByRole('button', { name: 'Create queue' }).click();
  const first = page.getByRole('article', { name: /^Queue q\d+/ });
  await expect(first.getByRole('heading', { name: /unbounded/ })).toBeVisible();
  const firstId = (await first.getAttribute('aria-label'))!.replace('Queue ', '');

  await first.getByRole('textbox', { name: 'Item' }).fill('"x"');
  await first.getByRole('button', { name: 'Put', exact: true }).click();
  await expect(first.getByLabel('Queue counts')).toContainText('depth 1');
  await expect(first.getByLabel('Queue counts')).toContainText('1 put');
  await expect(first.getByRole('heading', { name: /Items \(1\)/ })).toBeVisible();
  await expect(first.getByText('No process has used this queue yet')).toHaveCount(0);
  await expect(first.getByRole('region', { name: 'Lanes' })).toContainText('Forkscope (main)');

  // Max size 2: two puts show depth 2 before the third is refused as full.
  await page.getByRole('textbox', { name: 'Name' }).fill('bounded');
  await page.getByRole('spinbutton', { name: 'Max size' }).fill('2');
  await page.getByRole('button', { name: 'Create queue' }).click();
  const second = page.getByRole('article', { name: /^Queue q\d+/ });
  await expect(second.getByRole('heading', { name: /bounded/ })).toBeVisible();
  await expect(second.getByRole('heading', { name: /unbounded/ })).toHaveCount(0);
  const secondId = (await second.getAttribute('aria-label'))!.replace('Queue ', '');
  for (const value of ['1', '2']) {
    await second.getByRole('textbox', { name: 'Item' }).fill(value);
    await second.getByRole('button', { name: 'Put', exact: true }).click();
    await expect(second.getByRole('textbox', { name: 'Item' })).toHaveValue('');
  }
  await expect(second.getByLabel('Queue counts')).toContainText('depth 2');

  // A Get on the first queue; its result is not shown beside the second.
  await page
    .getByRole('navigation', { name: 'Queue list' })
    .getByRole('button', { name: new RegExp(`^${firstId} ·`) })
    .click();
  const again = page.getByRole('article', { name: `Queue ${firstId}` });
  await again.getByRole('button', { name: 'Get', exact: true }).click();
  await expect(again.getByRole('status', { name: 'Last item got' })).toContainText('"x"');
  await page
    .getByRole('navigation', { name: 'Queue list' })
    .getByRole('button', { name: new RegExp(`^${secondId} ·`) })
    .click();
  await expect(page.getByRole('article', { name: `Queue ${secondId}` })).toBeVisible();
  await expect(page.getByRole('status', { name: 'Last item got' })).toHaveCount(0);
});
