import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';

const sidebar = (page: Page) => page.getByRole('navigation');
const picker = (page: Page, name: 'Language' | '语言') => sidebar(page).getByLabel(name);

/** The Noto Sans SC parts the page has loaded: Chinese drawn with the shipped font, not tofu. */
async function loadedChineseFontParts(page: Page): Promise<number> {
  return page.evaluate(async () => {
    await document.fonts.ready;
    return [...document.fonts].filter(
      (face) => face.family.includes('Noto Sans SC') && face.status === 'loaded',
    ).length;
  });
}

test.describe('a system in Chinese', () => {
  test.use({ locale: 'zh-CN' });

  test('opens in Chinese by default, and says it follows the system', async ({ app: _app, page }) => {
    await expect(page.locator('html')).toHaveAttribute('lang', 'zh-CN');
    await expect(
      page.getByRole('navigation', { name: '栏目' }).getByRole('button', { name: '示例' }),
    ).toBeVisible();
    await expect(picker(page, '语言')).toHaveValue('');
    await expect(picker(page, '语言').locator('option').first()).toHaveText('跟随系统（简体中文）');
    expect(await loadedChineseFontParts(page)).toBeGreaterThan(0);
  });
});

test('switch to 中文: sidebar, help, examples, a launch with its exit code explained; remembered; back to English', async ({
  app: _app,
  page,
}) => {
  // An English system: English first.
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await expect(
    page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: 'Examples' }),
  ).toBeVisible();
  await expect(picker(page, 'Language').locator('option').first()).toHaveText('System (English)');

  await picker(page, 'Language').selectOption('zh-CN');

  // The sidebar, the theme button and the connection, in Chinese, without a reload.
  const nav = page.getByRole('navigation', { name: '栏目' });
  for (const name of ['运行', '示例', '进程池', '队列', '系统']) {
    await expect(nav.getByRole('button', { name, exact: true })).toBeVisible();
  }
  await expect(nav.getByRole('button', { name: /切换到(深色|浅色)主题/ })).toBeVisible();
  await expect(nav.getByRole('status', { name: '连接' })).toContainText('已连接');
  await expect(page.locator('html')).toHaveAttribute('lang', 'zh-CN');
  expect(await loadedChineseFontParts(page)).toBeGreaterThan(0);

  // The help overlay.
  await page.locator('body').press('?');
  const help = page.getByRole('dialog', { name: '键盘快捷键' });
  await expect(help).toContainText('转到“示例”');
  await expect(help).toContainText('向选中的进程发送信号');
  await expect(help.getByRole('row', { name: /搜索：筛选运行或进程/ })).toContainText('运行、系统');
  await page.keyboard.press('Escape');
  await expect(help).toBeHidden();

  // Examples: the view, its "What am I looking at?", and the cards' words.
  await nav.getByRole('button', { name: '示例', exact: true }).click();
  await expect(page.getByRole('main', { name: '示例' })).toBeVisible();
  await page.getByRole('button', { name: '我在看什么？' }).click();
  await expect(page.getByRole('region', { name: '我在看什么？' })).toContainText(
    'Forkscope 所源自的种子程序',
  );
  const fork = page.getByRole('article', { name: '1 · fork：一个进程变成两个' });
  await expect(fork).toContainText('父进程请求一个子进程');
  await expect(fork).toContainText('在“运行”中打开');
  await expect(page.getByRole('article', { name: 'Python 原版 · 3_pool.py' })).toContainText(
    '请观察四条工作进程泳道',
  );

  // A launch from the form in Chinese, and its exit code explained in Chinese.
  await page.locator('body').press('g');
  await page.keyboard.press('r');
  await page.keyboard.press('n');
  await expect(page.getByRole('heading', { name: '新建运行' })).toBeVisible();
  await page.getByRole('button', { name: '启动', exact: true }).click();
  await expect(page.getByRole('alert')).toHaveText('请填写要运行的程序。');
  await page.getByRole('textbox', { name: /^程序/ }).fill('sh');
  await page.getByRole('textbox', { name: /^参数/ }).fill('-c\nexit 127');
  await page.getByRole('button', { name: '启动', exact: true }).click();
  await expect(page.getByText(/退出码 127：\s*找不到命令（127）/)).toBeVisible();

  // The Runs list and the run's panel: list, actions, details, console and stdin in Chinese.
  await expect(page.getByRole('heading', { name: /^运行 \d+$/ })).toBeVisible();
  await expect(page.getByRole('searchbox', { name: '搜索运行' })).toHaveAttribute(
    'placeholder',
    '搜索：标签、PID 或 ID',
  );
  await expect(
    page.getByRole('list', { name: '运行', exact: true }).getByRole('button').first(),
  ).toContainText('PID');
  await expect(page.getByRole('button', { name: '清除已结束的' })).toBeEnabled();
  const panel = page.getByRole('article');
  await expect(panel.getByRole('button', { name: '终止', exact: true })).toBeDisabled();
  await expect(panel.getByRole('button', { name: '杀死', exact: true })).toBeDisabled();
  await expect(panel).toContainText('逻辑父级：Forkscope（表单或 API）');
  await expect(panel.getByText('详情', { exact: true })).toBeVisible();
  await expect(panel.getByText('进程树随时间的变化')).toBeVisible();
  const runConsole = panel.getByRole('region', { name: '控制台' });
  await expect(
    runConsole.getByRole('tablist', { name: '输出流' }).getByRole('tab', { name: '合并' }),
  ).toHaveAttribute('aria-selected', 'true');
  await expect(runConsole.getByRole('searchbox', { name: '搜索输出' })).toBeVisible();
  await expect(runConsole.getByRole('tabpanel')).toHaveText('没有输出。');
  await expect(runConsole.getByRole('group', { name: '标准输入' })).toHaveText('stdin 已关闭。');

  // The System view: its toolbar, the grid's headers, a process's details and the signal dialog.
  await nav.getByRole('button', { name: '系统', exact: true }).click();
  const toolbar = page.getByRole('toolbar', { name: '进程列表' });
  await expect(
    toolbar.getByRole('group', { name: '显示方式' }).getByRole('button', { name: '表格' }),
  ).toHaveAttribute('aria-pressed', 'true');
  await expect(toolbar.getByRole('searchbox', { name: '筛选进程' })).toBeVisible();
  await expect(toolbar.getByRole('button', { name: '暂停' })).toBeVisible();
  await expect(toolbar.getByRole('status', { name: '进程数' })).toContainText(
    /共 [\d,]+ 个进程，显示 [\d,]+ 个/,
  );
  const grid = page.getByRole('grid', { name: '进程' });
  await expect(grid.getByRole('columnheader', { name: '按内存排序' })).toBeVisible();
  await expect(grid.getByRole('columnheader', { name: '按命令行排序' })).toBeVisible();
  await grid.getByRole('row').nth(1).click();
  const details = page.getByRole('region', { name: '进程详情' });
  await expect(details).toContainText('工作目录');
  await details.getByRole('button', { name: '发送信号…' }).click();
  const dialog = page.getByRole('dialog', { name: /^向 .+（PID \d+）发送信号$/ });
  await expect(dialog.getByRole('combobox', { name: '信号' })).toContainText('SIGTERM — 请求它停止');
  await expect(dialog).toContainText(/将向 .+（PID \d+）发送 SIGTERM。/);
  await dialog.getByRole('button', { name: '取消' }).click();
  await expect(dialog).toBeHidden();

  // A pool: its header, state, controls and progress in Chinese (seed example 3, from Examples).
  await nav.getByRole('button', { name: '示例', exact: true }).click();
  await page.getByRole('button', { name: /^运行 3 · Pool\(4\)/ }).click();
  const pool = page.getByRole('region', { name: /^进程池 Pool\(4\)/ });
  await expect(pool.getByLabel('进程池状态')).toHaveText('已完成', { timeout: 20_000 });
  await expect(pool).toContainText('4 个工作进程');
  await expect(pool.getByRole('progressbar', { name: /的进度$/ })).toHaveAttribute(
    'aria-valuetext',
    '100%：5 个任务中已完成 5 个',
  );
  await expect(pool).toContainText('完成 5 · 失败 0');
  await expect(pool.getByRole('button', { name: '导出作业日志' })).toBeVisible();
  await expect(pool.getByRole('button', { name: '导出 Chrome 跟踪' })).toBeVisible();
  await expect(
    page
      .getByRole('navigation', { name: '进程池列表' })
      .getByRole('button', { name: /^查看进程池 p\d+：Pool\(4\)/ }),
  ).toBeVisible();
  await pool.getByRole('button', { name: 'Show task 1' }).click();
  const task = page.getByRole('region', { name: '任务 1 的详情' });
  await expect(task.getByRole('heading', { name: '任务 #1' })).toBeVisible();
  for (const name of ['参数', '结果', '输出'])
    await expect(task.getByRole('heading', { name, exact: true })).toBeVisible();
  await expect(task.getByLabel('任务 1 的输出')).toBeVisible();

  // Remembered across a reload.
  await page.reload();
  await expect(page.getByRole('navigation', { name: '栏目' })).toBeVisible();
  await expect(picker(page, '语言')).toHaveValue('zh-CN');

  // And back to English, also remembered.
  await picker(page, '语言').selectOption('en');
  await expect(
    page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: 'Runs' }),
  ).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await page.reload();
  await expect(picker(page, 'Language')).toHaveValue('en');
  await page.getByRole('navigation').getByRole('button', { name: 'Examples' }).click();
  await expect(page.getByRole('article', { name: '1 · fork: one process becomes two' })).toBeVisible();
});
