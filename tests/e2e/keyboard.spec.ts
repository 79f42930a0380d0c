import { spawn } from 'node:child_process';
import type { Page } from '@playwright/test';
import { childrenKilledAfterEach, connectClient, expect, test } from './fixtures';

/** Only processes started here are ever signalled by this file. */
const started = childrenKilledAfterEach();

const focusedRole = (page: Page) =>
  page.evaluate(() => document.activeElement?.getAttribute('role') ?? document.activeElement?.tagName);

/** Presses Tab until the focus is on a row of the process table (at most `limit` times). */
async function tabToGrid(page: Page, limit = 20): Promise<number> {
  for (let presses = 1; presses <= limit; presses++) {
    await page.keyboard.press('Tab');
    if ((await focusedRole(page)) === 'row') return presses;
  }
  throw new Error('Tab never reached the process table');
}

test('keyboard only: launch a run and read its output, switch views, signal a process, open help', async ({
  app: _app,
  page,
}) => {
  // Launch: g r, n puts the cursor in the form, Ctrl+Enter launches.
  await page.locator('body').press('g');
  await page.keyboard.press('r');
  await expect(page.getByRole('main', { name: 'Runs' })).toBeVisible();
  await page.keyboard.press('n');
  const program = page.getByLabel('Program');
  await expect(program).toBeFocused();
  await page.keyboard.type('sh');
  await page.keyboard.press('Tab');
  await expect(page.getByLabel('Arguments')).toBeFocused();
  await page.keyboard.type('-c\necho hello-from-the-keyboard');
  await page.keyboard.press('Control+Enter');
  await expect(page.getByRole('tabpanel')).toContainText('hello-from-the-keyboard');

  // Switch views with g + a letter; each moves the focus to the view.
  for (const [key, name] of [
    ['e', 'Examples'],
    ['p', 'Pools'],
    ['q', 'Queues'],
    ['s', 'System'],
  ] as const) {
    await page.keyboard.press('g');
    await page.keyboard.press(key);
    await expect(page.getByRole('main', { name })).toBeFocused();
  }

  // System: / searches; the table is one tab stop; arrows move the selection; k signals.
  const sleeps = Array.from({ length: 3 }, () =>
    spawn('sleep', ['917.25'], { stdio: 'ignore', detached: true }),
  );
  started.push(...sleeps);
  await page.keyboard.press('/');
  const filter = page.getByRole('searchbox', { name: 'Filter processes' });
  await expect(filter).toBeFocused();
  await page.keyboard.type('917.25');
  const grid = page.getByRole('grid', { name: 'Processes' });
  const rows = grid.getByRole('row').filter({ hasText: 'sleep 917.25' });
  await expect(rows).toHaveCount(3);
  await expect(grid.locator('[role="row"][tabindex="0"]')).toHaveCount(1);
  await tabToGrid(page);
  const first = await page.evaluate(() => document.activeElement?.getAttribute('data-pid'));
  // Tab again leaves the table at once: it is one stop, not one per row.
  await page.keyboard.press('Tab');
  expect(await focusedRole(page)).not.toBe('row');
  await page.keyboard.press('Shift+Tab');
  expect(await focusedRole(page)).toBe('row');
  await page.keyboard.press('ArrowDown');
  const second = await page.evaluate(() => document.activeElement?.getAttribute('data-pid'));
  expect(second).not.toBe(first);
  await expect(grid.locator(`[data-pid="${second}"]`)).toHaveAttribute('aria-selected', 'true');
  await expect(grid.locator('[role="row"][tabindex="0"]')).toHaveAttribute('data-pid', second!);
  const details = page.getByRole('region', { name: 'Process details' });
  await expect(details.getByRole('heading', { name: `sleep pid ${second}` })).toBeVisible();

  await page.keyboard.press('k');
  const dialog = page.getByRole('dialog', { name: `Send a signal to sleep (pid ${second})` });
  await expect(dialog.getByRole('combobox', { name: 'Signal' })).toBeFocused();
  await dialog.getByRole('combobox', { name: 'Signal' }).selectOption('STOP');
  await page.keyboard.press('Tab'); // the whole-tree box
  await page.keyboard.press('Tab'); // Send SIGSTOP
  await expect(dialog.getByRole('button', { name: 'Send SIGSTOP' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(details.getByRole('status', { name: 'Signal sent' })).toContainText(
    `SIGSTOP sent to sleep (pid ${second}).`,
  );
  // The details follow the signal: the state they explain is the new one.
  await expect(details).toContainText(/T — stopped/, { timeout: 10_000 });
  await expect(grid.locator(`[data-pid="${second}"] .state`)).toHaveText('T');

  // Delete opens the same dialog with SIGKILL chosen: nothing is sent before Send.
  await expect(page.locator(`[data-pid="${second}"]`)).toBeFocused();
  await page.keyboard.press('Delete');
  await expect(dialog.getByRole('combobox', { name: 'Signal' })).toHaveValue('KILL');
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  expect(() => process.kill(Number(second), 0)).not.toThrow();

  // t switches to the tree, > sorts by the next column, Space pauses (from the table too).
  await expect(page.locator(`[data-pid="${second}"]`)).toBeFocused();
  await page.keyboard.press('t');
  await expect(page.getByRole('treegrid', { name: 'Process tree' })).toBeVisible();
  // Sorted by CPU at first; the column after it is Memory (largest first).
  await page.keyboard.press('>');
  await expect(page.getByRole('columnheader', { name: 'Sort by Memory' })).toHaveAttribute(
    'aria-sort',
    'descending',
  );
  await page.keyboard.press(' ');
  await expect(page.getByRole('button', { name: 'Resume' })).toHaveAttribute('aria-pressed', 'true');
  await page.keyboard.press(' ');
  await expect(page.getByRole('button', { name: 'Pause' })).toHaveAttribute('aria-pressed', 'false');

  // ? lists every shortcut; Esc closes it and gives the focus back.
  await page.keyboard.press('?');
  const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
  await expect(help).toBeFocused();
  for (const keys of ['?', 'g', '/', 'F5', 't', 'F9', 'k', 'F6', '>', 'Space', 'Delete', 'Ctrl+Enter']) {
    await expect(
      help.locator('kbd', { hasText: new RegExp(`^${keys.replace(/[?+/]/g, '\\$&')}$`) }).first(),
    ).toBeVisible();
  }
  await page.keyboard.press('Escape');
  await expect(help).toBeHidden();
});

test('single keys do nothing while typing in a field; F-keys and Ctrl+Enter still work there', async ({
  app: _app,
  page,
}) => {
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: 'System' }).click();
  const filter = page.getByRole('searchbox', { name: 'Filter processes' });
  await filter.click();
  await page.keyboard.type('gk/t?');
  await expect(filter).toHaveValue('gk/t?');
  await expect(page.getByRole('grid', { name: 'Processes' })).toBeVisible();
  await expect(page.getByRole('dialog', { name: 'Keyboard shortcuts' })).toBeHidden();
  await page.keyboard.press('F5');
  await expect(page.getByRole('treegrid', { name: 'Process tree' })).toBeVisible();
});

test('New run puts the cursor in the form; placeholders cannot be taken for values', async ({
  app: _app,
  page,
}) => {
  await page.getByRole('button', { name: 'New run' }).click();
  await expect(page.getByLabel('Program')).toBeFocused();
  const form = page.getByRole('form', { name: 'New run' });
  for (const field of await form.locator('[placeholder]').all()) {
    expect(await field.getAttribute('placeholder')).toMatch(/^e\.g\. /);
    const style = await field.evaluate((node) => {
      const placeholder = getComputedStyle(node, '::placeholder');
      return {
        fontStyle: placeholder.fontStyle,
        color: placeholder.color,
        value: getComputedStyle(node).color,
      };
    });
    expect(style.fontStyle).toBe('italic');
    expect(style.color).not.toBe(style.value);
  }
  await expect(form.getByText('required: the program to start')).toBeVisible();
});

test('the Runs list filters by label or pid and hides finished runs', async ({ app, page }) => {
  const { client, close } = await connectClient(app);
  try {
    const done = await client.call('runs.launch', { program: 'true', args: [], label: 'finished-alpha' });
    await client.call('runs.join', { id: done.id, timeoutMs: 30_000 });
    await client.call('runs.launch', { program: 'sleep', args: ['30'], label: 'running-beta' });
    await client.call('runs.launch', { program: 'sleep', args: ['30'], label: 'running-gamma' });
  } finally {
    close();
  }
  await page.reload();
  const list = page.getByRole('list', { name: 'Runs' });
  await expect(list.getByRole('button', { name: /running-gamma/ })).toBeVisible();
  await page.locator('body').press('/');
  const search = page.getByRole('searchbox', { name: 'Search runs' });
  await expect(search).toBeFocused();
  await page.keyboard.type('beta');
  await expect(list.getByRole('button')).toHaveCount(1);
  await expect(list.getByRole('button', { name: /running-beta/ })).toBeVisible();
  await expect(page.getByRole('status').filter({ hasText: 'shown' })).toHaveText(/^1 of \d+ shown$/);
  await search.fill('');
  await page.getByRole('checkbox', { name: 'Hide finished' }).check();
  await expect(list.getByRole('button', { name: /finished-alpha/ })).toBeHidden();
  await expect(list.getByRole('button', { name: /running-/ })).toHaveCount(2);
  await search.fill('zzz-nothing');
  await expect(page.getByText('No run matches.')).toBeVisible();
});

test('“What am I looking at?” explains each view and opens its seed program', async ({ app: _app, page }) => {
  const sections = page.getByRole('navigation', { name: 'Sections' });
  for (const [view, example] of [
    ['Runs', 'Popen + communicate'],
    ['Examples', 'fork: one process becomes two'],
    ['Pools', 'Pool(4): five tasks on four workers'],
    ['Queues', 'Queue: a writer and a reader'],
    ['System', 'fork'],
  ] as const) {
    await sections.getByRole('button', { name: view }).click();
    await page.getByRole('button', { name: 'What am I looking at?' }).click();
    const panel = page.getByRole('region', { name: 'What am I looking at?' });
    await expect(panel).toBeVisible();
    expect((await panel.locator('p').first().innerText()).length).toBeGreaterThan(120);
    await expect(
      panel.getByRole('button', { name: new RegExp(example.replace(/[()+]/g, '\\$&')) }),
    ).toBeVisible();
  }
  // From Pools, the link opens the Pool example with its Python source.
  await sections.getByRole('button', { name: 'Pools' }).click();
  await page.getByRole('button', { name: 'What am I looking at?' }).click();
  await page.getByRole('button', { name: /Pool\(4\): five tasks on four workers/ }).click();
  const heading = page.getByRole('heading', { name: '3 · Pool(4): five tasks on four workers' });
  await expect(heading).toBeFocused();
  await expect(
    page.getByRole('article', { name: '3 · Pool(4): five tasks on four workers' }).locator('details'),
  ).toHaveAttribute('open', '');
});
