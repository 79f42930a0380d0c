import type { Page } from '@playwright/test';
import { connectClient, expect, test } from './fixtures';

/** Opens the launch form, fills it as a person would, launches, and waits for the run's panel. */
async function launch(page: Page, program: string, args: string[] = []) {
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: 'Runs' }).click();
  await page.getByRole('button', { name: 'New run' }).click();
  await page.getByRole('textbox', { name: /^Program/ }).fill(program);
  await page.getByRole('textbox', { name: /^Arguments/ }).fill(args.join('\n'));
  // A multi-line script after -c stays one argument (the form's default).
  await page.getByRole('button', { name: 'Launch' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toContainText(program);
}

// The worker's serve mode is shared with the next files: leave no finished run in their lists.
test.afterAll(async ({ serve }) => {
  const { client, close } = await connectClient(serve);
  try {
    await client.call('runs.clearFinished', {});
  } finally {
    close();
  }
});

const consolePanel = (page: Page) => page.getByRole('tabpanel');
const tab = (page: Page, name: 'Merged' | 'stdout' | 'stderr') =>
  page.getByRole('tab', { name: new RegExp(`^${name}`) });

test('a 30 MB stderr flood leaves the stdout window alone; search says it searched only the window and offers the full log', async ({
  app: _app,
  page,
}) => {
  test.setTimeout(120_000);
  await launch(page, 'python3', [
    '-u',
    '-c',
    [
      'import sys, time',
      'for i in range(1, 6): print(f"first-{i}")',
      'time.sleep(0.5)',
      'tail = "x" * 88 + "\\n"',
      'for i in range(300): sys.stderr.write("".join(f"err-{i:03d}-{n:03d} " + tail for n in range(1000)))',
      'sys.stderr.flush()',
      'print("stdout-last")',
    ].join('\n'),
  ]);
  await expect(page.getByText(/Exit code 0:\s*success/)).toBeVisible({ timeout: 90_000 });
  await expect(tab(page, 'stderr')).toContainText('300,000');

  // The stdout tab still holds its first lines, and search finds them.
  await tab(page, 'stdout').click();
  await expect(consolePanel(page)).toContainText('first-1');
  await expect(consolePanel(page)).toContainText('stdout-last');
  const search = page.getByLabel('Search output');
  await search.fill('first-3');
  await expect(page.getByRole('status').filter({ hasText: /^1\/1$/ })).toBeVisible();
  // All six stdout lines are held: no note that the search missed any.
  await expect(page.getByRole('note', { name: 'Output window' })).toHaveCount(0);

  // stderr keeps its own newest 5,000; a search there says it searched only those.
  await tab(page, 'stderr').click();
  await search.fill('err-000-001 ');
  await expect(page.getByRole('status').filter({ hasText: 'no match' })).toBeVisible();
  const note = page.getByRole('note', { name: 'Output window' });
  await expect(note).toContainText('Searched only the 5,000 lines held here, not all 300,000');
  const download = note.getByRole('link', { name: 'Download the stderr log' });
  const href = await download.getAttribute('href');
  expect(href).toMatch(/^\/logs\/[\w-]+\/stderr\?token=/);
  // The full log has what the window no longer holds.
  const response = await page.request.get(new URL(href!, page.url()).href);
  expect(response.status()).toBe(200);
  const text = await response.text();
  expect(text.length).toBe(300 * 1000 * 101);
  expect(text).toContain('err-000-001 ');
});

test('stdin sent at prompts shows between the outputs: Name? / Ada / Age? / 36 / Ada is 36', async ({
  app: _app,
  page,
}) => {
  await launch(page, 'python3', [
    '-c',
    "name = input('Name? ')\nage = input('Age? ')\nprint(f'{name} is {age}')",
  ]);
  const stdin = page.getByLabel('Text for stdin');
  const send = page.getByRole('button', { name: 'Send', exact: true });
  await expect(consolePanel(page)).toContainText('Name?');
  await stdin.fill('Ada');
  await send.click();
  await expect(consolePanel(page)).toContainText('Age?');
  await stdin.fill('36');
  await send.click();
  await expect(page.getByText(/Exit code 0:\s*success/)).toBeVisible();

  const rows = consolePanel(page).locator('.row');
  await expect(rows).toHaveCount(5);
  const shown = await rows.evaluateAll((elements) =>
    elements.map((row) => [
      row.querySelector('.stream')?.textContent?.trim(),
      row.querySelector('.text')?.textContent?.trim(),
    ]),
  );
  expect(shown).toEqual([
    ['out', 'Name?'],
    ['in', 'Ada'],
    ['out', 'Age?'],
    ['in', '36'],
    ['out', 'Ada is 36'],
  ]);
  // The stdout tab shows the line whole, as the program wrote it.
  await tab(page, 'stdout').click();
  await expect(consolePanel(page)).toHaveText('Name? Age? Ada is 36');
});

test('an uncaught Python exception or Node error is named, with a jump to its report on stderr', async ({
  app: _app,
  page,
}) => {
  await launch(page, 'python3', [
    '-c',
    "import sys\nfor i in range(40): print('working', i)\nprint('a warning first', file=sys.stderr)\nraise ValueError('bad input')",
  ]);
  await expect(
    page.getByText('Python raised an exception (see the traceback on stderr): ValueError: bad input'),
  ).toBeVisible();
  await expect(page.getByText('a general error')).toHaveCount(0);
  await page.getByRole('button', { name: 'Show the traceback' }).click();
  await expect(tab(page, 'stderr')).toHaveAttribute('aria-selected', 'true');
  const current = consolePanel(page).locator('.row.current');
  await expect(current).toHaveText('Traceback (most recent call last):');
  await expect(current).toBeInViewport();

  await launch(page, 'node', ['-e', "console.log('hi')\nthrow new TypeError('boom')"]);
  await expect(
    page.getByText('Node.js ended on an uncaught exception (see the stack trace on stderr): TypeError: boom'),
  ).toBeVisible();
  await page.getByRole('button', { name: 'Show the stack trace' }).click();
  await expect(tab(page, 'stderr')).toHaveAttribute('aria-selected', 'true');
  await expect(consolePanel(page).locator('.row.current')).toHaveText('[eval]:2');
});

test('a multi-line -c script keeps its lines in the heading, the details and the list', async ({
  app: _app,
  page,
}) => {
  await launch(page, 'python3', ['-c', 'a = 6\nb = 7\nprint(a * b)']);
  await expect(page.getByText(/Exit code 0:\s*success/)).toBeVisible();
  const heading = page.getByRole('heading', { level: 1 });
  await expect.poll(() => heading.innerText()).toBe('python3 -c a = 6\nb = 7\nprint(a * b)');
  const details = page.locator('dd.command');
  await expect.poll(() => details.innerText()).toBe("python3 -c 'a = 6\nb = 7\nprint(a * b)'");
  const item = page.getByRole('list', { name: 'Runs' }).locator('button.run').first();
  await expect(item.locator('.label')).toHaveText(/^python3 -c a = 6\s*⏎ \+2 lines$/);
  await expect(item.locator('.label')).toHaveAttribute('title', 'python3 -c a = 6\nb = 7\nprint(a * b)');
});

test('the Runs list is one tab stop with arrow keys; Delete asks before it kills a running run', async ({
  app,
  page,
}) => {
  const { client, close } = await connectClient(app);
  try {
    for (const n of [1, 2]) {
      const run = await client.call('runs.launch', { program: 'true', label: `rove quick ${n}` });
      await client.call('runs.join', { id: run.id, timeoutMs: 10_000 });
    }
    await client.call('runs.launch', { program: 'sleep', args: ['300'], label: 'rove sleeper' });
  } finally {
    close();
  }
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: 'Runs' }).click();
  // Only this test's runs (the file's other tests ran in the same serve mode).
  await page.getByRole('searchbox', { name: 'Search runs' }).fill('rove');
  const list = page.getByRole('list', { name: 'Runs' });
  const items = list.locator('button.run');
  await expect(items).toHaveCount(3);
  // One tab stop: exactly one item takes Tab.
  await expect(list.locator('button.run[tabindex="0"]')).toHaveCount(1);
  await expect(list.locator('button.run[tabindex="-1"]')).toHaveCount(2);

  // Tab from the list's filter lands on the list once; the next Tab leaves it.
  await page.getByRole('checkbox', { name: 'Hide finished' }).focus();
  await page.keyboard.press('Tab');
  await expect(items.first()).toBeFocused();
  await expect(items.first()).toContainText('sleeper');
  await page.keyboard.press('Tab');
  const inList = await page.evaluate(() => document.activeElement?.closest('ul[aria-label="Runs"]') !== null);
  expect(inList).toBe(false);

  // Arrow keys move; the stop follows the focus, so Shift+Tab comes back to the same run.
  await items.first().focus();
  await page.keyboard.press('ArrowDown');
  await expect(items.nth(1)).toBeFocused();
  await expect(items.nth(1)).toHaveAttribute('tabindex', '0');
  await expect(items.first()).toHaveAttribute('tabindex', '-1');
  await page.keyboard.press('End');
  await expect(items.nth(2)).toBeFocused();
  await page.keyboard.press('Home');
  await expect(items.first()).toBeFocused();

  // Delete on a finished run does nothing; on the running one it asks first.
  await items.nth(1).focus();
  await page.keyboard.press('Delete');
  await expect(page.getByRole('alertdialog')).toHaveCount(0);
  await items.first().focus();
  await page.keyboard.press('Delete');
  const dialog = page.getByRole('alertdialog', { name: 'Kill this run?' });
  await expect(dialog).toContainText('sleeper');
  await expect(dialog.getByRole('button', { name: 'Cancel' })).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);
  await expect(items.first()).toBeFocused();
  await expect(items.first()).toContainText('running');

  await page.keyboard.press('Delete');
  await dialog.getByRole('button', { name: 'Kill' }).click();
  await expect(items.first()).toContainText('SIGKILL (-9)');
});
