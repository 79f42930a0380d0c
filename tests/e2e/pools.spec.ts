import type { Page } from '@playwright/test';
import { connectClient, expect, test } from './fixtures';

const sections = (page: Page) => page.getByRole('navigation', { name: 'Sections' });
const gantt = (page: Page) => page.getByTestId('gantt');

test('seed example 3 from one click: four worker lanes and five task bars', async ({ app: _app, page }) => {
  await sections(page).getByRole('button', { name: 'Examples' }).click();
  await page.getByRole('button', { name: /^Run 3 · Pool\(4\)/ }).click();
  await expect(sections(page).getByRole('button', { name: /^Pools/ })).toHaveAttribute(
    'aria-current',
    'page',
  );

  await expect(gantt(page)).toHaveAttribute('data-lanes', '4');
  // The fifth task starts on the first worker that frees (tasks sleep up to 3 s).
  await expect(gantt(page)).toHaveAttribute('data-bars', '5', { timeout: 20_000 });
  await expect(gantt(page)).toHaveAccessibleName(/4 worker lanes, 5 task bars/);
  const progress = page.getByRole('progressbar', { name: /Pool\(4\) · 3_pool/ });
  await expect(progress).toHaveAttribute('aria-valuenow', '100', { timeout: 20_000 });
  await expect(page.getByRole('status', { name: 'Pool state' }).or(page.getByLabel('Pool state'))).toHaveText(
    'done',
    {
      timeout: 20_000,
    },
  );

  // A task's details: its args, its result and its own output (the pid it printed).
  await page.getByRole('button', { name: 'Show task 1' }).click();
  const details = page.getByRole('region', { name: 'Task 1 details' });
  await expect(details).toContainText('longTimeTask');
  await expect(details.getByLabel('Output of task 1')).toContainText(/Run task 0 \(\d+\)\.\.\./);
});

test('a 2,000-task pool renders and its progress bar reaches 100%', async ({ app: _app, page }) => {
  await sections(page).getByRole('button', { name: 'Pools' }).click();
  const form = page.getByRole('form', { name: 'Create a pool' });
  await form.getByRole('radio', { name: 'Built-in function' }).check();
  await form.getByRole('spinbutton', { name: 'Workers' }).fill('4');
  await form.getByRole('combobox', { name: 'Function' }).selectOption({ label: 'square(x): x × x' });
  await form.getByRole('spinbutton', { name: 'Tasks', exact: true }).fill('2000');
  await form.getByRole('button', { name: 'Create pool' }).click();

  const progress = page.getByRole('progressbar', { name: /Pool\(4\)/ });
  await expect(progress).toHaveAttribute('aria-valuenow', '100', { timeout: 45_000 });
  await expect(progress).toHaveAttribute('aria-valuetext', /2000 of 2000 tasks finished/);
  await expect(gantt(page)).toHaveAttribute('data-bars', '2000');
  await expect(gantt(page)).toHaveAttribute('data-lanes', '4');

  // The table is virtualized: a few dozen rows in the DOM, not 2,000; sorting works.
  const table = page.getByRole('table', { name: /Tasks of Pool\(4\)/ });
  const rendered = await table.getByRole('row').count();
  expect(rendered).toBeLessThan(100);
  await table.getByRole('button', { name: 'Sort tasks by Task' }).click();
  await expect(table.getByRole('button', { name: 'Show task 2000' })).toBeVisible();

  // Close and join from the controls; the job log exports.
  await page.getByRole('button', { name: 'Close', exact: true }).click();
  await expect(page.getByLabel('Pool state')).toHaveText('done', { timeout: 20_000 });
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export job log' }).click();
  const file = await download;
  expect(file.suggestedFilename()).toMatch(/joblog\.tsv$/);
});

test('a module that does not exist makes no pool; an idle open pool says so', async ({ app, page }) => {
  await sections(page).getByRole('button', { name: 'Pools' }).click();
  const form = page.getByRole('form', { name: 'Create a pool' });
  await form.getByRole('radio', { name: 'Module path' }).check();
  await expect(form).toContainText(/resolved against Forkscope’s working directory: \//);
  await form.getByRole('textbox', { name: 'Module path' }).fill('no/such/module.js');
  await form.getByRole('textbox', { name: 'Export' }).fill('nothing');
  const before = await page.getByRole('button', { name: /^Show pool p\d+/ }).count();
  await form.getByRole('button', { name: 'Create pool' }).click();
  const alert = page.getByRole('alert').filter({ hasText: 'Create pool failed' });
  await expect(alert).toContainText(/does not exist/);
  await expect(page.getByRole('button', { name: /^Show pool p\d+/ })).toHaveCount(before);

  // A command pool: quoted labels, an axis that stops at the last activity, "idle" when all done.
  await form.getByRole('radio', { name: 'Command template' }).check();
  await form.getByRole('textbox', { name: 'Command template' }).fill(`sh -c 'echo "processing {}"'`);
  await form.getByRole('textbox', { name: 'Inputs (one per line)' }).fill('a\nb');
  await form.getByRole('button', { name: 'Create pool' }).click();
  await expect(page.getByLabel('Pool state')).toHaveText('idle · 2/2 done (close to finish)', {
    timeout: 20_000,
  });
  await expect(page.getByRole('heading', { level: 2 })).toHaveText(
    `parallel -j4 sh -c 'echo "processing {}"'`,
  );
  const span = Number(await gantt(page).getAttribute('data-span-ms'));
  await page.waitForTimeout(1500);
  expect(Number(await gantt(page).getAttribute('data-span-ms'))).toBe(span);
  // From the first start to the last end of its two tasks exactly, not to now (however long the
  // machine took to run them).
  const { client, close } = await connectClient(app);
  try {
    const pool = (await client.call('pools.list', {})).findLast(
      (record) => record.kind === 'command' && record.options.template?.join(' ').includes('processing {}'),
    )!;
    const { tasks } = await client.call('pools.tasks', { id: pool.id });
    expect(tasks).toHaveLength(2);
    const first = Math.min(...tasks.map((task) => task.startedAt!));
    const last = Math.max(...tasks.map((task) => task.endedAt!));
    expect(span).toBe(Math.round(Math.max(1, last - first)));
  } finally {
    close();
  }
});

test('task changes reach the page only while Pools is shown; what ran meanwhile is there on return', async ({
  app,
  page,
}) => {
  let taskEvents = 0;
  page.on('websocket', (socket) =>
    socket.on('framereceived', ({ payload }) => {
      if (String(payload).includes('"name":"pools.tasks"')) taskEvents++;
    }),
  );
  await page.reload();
  await expect(sections(page).getByRole('button', { name: 'Runs' })).toHaveAttribute('aria-current', 'page');

  // Another client runs a pool while this page shows Runs: no task event is sent to it.
  const { client, close } = await connectClient(app);
  try {
    const pool = await client.call('pools.create', { kind: 'function', workers: 2, label: 'away pool' });
    await client.call('pools.map', {
      id: pool.id,
      target: '@examples/pool-tasks.js#square',
      items: [1, 2, 3, 4, 5, 6],
    });
    // Pool records still come (the sidebar's counts); tasks do not.
    await page.waitForTimeout(300);
    expect(taskEvents).toBe(0);

    await sections(page).getByRole('button', { name: 'Pools' }).click();
    await page.getByRole('button', { name: /^Show pool p\d+: away pool/ }).click();
    await expect(gantt(page)).toHaveAttribute('data-bars', '6');
    await expect(page.getByRole('progressbar', { name: /away pool/ })).toHaveAttribute(
      'aria-valuenow',
      '100',
    );

    // Shown, it listens: new tasks come as events.
    await client.call('pools.map', { id: pool.id, target: '@examples/pool-tasks.js#square', items: [7, 8] });
    await expect(gantt(page)).toHaveAttribute('data-bars', '8');
    expect(taskEvents).toBeGreaterThan(0);
  } finally {
    close();
  }
});
