import type { Page } from '@playwright/test';
import { connectClient, expect, test } from './fixtures';

const sections = (page: Page) => page.getByRole('navigation', { name: 'Sections' });

test('a command pool’s task table shows each task’s input, exit and output; a running task’s duration grows', async ({
  app,
  page,
}) => {
  const { client, close } = await connectClient(app);
  try {
    await client.call('pools.create', {
      kind: 'command',
      label: 'squares',
      template: ['sh', '-c', 'sleep 0.05; echo "$(({} * {}))"; [ {} -ne 13 ]'],
      inputs: Array.from({ length: 30 }, (_, index) => String(index + 1)),
      concurrency: 4,
    });
    await client.call('pools.create', {
      kind: 'command',
      label: 'slow',
      template: ['sleep', '{}'],
      inputs: ['30'],
      concurrency: 1,
    });
  } finally {
    close();
  }
  // The smallest window the app supports: every column still fits.
  await page.setViewportSize({ width: 1024, height: 700 });
  await sections(page).getByRole('button', { name: 'Pools' }).click();
  await page
    .getByRole('button', { name: /squares/ })
    .first()
    .click();
  const table = page.getByRole('table', { name: /Tasks of squares/ });
  await expect(table.getByRole('columnheader')).toHaveText([
    'Task ▲',
    'State',
    'Worker pid',
    'Start',
    'Duration',
    'Exit',
    'Input',
    'Output',
    'Label',
  ]);
  const row = (id: number) =>
    table
      .getByRole('row')
      .filter({ has: page.getByRole('button', { name: `Show task ${id}`, exact: true }) });
  await expect(row(7).getByRole('cell')).toHaveText(
    ['#7', 'done', /\d+/, /:/, /ms|s/, '0', '7', '49', /sh -c/],
    {
      timeout: 30_000,
    },
  );
  await expect(row(13).getByRole('cell').nth(5)).toHaveText('1', { timeout: 30_000 });
  await expect(row(13).getByRole('cell').nth(6)).toHaveText('13');
  // Input, output and every header are whole in their boxes (not cut to nothing).
  for (const cell of [
    row(7).getByRole('cell').nth(6),
    row(7).getByRole('cell').nth(7),
    ...(await table.getByRole('columnheader').all()),
  ]) {
    const fits = await cell.evaluate((element) => element.scrollWidth <= element.clientWidth + 1);
    expect(fits, await cell.innerText()).toBe(true);
  }

  // The slow pool's one task: its duration ticks while it runs.
  await page.getByRole('button', { name: /slow/ }).first().click();
  const slow = page.getByRole('table', { name: /Tasks of slow/ });
  const duration = slow.getByRole('row').nth(1).getByRole('cell').nth(4);
  await expect(slow.getByRole('row').nth(1).getByRole('cell').nth(1)).toHaveText('running', {
    timeout: 10_000,
  });
  // Grows past a second while the task still runs (its own clock, however loaded the machine is).
  const seconds = async () => {
    const match = /^(\d+(?:\.\d+)?) s$/.exec(await duration.innerText());
    return match ? Number(match[1]) : 0;
  };
  await expect.poll(seconds, { timeout: 10_000 }).toBeGreaterThanOrEqual(1);
  const first = await seconds();
  await expect.poll(seconds, { timeout: 10_000 }).toBeGreaterThan(first);
  await expect(slow.getByRole('row').nth(1).getByRole('cell').nth(1)).toHaveText('running');
});

test('queue lanes and the depth chart share one labelled time axis', async ({ app, page }) => {
  const { client, close } = await connectClient(app);
  let id = '';
  try {
    const queue = await client.call('queues.create', { name: 'axis', maxsize: 0 });
    id = queue.id;
    for (const item of ['a', 'b', 'c']) {
      await client.call('queues.put', { id, item });
      await new Promise((resolve) => setTimeout(resolve, 400));
    }
    await client.call('queues.take', { id });
  } finally {
    close();
  }
  await sections(page).getByRole('button', { name: 'Queues' }).click();
  await page
    .getByRole('button', { name: new RegExp(id) })
    .first()
    .click();
  const article = page.getByRole('article', { name: new RegExp(`^Queue ${id}`) });
  const lanesAxis = article.getByRole('group', { name: 'Time axis of the lanes' });
  const depthAxis = article.getByRole('group', { name: 'Time axis of the depth chart' });
  await expect(lanesAxis).toBeVisible();
  await expect(article.getByText('time since the queue was made')).toHaveCount(2);
  const ticks = async (axis: typeof lanesAxis) =>
    axis.locator('.tick').evaluateAll((elements) =>
      elements.map((element) => {
        const box = element.getBoundingClientRect();
        return {
          label: element.textContent,
          x: Math.round(
            box.left + (element === element.parentElement!.firstElementChild ? 0 : box.width / 2),
          ),
        };
      }),
    );
  const lanes = await ticks(lanesAxis);
  const depth = await ticks(depthAxis);
  expect(lanes.length).toBeGreaterThanOrEqual(3);
  expect(lanes.map((tick) => tick.label)).toEqual(depth.map((tick) => tick.label));
  for (const [index, tick] of lanes.entries())
    expect(Math.abs(tick.x - depth[index]!.x)).toBeLessThanOrEqual(1);
  // The depth axis is labelled with its range.
  await expect(article.getByRole('group', { name: 'Depth axis' })).toContainText('items in the queue');
});
