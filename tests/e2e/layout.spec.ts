import { connectClient, expect, test } from './fixtures';
import { overflowing } from './overflow';

/**
 * Every view at 1024×700 and 1440×900, light and dark: no text spills out of its box. A box whose
 * content is wider than it is (scrollWidth > clientWidth) is a defect unless it scrolls on purpose
 * (overflow auto/scroll) or cuts on purpose with an ellipsis and carries the whole text in its
 * title. Table cells, column headers, buttons and labels are all checked.
 */
const sizes = [
  { width: 1024, height: 700 },
  { width: 1440, height: 900 },
] as const;
const themes = ['light', 'dark'] as const;
const views = ['Runs', 'Examples', 'Pools', 'Queues', 'System'] as const;

/** Something in each view: a finished run with output, a pool and a queue (made through the API). */
test.beforeAll(async ({ serve }) => {
  const { client, close } = await connectClient(serve);
  try {
    const run = await client.call('runs.launch', {
      program: 'sh',
      args: ['-c', 'echo out; echo err >&2; exit 3'],
      label: 'a run with a fairly long label that has to fit the list somehow',
    });
    await client.call('runs.join', { id: run.id, timeoutMs: 30_000 });
  } finally {
    close();
  }
});

for (const size of sizes) {
  for (const theme of themes) {
    test(`no text overflows its box at ${size.width}×${size.height}, ${theme} theme`, async ({
      app: _app,
      page,
    }) => {
      await page.setViewportSize(size);
      await page.evaluate((value) => localStorage.setItem('forkscope.theme', value), theme);
      await page.reload();
      await expect(page.locator('html')).toHaveAttribute('data-theme', theme);
      const sections = page.getByRole('navigation', { name: 'Sections' });
      const problems: string[] = [];
      for (const view of views) {
        await sections.getByRole('button', { name: view, exact: true }).click();
        await expect(page.getByRole('main', { name: view })).toBeVisible();
        if (view === 'Runs') {
          await page.getByRole('list', { name: 'Runs' }).getByRole('button').first().click();
          await expect(page.getByRole('tabpanel')).toContainText('out');
        }
        if (view === 'System') {
          await expect(page.getByRole('grid', { name: 'Processes' }).getByRole('row').nth(3)).toBeVisible();
          await page.getByRole('grid', { name: 'Processes' }).getByRole('row').nth(1).click();
          await expect(page.getByRole('region', { name: 'Process details' }).locator('dl')).toBeVisible();
        }
        await page.screenshot({ path: test.info().outputPath(`${view}-${size.width}-${theme}.png`) });
        for (const found of await overflowing(page)) {
          problems.push(`${view}: ${found.what} “${found.text}” ${found.scrollWidth} > ${found.clientWidth}`);
        }
      }
      expect(problems).toEqual([]);
    });
  }
}

test('System at 1024×700: every column header is inside the table, none under the details', async ({
  app: _app,
  page,
}) => {
  await page.setViewportSize({ width: 1024, height: 700 });
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: 'System' }).click();
  const grid = page.getByRole('grid', { name: 'Processes' });
  await grid.getByRole('row').nth(1).click();
  const gridBox = (await grid.boundingBox())!;
  const detailsBox = (await page.getByRole('region', { name: 'Process details' }).boundingBox())!;
  for (const name of ['PID', 'PPID', 'Name', 'User', 'State', 'CPU %', 'Memory', 'Command line']) {
    const header = page.getByRole('columnheader', { name: `Sort by ${name}` });
    await expect(header).toBeVisible();
    const box = (await header.boundingBox())!;
    expect(box.width, `${name} has room`).toBeGreaterThan(30);
    expect(box.x + box.width, `${name} ends inside the table`).toBeLessThanOrEqual(
      gridBox.x + gridBox.width + 1,
    );
    const overlaps =
      box.x < detailsBox.x + detailsBox.width &&
      detailsBox.x < box.x + box.width &&
      box.y < detailsBox.y + detailsBox.height &&
      detailsBox.y < box.y + box.height;
    expect(overlaps, `${name} is not under the details`).toBe(false);
  }
  // A row's CPU, memory and command are shown, not cut away.
  const row = grid.getByRole('row').nth(1);
  for (const cell of ['.cpu', '.memory', '.cmd']) {
    const box = (await row.locator(cell).boundingBox())!;
    expect(box.x + box.width).toBeLessThanOrEqual(gridBox.x + gridBox.width + 1);
  }
});

test('the Gantt tooltip of the bottom lane is whole at 1024×700, never cut by the chart', async ({
  app: _app,
  page,
}) => {
  await page.setViewportSize({ width: 1024, height: 700 });
  const sections = page.getByRole('navigation', { name: 'Sections' });
  await sections.getByRole('button', { name: 'Examples', exact: true }).click();
  await page.getByRole('button', { name: /^Run 3 · Pool\(4\)/ }).click();
  const chart = page.getByTestId('gantt');
  await expect(chart).toHaveAttribute('data-bars', '5', { timeout: 30_000 });
  const canvas = chart.locator('canvas');
  // Read through the locator each time: the element is looked up afresh, never held.
  await canvas.evaluate((element) => element.scrollIntoView({ block: 'center' }));
  const box = (await canvas.boundingBox())!;
  // Across the bottom lane until a bar answers with its tooltip.
  const tip = page.getByRole('tooltip');
  for (let x = box.x + 4; x < box.x + box.width && !(await tip.isVisible()); x += 6) {
    await page.mouse.move(x, box.y + box.height - 12);
  }
  await expect(tip).toBeVisible();
  const tipBox = (await tip.boundingBox())!;
  expect(tipBox.y + tipBox.height).toBeLessThanOrEqual(700);
  expect(tipBox.x + tipBox.width).toBeLessThanOrEqual(1024);
  // Fixed to the window, so no scrolling box of the chart can cut it (it once sat inside one).
  expect(await tip.evaluate((node) => getComputedStyle(node).position)).toBe('fixed');
  expect(tipBox.y).toBeGreaterThanOrEqual(0);
});
