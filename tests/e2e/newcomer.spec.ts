import type { Page } from '@playwright/test';
import { startServe } from '../support/serve';
import { connectClient, expect, test } from './fixtures';

/**
 * What a first try of Forkscope ran into (each fixed in the renderer): Chinese labels drawn as
 * boxes, a run's process tree squeezed to one cut line, a pool's task table cut beside empty
 * details, the sidebar wider than itself, a Recordings view without its name. This file leaves
 * the worker's shared serve mode as it found it: its runs cleared, its pool terminated.
 */
const sections = (page: Page) => page.getByRole('navigation', { name: 'Sections' });

/**
 * Records, at the moment the page first shows Chinese in the sidebar, how many parts of the UI's
 * Chinese font are not loaded yet. A MutationObserver's callback runs right after the mutation,
 * before any font could load in between: it sees what the first drawing saw.
 */
async function watchFirstChinese(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const notLoaded = () =>
      [...document.fonts].filter((face) => face.family.includes('Noto Sans SC') && face.status !== 'loaded')
        .length;
    const observer = new MutationObserver(() => {
      if (!document.querySelector('nav[aria-label="栏目"]')) return;
      (window as unknown as { unloadedAtFirstChinese: number }).unloadedAtFirstChinese = notLoaded();
      observer.disconnect();
    });
    observer.observe(document, { childList: true, subtree: true, attributes: true });
  });
}

async function unloadedAtFirstChinese(page: Page): Promise<number> {
  const seen = await page.waitForFunction(() => {
    const count = (window as unknown as { unloadedAtFirstChinese?: number }).unloadedAtFirstChinese;
    return count === undefined ? false : { count };
  });
  return ((await seen.jsonValue()) as { count: number }).count;
}

test.describe('Chinese is drawn with its font from the first frame', () => {
  test('a page opened in Chinese is first drawn with every part of the font loaded', async ({
    app: _app,
    page,
  }) => {
    await page.evaluate(() => localStorage.setItem('forkscope.locale', 'zh-CN'));
    await watchFirstChinese(page);
    await page.reload();
    await expect(page.getByRole('navigation', { name: '栏目' })).toBeVisible();
    expect(await unloadedAtFirstChinese(page)).toBe(0);
    await page.evaluate(() => localStorage.removeItem('forkscope.locale'));
  });

  test('choosing 简体中文 in the picker switches once the font is there', async ({ app: _app, page }) => {
    await watchFirstChinese(page);
    await page.reload();
    await sections(page).getByLabel('Language').selectOption('zh-CN');
    await expect(page.getByRole('navigation', { name: '栏目' })).toBeVisible();
    expect(await unloadedAtFirstChinese(page)).toBe(0);
    await page.evaluate(() => localStorage.removeItem('forkscope.locale'));
  });
});

test('the sidebar holds its own footer: connection, shortcuts, theme and language stay inside it', async ({
  app: _app,
  page,
}) => {
  for (const theme of ['light', 'dark']) {
    await page.setViewportSize({ width: 1024, height: 700 });
    await page.evaluate((value) => localStorage.setItem('forkscope.theme', value), theme);
    await page.reload();
    const nav = sections(page);
    await expect(nav.getByLabel('Language')).toBeVisible();
    const { content, box } = await nav.evaluate((element) => ({
      content: element.scrollWidth,
      box: element.clientWidth,
    }));
    expect(content, `${theme}: the sidebar's content is no wider than the sidebar`).toBeLessThanOrEqual(box);
    // …and its theme button says what it does on one line (28px high, as the other buttons).
    const toggle = (await nav.getByRole('button', { name: /^Switch to (dark|light) theme$/ }).boundingBox())!;
    expect(toggle.height, `${theme}: the theme button is one line`).toBeLessThan(32);
  }
  await page.evaluate(() => localStorage.removeItem('forkscope.theme'));
});

test('Recordings is named as the other views are', async ({ app: _app, page }) => {
  await sections(page).getByRole('button', { name: 'Recordings' }).click();
  await expect(
    page.getByRole('main', { name: 'Recordings' }).getByRole('heading', { level: 1, name: 'Recordings' }),
  ).toBeVisible();
});

test('g c goes to Recordings, as g r/e/p/q/s go to the other views, and the shortcuts say so', async ({
  app: _app,
  page,
}) => {
  await page.locator('body').press('g');
  await page.locator('body').press('c');
  await expect(page.getByRole('main', { name: 'Recordings' })).toBeVisible();
  await page.locator('body').press('?');
  const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
  await expect(help.getByRole('row').filter({ hasText: 'Go to Recordings' })).toContainText(/g\s+c/);
});

test('the queue form says what Max size 0 and Joinable mean', async ({ app: _app, page }) => {
  await sections(page).getByRole('button', { name: 'Queues' }).click();
  const form = page.getByRole('form', { name: 'New queue' });
  await expect(form.getByRole('spinbutton', { name: 'Max size' })).toHaveAccessibleDescription(
    /0 means no limit/,
  );
  await expect(form.getByRole('checkbox', { name: 'Joinable' })).toHaveAccessibleDescription(/task_done\(\)/);
});

test('an empty Queues view says where a Python program’s queues come from', async ({ page }) => {
  // A serve mode of its own: the worker's shared one may hold other files' queues.
  const fresh = await startServe();
  try {
    await page.goto(fresh.url);
    await sections(page).getByRole('button', { name: 'Queues' }).click();
    await expect(page.getByRole('main', { name: 'Queues' })).toContainText(
      'or launch from Runs a Python program that uses multiprocessing.Queue or Pipe: its queues appear here',
    );
  } finally {
    await fresh.stop('SIGINT');
  }
});

test.describe('a run and a pool, seen whole', () => {
  test.afterAll(async ({ serve }) => {
    const { client, close } = await connectClient(serve);
    try {
      for (const pool of await client.call('pools.list', {})) {
        if (pool.label === 'newcomer pool' && pool.state !== 'terminated') {
          await client.call('pools.terminate', { id: pool.id });
        }
      }
      await client.call('runs.clearFinished', {});
    } finally {
      close();
    }
  });

  test('a launch that failed, then worked, leaves no “Launch failed” above the run', async ({
    app: _app,
    page,
  }) => {
    await sections(page).getByRole('button', { name: /^Runs/ }).click();
    const newRun = page.getByRole('button', { name: 'New run' });
    if (await newRun.isVisible()) await newRun.click();
    await page.getByLabel(/^Program/).fill('true');
    await page.getByLabel(/^Label/).fill('newcomer retry');
    await page.getByLabel(/^Working directory/).fill('/no/such/folder/for/newcomer');
    await page.getByRole('button', { name: 'Launch', exact: true }).click();
    const failed = page.getByRole('alert').filter({ hasText: 'Launch failed' });
    await expect(failed).toContainText('/no/such/folder/for/newcomer');
    await page.getByLabel(/^Working directory/).fill('/');
    await page.getByRole('button', { name: 'Launch', exact: true }).click();
    await expect(
      page.getByRole('list', { name: 'Runs' }).getByRole('button', { name: /newcomer retry/ }),
    ).toBeVisible();
    await expect(failed).toHaveCount(0);
  });

  test('a run’s process tree keeps its height under the details and the console', async ({ app, page }) => {
    const { client, close } = await connectClient(app);
    try {
      const run = await client.call('runs.launch', {
        program: 'sh',
        args: ['-c', 'sleep 0.2 & sleep 0.3 & wait; echo three children'],
        label: 'newcomer tree',
      });
      await client.call('runs.join', { id: run.id, timeoutMs: 30_000 });
    } finally {
      close();
    }
    // The smallest window the app supports: details, console and tree compete for the height.
    await page.setViewportSize({ width: 1024, height: 700 });
    await sections(page).getByRole('button', { name: 'Runs' }).click();
    await page
      .getByRole('list', { name: 'Runs' })
      .getByRole('button', { name: /newcomer tree/ })
      .click();
    const tree = page.locator('details.tree');
    // Open from the start: the tree is recorded from the run's first moment.
    await expect(tree).toHaveAttribute('open', '');
    await expect(tree.getByText(/descendant lanes/)).toBeVisible();
    // Whole, or as tall as it is allowed to be (30vh) and scrolling inside: never cut to a line.
    const fits = await tree.evaluate(
      (element) =>
        element.scrollHeight <= element.clientHeight + 1 || element.clientHeight >= 0.3 * innerHeight - 2,
    );
    expect(fits).toBe(true);
  });

  test('a pool’s task table takes the width until a task is picked, then shares it', async ({
    app,
    page,
  }) => {
    let poolId = '';
    const { client, close } = await connectClient(app);
    try {
      const pool = await client.call('pools.create', {
        kind: 'function',
        workers: 2,
        label: 'newcomer pool',
      });
      poolId = pool.id;
      await client.call('pools.map', {
        id: pool.id,
        target: '@examples/pool-tasks.js#square',
        items: [1, 2, 3],
      });
    } finally {
      close();
    }
    await page.setViewportSize({ width: 1280, height: 800 });
    await sections(page).getByRole('button', { name: 'Pools' }).click();
    await page
      .getByRole('button', { name: /newcomer pool/ })
      .first()
      .click();
    const region = page.getByRole('region', { name: /newcomer pool/ });
    const table = region.getByRole('table', { name: /Tasks of newcomer pool/ });
    await expect(table.getByRole('button', { name: 'Show task 3', exact: true })).toBeVisible();
    // Its add-tasks list names its function as the create form does (it showed the message
    // function's JavaScript source, a line wider than the window).
    await expect(region.getByRole('combobox', { name: 'Function' }).locator('option:checked')).toHaveText(
      'square(x): x × x',
    );
    const regionWidth = (await region.boundingBox())!.width;
    expect((await table.boundingBox())!.width).toBeGreaterThan(regionWidth * 0.95);
    // Every cell of a row is inside the table (the Label column was cut at the table's edge).
    const tableBox = (await table.boundingBox())!;
    const lastCell = (await table.getByRole('row').nth(1).getByRole('cell').last().boundingBox())!;
    expect(lastCell.x + lastCell.width).toBeLessThanOrEqual(tableBox.x + tableBox.width + 1);

    await table.getByRole('button', { name: 'Show task 3', exact: true }).click();
    const details = region.getByRole('region', { name: /Task 3/ });
    await expect(details).toBeVisible();
    const detailsBox = (await details.boundingBox())!;
    const narrower = (await table.boundingBox())!;
    expect(narrower.x + narrower.width).toBeLessThanOrEqual(detailsBox.x + 1);

    // The ✕ after an exited worker's lane name is in the legend once a worker has exited.
    const legend = region.getByRole('list', { name: 'Legend of the Gantt chart' });
    await expect(legend).toContainText('queued');
    await expect(legend).not.toContainText('worker exited');
    const { client: again, close: done } = await connectClient(app);
    try {
      await again.call('pools.terminate', { id: poolId });
    } finally {
      done();
    }
    await expect(legend).toContainText('worker exited');
  });
});
