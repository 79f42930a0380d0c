import { spawn, type ChildProcess } from 'node:child_process';
import { connectClient, expect, test } from './fixtures';

/** Only processes started here are ever signalled by this file. */
const started: ChildProcess[] = [];

test.afterEach(() => {
  for (const child of started.splice(0)) {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
});

test.beforeEach(async ({ app: _app, page }) => {
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: 'System' }).click();
  await expect(page.getByRole('grid', { name: 'Processes' })).toBeVisible();
});

test('20 sleeps appear as new under their parent; one killed from the UI disappears as exited', async ({
  page,
}) => {
  const children = Array.from({ length: 20 }, () =>
    spawn('sleep', ['931.25'], { stdio: 'ignore', detached: true }),
  );
  started.push(...children);
  const pids = children.map((child) => child.pid!);

  await page.getByRole('button', { name: 'Tree' }).click();
  const tree = page.getByRole('treegrid', { name: 'Process tree' });
  await page.getByRole('searchbox', { name: 'Filter processes' }).fill('931.25');
  const sleeps = tree.getByRole('row').filter({ hasText: 'sleep 931.25' });
  await expect(sleeps).toHaveCount(20);
  // Under their parent (this test's process), one level below it, highlighted as new.
  const parent = tree.locator(`[data-pid="${process.pid}"]`);
  await expect(parent).toBeVisible();
  const parentLevel = Number(await parent.getAttribute('aria-level'));
  for (const pid of pids.slice(0, 5)) {
    const row = tree.locator(`[data-pid="${pid}"]`);
    await expect(row).toHaveAttribute('aria-level', String(parentLevel + 1));
    await expect(row).toHaveAttribute('data-change', 'new');
  }
  await expect(sleeps.filter({ hasText: 'new' })).toHaveCount(20);

  const victim = pids[3]!;
  await tree.locator(`[data-pid="${victim}"]`).click();
  const details = page.getByRole('region', { name: 'Process details' });
  await expect(details.getByRole('heading', { name: `sleep pid ${victim}` })).toBeVisible();
  await details.getByRole('button', { name: 'Send signal…' }).click();
  const dialog = page.getByRole('dialog', { name: `Send a signal to sleep (pid ${victim})` });
  await dialog.getByRole('combobox', { name: 'Signal' }).selectOption('KILL');
  await expect(dialog).toContainText(`SIGKILL will be sent to sleep (pid ${victim}).`);
  await dialog.getByRole('button', { name: 'Send SIGKILL' }).click();
  await expect(dialog).toBeHidden();
  await expect(details.getByRole('status', { name: 'Signal sent' })).toContainText(
    `SIGKILL sent to sleep (pid ${victim}).`,
  );
  const gone = tree.locator(`[data-pid="${victim}"]`);
  await expect(gone).toHaveAttribute('data-change', 'exited');
  await expect(gone).toHaveCount(0, { timeout: 15_000 });
  await expect(sleeps).toHaveCount(19);
  expect(
    children[3]!.signalCode ??
      (await new Promise((resolve) => children[3]!.once('exit', (_, signal) => resolve(signal)))),
  ).toBe('SIGKILL');
});

test('killing pid 1 or Forkscope itself is refused with a clear message', async ({ page, serve }) => {
  const filter = page.getByRole('searchbox', { name: 'Filter processes' });
  const grid = page.getByRole('grid', { name: 'Processes' });
  for (const [pid, reason] of [
    [1, /pid 1 is the system’s init process/],
    [serve.process.pid!, /is Forkscope itself/],
  ] as const) {
    await filter.fill(`pid:${pid}`);
    await expect(grid.getByRole('row').filter({ hasNotText: 'PID' })).toHaveCount(1);
    await grid.locator(`[data-pid="${pid}"]`).click();
    await page
      .getByRole('region', { name: 'Process details' })
      .getByRole('button', { name: 'Send signal…' })
      .click();
    const dialog = page.getByRole('dialog');
    // Said up front, before Send; focus is inside the dialog.
    await expect(dialog.getByRole('note')).toContainText('This will be refused');
    await expect(dialog.getByRole('combobox', { name: 'Signal' })).toBeFocused();
    await dialog.getByRole('button', { name: 'Send SIGTERM' }).click();
    await expect(dialog.getByRole('alert')).toContainText(reason);
    await expect(dialog.getByRole('alert')).toContainText('Refused');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(dialog).toBeHidden();
  }
  // Escape closes the dialog too.
  await page
    .getByRole('region', { name: 'Process details' })
    .getByRole('button', { name: 'Send signal…' })
    .click();
  await expect(page.getByRole('dialog')).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(page.getByRole('dialog')).toBeHidden();
  await expect(grid.locator(`[data-pid="${serve.process.pid}"]`)).toHaveAttribute('data-own', 'forkscope');
});

test('filter by name, sort by CPU and by pid, details panel', async ({ page }) => {
  const child = spawn('sleep', ['932.75'], { stdio: 'ignore', detached: true, cwd: '/tmp' });
  started.push(child);
  const grid = page.getByRole('grid', { name: 'Processes' });
  const filter = page.getByRole('searchbox', { name: 'Filter processes' });

  await filter.fill('sleep');
  const rows = grid.getByRole('row').filter({ hasNotText: 'Command line' });
  await expect(rows.filter({ hasText: 'sleep 932.75' })).toHaveCount(1);
  // A word matches any field: each row shown has it in its name or its command line (other
  // processes on the machine, such as `sh -c '… sleep …'`, rightly match too).
  for (const text of await rows.allInnerTexts()) expect(text).toMatch(/sleep/i);
  await filter.fill('');

  await grid.getByRole('button', { name: 'Sort by CPU %' }).click();
  const cpuHeader = grid.getByRole('columnheader', { name: 'Sort by CPU %' });
  const cpus = async () => (await rows.locator('.cell.cpu').allTextContents()).map(Number);
  const order = await cpuHeader.getAttribute('aria-sort');
  const values = await cpus();
  expect(values.length).toBeGreaterThan(3);
  const sorted = [...values].sort((a, b) => (order === 'descending' ? b - a : a - b));
  expect(values).toEqual(sorted);

  await grid.getByRole('button', { name: 'Sort by PID' }).click();
  await expect(grid.getByRole('columnheader', { name: 'Sort by PID' })).toHaveAttribute(
    'aria-sort',
    'ascending',
  );
  const pids = (await rows.locator('.cell.pid').allTextContents()).map((text) => Number(text.trim()));
  expect(pids).toEqual([...pids].sort((a, b) => a - b));
  await grid.getByRole('button', { name: 'Sort by PID' }).click();
  await expect(grid.getByRole('columnheader', { name: 'Sort by PID' })).toHaveAttribute(
    'aria-sort',
    'descending',
  );

  await filter.fill(`pid:${child.pid}`);
  await grid.locator(`[data-pid="${child.pid}"]`).click();
  const details = page.getByRole('region', { name: 'Process details' });
  await expect(details).toContainText('sleep 932.75');
  await expect(details.getByText('/tmp', { exact: true })).toBeVisible();
  await expect(details).toContainText('root');
  await expect(details).toContainText(/Started\s*\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/);
  await expect(details.getByRole('img', { name: /CPU and memory history of sleep/ })).toBeVisible();
});

test('the Python original of the pool example shows four worker lanes inside its own', async ({
  page,
  serve,
}) => {
  const { client, close } = await connectClient(serve);
  try {
    const { runIds } = await client.call('examples.run', { id: 'python-pool' });
    const runId = runIds[0]!;
    const panel = page.getByRole('region', { name: 'Descendants of a run' });
    await panel.getByRole('combobox', { name: 'Run' }).selectOption(runId);
    const timeline = panel.getByRole('region', { name: /Descendants of python3 -u 3_pool.py/ });
    await expect(timeline.getByRole('status')).toContainText('· done', { timeout: 30_000 });
    const workers = timeline.getByRole('listitem', { name: /^Descendant python3/ });
    await expect.poll(() => workers.count()).toBeGreaterThanOrEqual(4);
    await expect(timeline.getByRole('status')).toContainText(/[4-9] descendant lanes \([4-9] ended\)/);
    // Each worker lane starts after its parent's and ends before it.
    const root = await timeline.getByRole('listitem', { name: /^Run python3/ }).getAttribute('aria-label');
    const toSeconds = (value: string, unit: string) => (unit === 's' ? Number(value) : Number(value) / 1000);
    const [, rootValue, rootUnit] = /to (\d+(?:\.\d+)?) (ms|s)/.exec(root!)!;
    for (const label of await workers.evaluateAll((items) =>
      items.map((item) => item.getAttribute('aria-label')!),
    )) {
      expect(label).not.toContain('alive');
      expect(label).toMatch(/from \d/);
      const [, endValue, endUnit] = /to (\d+(?:\.\d+)?) (ms|s)/.exec(label)!;
      expect(toSeconds(endValue!, endUnit!)).toBeLessThanOrEqual(toSeconds(rootValue!, rootUnit!));
    }
    await expect(panel.getByRole('region', { name: `Output of run ${runId}` })).toContainText(
      'All subprocesses done.',
    );
  } finally {
    close();
  }
});

test('the Python original of the fork example shows the child lane', async ({ page, serve }) => {
  const { client, close } = await connectClient(serve);
  try {
    const { runIds } = await client.call('examples.run', { id: 'python-fork' });
    const panel = page.getByRole('region', { name: 'Descendants of a run' });
    await panel.getByRole('combobox', { name: 'Run' }).selectOption(runIds[0]!);
    const timeline = panel.getByRole('region', { name: /Descendants of python3 -u 1_fork.py/ });
    await expect(timeline.getByRole('status')).toContainText('· done', { timeout: 30_000 });
    await expect(timeline.getByRole('listitem', { name: /^Descendant python3/ })).toHaveCount(1);
    const output = panel.getByRole('region', { name: `Output of run ${runIds[0]}` });
    await expect(output).toContainText('I am child process');
    const childPid = /I am child process \((\d+)\)/.exec((await output.textContent()) ?? '')?.[1];
    await expect(
      timeline.getByRole('listitem', { name: new RegExp(`^Descendant python3 pid ${childPid},`) }),
    ).toBeVisible();
  } finally {
    close();
  }
});

test('Python originals, one after another: each output panel shows its own run, no console errors', async ({
  page,
  serve,
}) => {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  const panel = page.getByRole('region', { name: 'Descendants of a run' });
  const { client, close } = await connectClient(serve);
  try {
    for (const [id, file] of [
      ['python-fork', '1_fork.py'],
      ['python-pool', '3_pool.py'],
      ['python-subprocess-communicate', '4b_subprocess_communicate.py'],
      ['python-queue', '5_queue.py'],
    ] as const) {
      const { runIds } = await client.call('examples.run', { id });
      await panel.getByRole('combobox', { name: 'Run' }).selectOption(runIds[0]!);
      await expect(panel.getByRole('heading', { name: `Output of python3 -u ${file}` })).toBeVisible({
        timeout: 15_000,
      });
      const timeline = panel.getByRole('region', { name: `Descendants of python3 -u ${file}` });
      await expect(timeline.getByRole('status')).toContainText('· done', { timeout: 30_000 });
      const output = panel.getByRole('region', { name: /^Output of run / });
      if (file === '1_fork.py') await expect(output).toContainText('I am child process');
      if (file === '3_pool.py') await expect(output).toContainText('All subprocesses done.');
      if (file !== '1_fork.py') await expect(output).not.toContainText('I am child process');
    }
  } finally {
    close();
  }
  expect(errors).toEqual([]);
});

test('tree view: the PID column grows with depth; the count leaves exited rows out', async ({ page }) => {
  // A chain five deep under this test's process: sh → sh → sh → sh → sleep.
  const script = 'if [ "$D" -gt 0 ]; then D=$((D - 1)) sh -c "$0" "$0"; :; else exec sleep 937.5; fi';
  const chain = spawn('sh', ['-c', script, script], {
    stdio: 'ignore',
    detached: true,
    env: { ...process.env, D: '4' },
  });
  started.push(chain);
  await page.getByRole('button', { name: 'Tree' }).click();
  const tree = page.getByRole('treegrid', { name: 'Process tree' });
  // The filter keeps the ancestors (as context), so the depth stays.
  await page.getByRole('searchbox', { name: 'Filter processes' }).fill('937.5');
  const sleep = tree.getByRole('row').filter({ hasText: 'sleep 937.5' }).filter({ hasNotText: 'then' });
  await expect(sleep).toHaveCount(1, { timeout: 10_000 });
  const level = Number(await sleep.getAttribute('aria-level'));
  expect(level).toBeGreaterThanOrEqual(5);
  const pid = (await sleep.getAttribute('data-pid'))!;
  const cell = sleep.getByRole('gridcell').first();
  await expect(cell).toContainText(pid);
  // Not cut: the cell is as wide as its text.
  expect(await cell.evaluate((node) => node.scrollWidth <= node.clientWidth)).toBe(true);

  const count = page.getByRole('status', { name: 'Process count' });
  await expect(count).toHaveText(/shown of/);
  const [shown, total] = /([\d,]+) shown of ([\d,]+)/
    .exec((await count.textContent())!)!
    .slice(1)
    .map((text) => Number(text.replaceAll(',', '')));
  expect(shown).toBeLessThanOrEqual(total!);
});
