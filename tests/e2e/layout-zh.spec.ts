import { connectClient, expect, test } from './fixtures';
import { overflowing } from './overflow';

/**
 * The layout check of tests/e2e/layout.spec.ts in both languages, with something in every view:
 * Chinese words are wider per character and English ones longer, so each language can push a
 * heading, a column header or a button past its box. Every view — Runs, Examples, Pools (seed
 * example 3: Gantt, task table), Queues (seed example 5 and a closed queue with items left),
 * System (with a process's details and a run's descendants) and Recordings (this session's,
 * opened) — at 1024×700 and 1440×900, light and dark, in English and in Chinese.
 */
const sizes = [
  { width: 1024, height: 700 },
  { width: 1440, height: 900 },
] as const;
const themes = ['light', 'dark'] as const;
const views = ['runs', 'examples', 'pools', 'queues', 'system', 'replay'] as const;
const languages = {
  'zh-CN': {
    views: {
      runs: '运行',
      examples: '示例',
      pools: '进程池',
      queues: '队列',
      system: '系统',
      replay: '录制',
    },
    sections: '栏目',
    grid: '进程',
    details: '进程详情',
    scrubber: '时间滑块',
    session: '（本次会话）',
    open: /^打开/,
  },
  en: {
    views: {
      runs: 'Runs',
      examples: 'Examples',
      pools: 'Pools',
      queues: 'Queues',
      system: 'System',
      replay: 'Recordings',
    },
    sections: 'Sections',
    grid: 'Processes',
    details: 'Process details',
    scrubber: 'Time scrubber',
    session: '(this session)',
    open: /^Open/,
  },
} as const;

test.beforeAll(async ({ serve }) => {
  test.setTimeout(120_000);
  const { client, close } = await connectClient(serve);
  try {
    const run = await client.call('runs.launch', {
      program: 'sh',
      args: ['-c', 'echo out; echo err >&2; exit 3'],
      label: 'a run with a fairly long label that has to fit the list somehow',
    });
    await client.call('runs.join', { id: run.id, timeoutMs: 30_000 });
    for (const id of ['pool', 'queue']) {
      const started = await client.call('examples.run', { id });
      for (const runId of started.runIds) await client.call('runs.join', { id: runId, timeoutMs: 60_000 });
    }
    const queue = await client.call('queues.create', { name: 'a queue with a rather long name', maxsize: 5 });
    for (const item of ['one', 'two', 'three']) await client.call('queues.put', { id: queue.id, item });
    await client.call('queues.take', { id: queue.id, block: false });
    await client.call('queues.close', { id: queue.id });
  } finally {
    close();
  }
});

for (const [locale, words] of Object.entries(languages)) {
  for (const size of sizes) {
    for (const theme of themes) {
      test(`no text overflows its box at ${size.width}×${size.height}, ${theme} theme, ${locale}`, async ({
        app: _app,
        page,
      }) => {
        await page.setViewportSize(size);
        await page.evaluate(
          (chosen) => {
            localStorage.setItem('forkscope.theme', chosen.theme);
            localStorage.setItem('forkscope.locale', chosen.locale);
          },
          { theme, locale },
        );
        await page.reload();
        await expect(page.locator('html')).toHaveAttribute('data-theme', theme);
        await expect(page.locator('html')).toHaveAttribute('lang', locale);
        const sections = page.getByRole('navigation', { name: words.sections });
        const problems: string[] = [];
        for (const view of views) {
          const name = words.views[view];
          await sections.getByRole('button', { name, exact: true }).click();
          await expect(page.getByRole('main', { name })).toBeVisible();
          if (view === 'runs') {
            await page.getByRole('list', { name, exact: true }).getByRole('button').first().click();
            await expect(page.getByRole('tabpanel')).toBeVisible();
          }
          if (view === 'pools') await expect(page.getByTestId('gantt')).toHaveAttribute('data-bars', '5');
          if (view === 'queues') await expect(page.getByRole('article')).toBeVisible();
          if (view === 'system') {
            const grid = page.getByRole('grid', { name: words.grid });
            await expect(grid.getByRole('row').nth(3)).toBeVisible();
            await grid.getByRole('row').nth(1).click();
            await expect(page.getByRole('region', { name: words.details }).locator('dl')).toBeVisible();
          }
          if (view === 'replay') {
            await page
              .getByRole('row', { name: words.session })
              .getByRole('button', { name: words.open })
              .click();
            await expect(page.getByRole('region', { name: words.scrubber })).toBeVisible();
          }
          await page.screenshot({
            path: test.info().outputPath(`${view}-${size.width}-${theme}-${locale}.png`),
            fullPage: true,
          });
          for (const found of await overflowing(page)) {
            problems.push(
              `${view}: ${found.what} “${found.text}” ${found.scrollWidth} > ${found.clientWidth}`,
            );
          }
        }
        expect(problems).toEqual([]);
      });
    }
  }
}
