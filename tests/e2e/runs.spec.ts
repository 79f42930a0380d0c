import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import type { Page } from '@playwright/test';
import type { LaunchParams } from '../../contract';
import type { ServeProcess } from '../support/serve';
import { connectClient, expect, test } from './fixtures';

/** Opens the launch form, fills it as a person would, launches, and waits for the run's panel. */
async function launch(page: Page, program: string, args: string[] = []) {
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: 'Runs' }).click();
  await page.getByRole('button', { name: 'New run' }).click();
  await page.getByLabel('Program').fill(program);
  await page.getByLabel('Arguments').fill(args.join('\n'));
  await page.getByRole('button', { name: 'Launch' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(
    [program, ...args].join(' ').slice(0, 120),
  );
}

const consolePanel = (page: Page) => page.getByRole('tabpanel');
const tab = (page: Page, name: 'Merged' | 'stdout' | 'stderr') =>
  page.getByRole('tab', { name: new RegExp(`^${name}`) });

test('a command’s stdout and stderr apart, and its exit code explained', async ({ app: _app, page }) => {
  await launch(page, 'python3', [
    '-c',
    "import sys; print('out'); print('err', file=sys.stderr); sys.exit(3)",
  ]);

  await expect(page.getByText(/Exit code 3:\s*failed with exit code 3/)).toBeVisible();
  await expect(tab(page, 'Merged')).toHaveAttribute('aria-selected', 'true');
  await expect(consolePanel(page)).toContainText('out');
  await expect(consolePanel(page)).toContainText('err');

  await tab(page, 'stdout').click();
  await expect(tab(page, 'stdout')).toHaveAttribute('aria-selected', 'true');
  await expect(consolePanel(page)).toHaveText('out');

  await tab(page, 'stderr').click();
  await expect(consolePanel(page)).toHaveText('err');

  // The list shows it with its exit badge.
  await expect(
    page.getByRole('list', { name: 'Runs' }).getByRole('button', { name: /python3 -c/ }),
  ).toContainText('exit 3');
});

test('stdin: send three lines to sort, close stdin, see them sorted', async ({ app: _app, page }) => {
  await launch(page, 'sort');
  await expect(page.getByText('running', { exact: true }).first()).toBeVisible();

  const stdin = page.getByLabel('Text for stdin');
  await stdin.fill('banana\ncherry\napple');
  await page.getByRole('button', { name: 'Send', exact: true }).click();
  await expect(stdin).toHaveValue('');
  await page.getByRole('button', { name: 'Close stdin' }).click();

  await expect(page.getByText(/Exit code 0:\s*success/)).toBeVisible();
  await tab(page, 'stdout').click();
  await expect(consolePanel(page)).toHaveText(/^\s*apple\s*banana\s*cherry\s*$/);
  await expect(page.getByText('stdin is closed')).toBeVisible();
});

test('an interactive program: its prompt shows before the newline, the answer goes to stdin', async ({
  app: _app,
  page,
}) => {
  await launch(page, 'python3', ['-c', "name = input('Name? '); print('Hello, ' + name + '!')"]);
  await expect(consolePanel(page)).toContainText('Name?');
  await page.getByLabel('Text for stdin').fill('Ada');
  await page.getByRole('button', { name: 'Send', exact: true }).click();
  await expect(page.getByText(/Exit code 0:\s*success/)).toBeVisible();
  // Merged shows the answer where it was sent, after the prompt; stdout has the line whole.
  await expect(consolePanel(page).locator('.row')).toHaveText([
    /^\s*out\s+Name\?\s*$/,
    /^\s*in\s+Ada\s*$/,
    /^\s*out\s+Hello, Ada!\s*$/,
  ]);
  await tab(page, 'stdout').click();
  await expect(consolePanel(page)).toContainText('Name? Hello, Ada!');
});

test('Terminate stops a sleeping command with SIGTERM, explained', async ({ app: _app, page }) => {
  await launch(page, 'sleep', ['100']);
  const terminate = page.getByRole('button', { name: 'Terminate' });
  await expect(terminate).toBeEnabled();
  await terminate.click();

  await expect(
    page.getByText(/Exit -15 \(SIGTERM\):\s*asked to stop \(SIGTERM\) by Terminate/),
  ).toBeVisible();
  await expect(
    page.getByRole('list', { name: 'Runs' }).getByRole('button', { name: /sleep 100/ }),
  ).toContainText('SIGTERM (-15)');
  await expect(terminate).toBeDisabled();
  await expect(page.getByRole('button', { name: 'Kill' })).toBeDisabled();
});

test('Kill stops a command with SIGKILL; a timeout stops it too, each explained', async ({
  app: _app,
  page,
}) => {
  await launch(page, 'sleep', ['200']);
  await page.getByRole('button', { name: 'Kill' }).click();
  await expect(
    page.getByText(/Exit -9 \(SIGKILL\):\s*killed outright \(SIGKILL cannot be caught\) by Kill/),
  ).toBeVisible();

  await page.getByRole('button', { name: 'New run' }).click();
  await page.getByLabel('Program').fill('sleep');
  await page.getByLabel('Arguments').fill('300');
  await page.getByLabel('Timeout').fill('0.5');
  await page.getByRole('button', { name: 'Launch' }).click();
  await expect(
    page.getByText(/Exit -9 \(SIGKILL\):\s*killed outright \(SIGKILL cannot be caught\) after its timeout/),
  ).toBeVisible();
});

test('the launch form: environment, working directory, a shell and stdin input', async ({
  app: _app,
  page,
}) => {
  await page.getByRole('button', { name: 'New run' }).click();
  await page.getByLabel('Program').fill('echo "$GREETING in $(pwd)" && cat && echo "${HOME:-no home}"');
  await page.getByLabel('Environment').fill('GREETING=hello there\n-HOME');
  await page.getByLabel('Working directory').fill('/tmp');
  await page.getByLabel('Stdin input').fill('piped in\n');
  await expect(page.getByLabel('Close stdin after input')).toBeChecked();
  await expect(page.getByLabel('Use a shell')).not.toBeChecked();
  await page.getByLabel('Use a shell').check();
  await page.getByRole('button', { name: 'Launch' }).click();

  await expect(page.getByText(/Exit code 0:\s*success/)).toBeVisible();
  await tab(page, 'stdout').click();
  await expect(consolePanel(page)).toHaveText(/^\s*hello there in \/tmp\s*piped in\s*no home\s*$/);
  await expect(page.getByRole('article')).toContainText('(through a shell)');

  // A malformed environment line is named before anything runs.
  await page.getByRole('button', { name: 'New run' }).click();
  await page.getByLabel('Environment').fill('not a pair');
  await page.getByRole('button', { name: 'Launch' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'Environment line 1' })).toBeVisible();
});

test('a missing program is a clear “command not found”, and the app keeps working', async ({
  app: _app,
  page,
}) => {
  await launch(page, 'no-such-program');
  const failure = page.getByRole('alert').filter({ hasText: 'Could not start' });
  await expect(failure).toContainText('command not found: no-such-program (ENOENT)');
  await expect(failure).toContainText('command-not-found');
  await expect(
    page.getByRole('list', { name: 'Runs' }).getByRole('button', { name: /no-such-program/ }),
  ).toContainText('failed');

  await launch(page, 'echo', ['still', 'working']);
  await expect(consolePanel(page)).toContainText('still working');
  await expect(page.getByText(/Exit code 0:\s*success/)).toBeVisible();
});

test('a bad launch is reported in the alert region, not swallowed', async ({ app: _app, page }) => {
  await page.getByRole('button', { name: 'New run' }).click();
  await page.getByLabel('Program').fill('true');
  await page.getByLabel('Working directory').fill('/no/such/directory');
  await page.getByRole('button', { name: 'Launch' }).click();
  const alert = page.getByRole('alert').filter({ hasText: 'Launch failed' });
  await expect(alert).toContainText('/no/such/directory');
  await page.getByRole('button', { name: 'Dismiss: Launch failed' }).click();
  await expect(alert).toHaveCount(0);
});

test('100 MB of output: the UI stays responsive and says it holds a window of a larger log', async ({
  app: _app,
  page,
}) => {
  test.setTimeout(180_000);
  // Two floods of 50 MB (500,000 lines of 100 bytes each). Between them it waits for a line on
  // stdin, and after them for stdin to close: the interactions below happen while it runs, and
  // the second flood comes in while the test is clicking and typing.
  const script = [
    'import sys',
    "block = ('y' * 99 + '\\n') * 100_000",
    '[sys.stdout.write(block) for _ in range(5)]',
    "print('half', flush=True)",
    'sys.stdin.readline()',
    '[sys.stdout.write(block) for _ in range(5)]',
    "print('the end', flush=True)",
    'sys.stdin.read()',
    "print('bye')",
  ].join('; ');
  await launch(page, 'python3', ['-c', script]);
  await expect(page.getByRole('button', { name: 'Terminate' })).toBeEnabled();
  const notice = page.getByRole('note');
  const stdin = page.getByLabel('Text for stdin');

  // Click, type and switch tabs while the first flood comes in.
  await tab(page, 'stderr').click();
  await expect(tab(page, 'stderr')).toHaveAttribute('aria-selected', 'true');
  await tab(page, 'stdout').click();
  await expect(tab(page, 'stdout')).toHaveAttribute('aria-selected', 'true');
  await page.getByLabel('Timestamps').check();
  await expect(page.getByLabel('Timestamps')).toBeChecked();
  await expect(notice).toContainText('Showing the last 5,000 of 500,001 lines', { timeout: 60_000 });
  await expect(consolePanel(page)).toContainText('half');

  // Start the second flood, and keep using the page while it comes.
  await stdin.fill('go');
  await page.getByRole('button', { name: 'Send', exact: true }).click();
  await tab(page, 'Merged').click();
  await expect(tab(page, 'Merged')).toHaveAttribute('aria-selected', 'true');
  await page.getByLabel('Search output').fill('the end');
  await expect(page.getByLabel('Search output')).toHaveValue('the end');
  await stdin.fill('typed while it floods');
  await expect(stdin).toHaveValue('typed while it floods');
  await stdin.fill('');

  // A search says it searched only the window of a larger log.
  await expect(notice).toContainText('Searched only the 5,000 lines held here, not all 1,000,002', {
    timeout: 120_000,
  });
  await expect(page.getByRole('status').filter({ hasText: '1/1' })).toBeVisible();
  await page.getByLabel('Only matches').check();
  await expect(consolePanel(page).locator('mark')).toHaveText('the end');
  await page.getByLabel('Search output').fill('');
  // Only the rows in view are in the DOM, however many lines are held.
  expect(await consolePanel(page).locator('.row').count()).toBeLessThan(200);

  await page.getByRole('button', { name: 'Close stdin' }).click();
  await expect(page.getByText(/Exit code 0:\s*success/)).toBeVisible({ timeout: 60_000 });
  await expect(notice).toContainText('Showing the last 5,000 of 1,000,003 lines');
  await expect(consolePanel(page)).toContainText('bye');

  // The notice names the full log, and the log on disk has every byte.
  const logPath = (await notice.locator('code').first().textContent())!.trim();
  expect(logPath).toMatch(/stdout\.log$/);
  expect(statSync(logPath).size).toBe(
    100 * 1_000_000 + 'half\n'.length + 'the end\n'.length + 'bye\n'.length,
  );
});

test('search highlights matches and follow-tail stops when scrolling up', async ({ app: _app, page }) => {
  await launch(page, 'python3', [
    '-c',
    "for i in range(2000): print(f'line {i}', '\\x1b[31mred\\x1b[0m' if i == 7 else '')",
  ]);
  await expect(page.getByText(/Exit code 0:\s*success/)).toBeVisible();
  const panel = consolePanel(page);
  await expect(panel).toContainText('line 1999');
  await expect(page.getByLabel('Follow tail')).toBeChecked();

  // Only the visible rows are in the DOM.
  expect(await panel.locator('.row').count()).toBeLessThan(200);

  await panel.hover();
  await page.mouse.wheel(0, -2000);
  await expect(page.getByLabel('Follow tail')).not.toBeChecked();

  await page.getByLabel('Search output').fill('line 7');
  await expect(page.getByRole('status').filter({ hasText: '1/111' })).toBeVisible();
  await page.getByLabel('Search output').press('Enter');
  await expect(page.getByRole('status').filter({ hasText: '2/111' })).toBeVisible();
  await expect(panel.locator('.row.current mark')).toHaveText('line 7');
  await expect(panel.locator('.row.current')).toContainText('line 70');

  await page.getByLabel('Search output').fill('red');
  await expect(page.getByRole('status').filter({ hasText: '1/1' })).toBeVisible();
  await expect(panel.locator('.row.current')).toHaveText(/line 7 red/);
  // ANSI colours are rendered as classes, never as raw escape codes.
  await page.getByLabel('Search output').fill('');
  await expect(panel.locator('.ansi-red-fg')).toHaveText('red');
  await expect(panel).not.toContainText('\x1b[');
});

/** Runs `params` to its end before the page loads (no live events reach the page), then shows it. */
async function showRunFromBefore(app: ServeProcess, page: Page, params: LaunchParams & { label: string }) {
  const { client, close } = await connectClient(app);
  try {
    const run = await client.call('runs.launch', params);
    await client.call('runs.join', { id: run.id, timeoutMs: 30_000 });
  } finally {
    close();
  }
  await page.reload();
  await page.getByRole('list', { name: 'Runs' }).getByRole('button', { name: params.label }).click();
}

test('a run started before the page opened is back-filled when shown', async ({ app, page }) => {
  await showRunFromBefore(app, page, { program: 'seq', args: ['1', '8000'], label: 'seq before the page' });
  await expect(page.getByRole('note')).toContainText('Showing the last 5,000 of 8,000 lines');
  await expect(consolePanel(page)).toContainText('8000');
  await page.getByLabel('Search output').fill('3001');
  await expect(page.getByRole('status').filter({ hasText: '1/1' })).toBeVisible();
  await page.getByLabel('Search output').fill('3000');
  await expect(page.getByRole('status').filter({ hasText: 'no match' })).toBeVisible();
});

test('long lines: held as their heads, marked as continued in the log, back-filled page by page', async ({
  app,
  page,
}) => {
  // 300 lines of 20 KB: more line text than one answer may hold, so the back-fill takes pages.
  await showRunFromBefore(app, page, {
    program: 'python3',
    args: ['-c', "import sys\nfor i in range(1, 301): sys.stdout.write('L%05d' % i + 'x' * 19993 + '\\n')"],
    label: 'long lines before the page',
  });
  await expect(consolePanel(page)).toContainText('L00300');
  await expect(consolePanel(page)).toContainText('… line continues in the log (3,615 bytes)');
  for (const wanted of ['L00001', 'L00150', 'L00300']) {
    await page.getByLabel('Search output').fill(wanted);
    await expect(page.getByRole('status').filter({ hasText: '1/1' })).toBeVisible();
  }
});

test('light and dark themes: a toggle that says what it switches to, and is remembered', async ({
  app,
  page,
}) => {
  const toggle = page.getByRole('button', { name: /^Switch to (light|dark) theme$/ });
  const before = (await page.locator('html').getAttribute('data-theme'))!;
  const other = before === 'dark' ? 'light' : 'dark';
  await expect(toggle).toHaveText(new RegExp(`Switch to ${other} theme$`));
  await toggle.click();
  await expect(page.locator('html')).toHaveAttribute('data-theme', other);
  await expect(toggle).toHaveText(new RegExp(`Switch to ${before} theme$`));
  // Native controls (selects, scrollbars) follow the theme.
  expect(await page.evaluate(() => getComputedStyle(document.documentElement).colorScheme)).toBe(other);
  await page.goto(app.url);
  await page.reload();
  await expect(page.locator('html')).toHaveAttribute('data-theme', other);
  await expect(page.getByRole('button', { name: `Switch to ${before} theme` })).toBeVisible();
  await page.getByRole('button', { name: 'Follow system' }).click();
  await expect(page.getByRole('status', { name: 'Connection' })).toContainText('Connected');
});

test('stdin: an empty Send is a newline, text is sent as typed, and what was sent is echoed', async ({
  app: _app,
  page,
}) => {
  await launch(page, 'python3', ['-u', '-c', 'import sys\nfor line in sys.stdin:\n    print(repr(line))']);
  const stdin = page.getByLabel('Text for stdin');
  const send = page.getByRole('button', { name: 'Send', exact: true });
  await expect(send).toBeEnabled();
  await send.click();
  await expect(consolePanel(page)).toContainText("'\\n'");

  // A trailing newline typed in the box is kept: two lines go.
  await stdin.fill('a\n');
  await stdin.press('Control+Enter');
  await expect(stdin).toHaveValue('');
  await expect(consolePanel(page)).toContainText("'a\\n'");
  // Ctrl+Enter in an empty box sends a newline too.
  await stdin.press('Control+Enter');
  await expect(consolePanel(page).locator('.row.stdout')).toHaveCount(4);

  // What was sent shows as dim `in` rows, only in the merged view.
  const echoes = consolePanel(page).locator('.row.stdin');
  await expect(echoes).toHaveCount(4);
  await expect(echoes.nth(1).locator('.stream')).toHaveText('in');
  await expect(echoes.nth(1)).toContainText('a');
  await tab(page, 'stdout').click();
  await expect(consolePanel(page).locator('.row.stdin')).toHaveCount(0);
  await page.getByRole('button', { name: 'Close stdin' }).click();
  await expect(page.getByText(/Exit code 0:\s*success/)).toBeVisible();
});

test('“Only matches” with Follow tail on shows the matches at once', async ({ app: _app, page }) => {
  await launch(page, 'seq', ['1', '200000']);
  await expect(page.getByText(/Exit code 0:\s*success/)).toBeVisible({ timeout: 30_000 });
  await expect(page.getByRole('note')).toContainText('Showing the last 5,000 of 200,000 lines');
  const panel = consolePanel(page);
  await expect(panel).toContainText('200000');
  await page.getByLabel('Search output').fill('19999');
  await expect(page.getByRole('status').filter({ hasText: '1/10' })).toBeVisible();
  await page.getByLabel('Follow tail').check();
  await expect(panel).toContainText('200000');
  await page.getByLabel('Only matches').check();
  await expect(panel.locator('.row')).toHaveCount(10);
  await expect(panel.locator('.row mark').first()).toBeInViewport();
  await expect(panel.locator('.row').last()).toContainText('199999');
  await expect(page.getByLabel('Follow tail')).toBeChecked();
});

test('Kill stays available while Terminate waits out its grace period', async ({ app: _app, page }) => {
  await launch(page, 'python3', [
    '-u',
    '-c',
    "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('ready'); time.sleep(100)",
  ]);
  await expect(consolePanel(page)).toContainText('ready');
  await page.getByRole('button', { name: 'Terminate' }).click();
  await expect(
    page.getByRole('status').filter({ hasText: /terminating… \(SIGKILL in \d s\)/ }),
  ).toBeVisible();
  await expect(page.getByRole('button', { name: 'Terminate' })).toBeDisabled();
  const kill = page.getByRole('button', { name: 'Kill', exact: true });
  await expect(kill).toBeEnabled();
  await kill.click();
  await expect(page.getByText(/Exit -9 \(SIGKILL\)/)).toBeVisible();
  await expect(page.getByRole('status').filter({ hasText: 'terminating…' })).toHaveCount(0);
});

test('the page without its token says so, instead of retrying forever', async ({ app, page }) => {
  await page.goto(`${app.origin}/`);
  const alert = page.getByRole('alert').filter({ hasText: 'This page needs the token' });
  await expect(alert).toContainText('#token=');
  await expect(page.getByRole('status', { name: 'Connection' })).toContainText('Not authorized');
  await expect(page.getByText('Loading runs…')).toHaveCount(0);

  // A token the server refuses (serve mode restarted with a new one) is named too.
  await page.goto(`${app.origin}/#token=not-the-token`);
  await page.waitForLoadState('load');
  await expect(alert).toContainText('was refused');

  // With the right token, it connects.
  await page.goto(app.url);
  await page.waitForLoadState('load');
  await expect(page.getByRole('status', { name: 'Connection' })).toContainText('Connected');
  await expect(alert).toHaveCount(0);
});

test('a multi-line python3 -c script stays one argument, and Re-run launches it again', async ({
  app: _app,
  page,
}) => {
  await page.getByRole('button', { name: 'New run' }).click();
  await page.getByLabel('Program').fill('python3');
  await page.getByLabel('Arguments').fill('-c\nfor i in range(2):\n    print("row", i)');
  await expect(page.getByLabel('Lines after -c/-e are one script')).toBeChecked();
  await page.getByRole('button', { name: 'Launch' }).click();
  await expect(page.getByText(/Exit code 0:\s*success/)).toBeVisible();
  await expect(consolePanel(page)).toHaveText(/^\s*out\s*row 0\s*out\s*row 1\s*$/);

  const runsList = page.getByRole('list', { name: 'Runs' });
  const before = await runsList.getByRole('button', { name: /python3 -c/ }).count();
  await page.getByRole('button', { name: 'Re-run' }).click();
  await expect(runsList.getByRole('button', { name: /python3 -c/ })).toHaveCount(before + 1);
  await expect(page.getByText(/Exit code 0:\s*success/)).toBeVisible();
  await expect(consolePanel(page)).toContainText('row 1');
});

test('serve mode prints its usage for --help, and for an unknown option', () => {
  const help = spawnSync(process.execPath, ['out/main/serve.js', '--help'], { encoding: 'utf8' });
  expect(help.status).toBe(0);
  expect(help.stdout).toContain('--port N');
  expect(help.stdout).toContain('--host H');
  expect(help.stdout).toContain('--log-dir DIR');
  const unknown = spawnSync(process.execPath, ['out/main/serve.js', '--nope'], { encoding: 'utf8' });
  expect(unknown.status).toBe(2);
  expect(unknown.stderr).toContain("Unknown option '--nope'");
  expect(unknown.stderr).toContain('--port N');
  expect(unknown.stderr).not.toMatch(/\n\s+at /);
});
