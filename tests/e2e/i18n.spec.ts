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

  test('a pool, a queue, the System view and this session’s recording, all in Chinese', async ({
    app: _app,
    page,
  }) => {
    test.setTimeout(120_000);
    const nav = page.getByRole('navigation', { name: '栏目' });

    // A pool (seed example 3): the Gantt, its legend and the task table with Chinese headings.
    await nav.getByRole('button', { name: '示例', exact: true }).click();
    await page.getByRole('button', { name: /^运行 3 · Pool\(4\)/ }).click();
    const pool = page.getByRole('region', { name: /^进程池 Pool\(4\)/ });
    await expect(pool.getByLabel('进程池状态')).toHaveText('已完成', { timeout: 30_000 });
    await expect(pool.getByTestId('gantt')).toHaveAttribute(
      'aria-label',
      /^Pool\(4\).* 的甘特图：4 条工作进程泳道，5 个任务条$/,
    );
    const ganttLegend = pool.getByRole('list', { name: '甘特图的图例' });
    for (const word of ['运行中', '已完成', '失败', '已取消', '排队中'])
      await expect(ganttLegend).toContainText(word);
    const tasks = pool.getByRole('table', { name: /的任务$/ });
    for (const column of ['任务', '状态', '工作进程 PID', '开始', '时长', '退出', '输入', '输出'])
      await expect(tasks.getByRole('button', { name: `按${column}排序任务` })).toBeVisible();
    await expect(tasks.getByRole('columnheader', { name: '标签' })).toBeVisible();
    await expect(tasks.getByRole('cell', { name: '已完成', exact: true })).toHaveCount(5);
    await expect(tasks.getByRole('cell', { name: /^\d+(\.\d+)? (毫秒|秒)$/ }).first()).toBeVisible();
    await tasks.getByRole('button', { name: '查看任务 1' }).click();
    await expect(page.getByRole('region', { name: '任务 1 的详情' })).toContainText('已完成');

    // A queue (seed example 5): lanes, the shared time axis, depth and the item table in Chinese.
    await nav.getByRole('button', { name: '示例', exact: true }).click();
    await page.getByRole('button', { name: /^运行 5 · Queue/ }).click();
    const queue = page.getByRole('article', { name: /^队列 q\d+/ });
    const marks = queue.getByRole('list', { name: '放入与取出记录' }).getByRole('listitem');
    await expect(marks).toHaveCount(6, { timeout: 30_000 });
    await expect(marks.filter({ hasText: /^放入 "A"/ })).toHaveCount(1);
    await expect(marks.filter({ hasText: /^取出 "A"/ })).toHaveCount(1);
    const lanes = queue.getByRole('region', { name: '泳道', exact: true });
    await expect(lanes.getByRole('heading', { name: '各进程的放入与取出' })).toBeVisible();
    await expect(lanes.getByText(/结束：.*SIGTERM/)).toBeVisible({ timeout: 30_000 });
    await expect(lanes.getByRole('group', { name: '泳道的时间轴' })).toContainText('秒');
    await expect(lanes).toContainText('自队列创建起的时间');
    await expect(queue.getByRole('img', { name: /^q\d+ 的深度图：当前 0，峰值 [1-9]/ })).toBeVisible();
    await expect(queue.getByRole('list', { name: '队列泳道的图例' })).toContainText('进程结束');
    await expect(queue.getByLabel('队列计数')).toContainText('放入 3');
    const items = queue.getByRole('table');
    for (const column of ['数据项', '状态', '放入者', '放入时间', '取出者', '取出时间'])
      await expect(items.getByRole('columnheader', { name: column, exact: true })).toBeVisible();
    await expect(items.getByRole('cell', { name: '已取出', exact: true })).toHaveCount(3);

    // A queue made here: its form and controls, and items left when it closes.
    await nav.getByRole('button', { name: '队列', exact: true }).click();
    await page.getByRole('form', { name: '新建队列' }).getByRole('textbox', { name: '名称' }).fill('手工');
    await page.getByRole('button', { name: '创建队列' }).click();
    const made = page.getByRole('article', { name: /^队列 q\d+/ });
    await expect(made.getByRole('heading', { name: /手工/ })).toBeVisible();
    const item = made.getByRole('textbox', { name: '数据项' });
    await expect(item).toHaveAttribute('placeholder', '"hello" 或 {"n": 1}');
    await item.fill('"一"');
    await made.getByRole('button', { name: '放入', exact: true }).click();
    await expect(made.getByLabel('队列计数')).toContainText('深度 1');
    await made.getByRole('button', { name: '关闭队列' }).click();
    await expect(made.getByRole('cell', { name: '未被取出：队列已关闭' })).toHaveCount(1);

    // The System view's panels: a process's history graph and a run's descendants.
    await nav.getByRole('button', { name: '系统', exact: true }).click();
    await page.getByRole('grid', { name: '进程' }).getByRole('row').nth(1).click();
    await expect(
      page.getByRole('region', { name: '进程详情' }).getByRole('img', { name: /的 CPU 与内存历史/ }),
    ).toBeVisible();
    const descendants = page.getByRole('region', { name: '一次运行的后代进程' });
    await expect(descendants.getByRole('combobox', { name: '运行' })).toBeVisible();
    await expect(descendants.getByRole('status')).toContainText(/\d+ 条后代进程泳道（\d+ 条已结束）/);
    await expect(descendants.getByRole('list', { name: '后代进程泳道的图例' })).toContainText('僵尸进程');

    // This session's recording, replayed: the scrubber, the runs and the pool at the cursor.
    await nav.getByRole('button', { name: '录制', exact: true }).click();
    const row = page.getByRole('row', { name: /（本次会话）/ });
    await row.getByRole('button', { name: /^打开/ }).click();
    await expect(page.getByRole('region', { name: '时间滑块' })).toContainText(/ \/ /);
    await page.getByRole('button', { name: '结尾', exact: true }).click();
    const runs = page.getByRole('region', { name: '光标处的运行' });
    await expect(runs.getByRole('heading', { name: '运行', exact: true })).toBeVisible();
    await expect(runs.getByTestId('run-state').first()).toHaveText(/^(已退出|运行中|被信号终止)/);
    const replayed = page.getByRole('region', { name: /^进程池 Pool\(4\)/ });
    await expect(replayed).toContainText('完成 5');
    await expect(replayed.getByRole('list', { name: '光标处正在运行的任务' })).toContainText('无');
    await expect(page.getByRole('region', { name: '比较两次运行' })).toBeVisible();
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
      .getByRole('button', { name: /^查看进程池 p\d+：Pool\(4\)/ })
      // The newest: the test above ran example 3 too.
      .last(),
  ).toHaveAttribute('aria-current', 'true');
  await pool.getByRole('button', { name: '查看任务 1' }).click();
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
