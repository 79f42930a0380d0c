import { execFileSync } from 'node:child_process';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';

const panel = (page: Page) => page.getByRole('tabpanel');
const runsList = (page: Page) => page.getByRole('list', { name: 'Runs' });

async function runExample(page: Page, title: RegExp) {
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: 'Examples' }).click();
  await page.getByRole('button', { name: title }).click();
  // It opens the run it started.
  await expect(
    page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: /^Runs/ }),
  ).toHaveAttribute('aria-current', 'page');
}

/** The pid shown in the run panel's header. */
async function shownPid(page: Page): Promise<number> {
  const facts = page.getByRole('article').locator('.facts');
  await expect(facts).toContainText(/pid \d+/);
  return Number(/pid (\d+)/.exec((await facts.textContent()) ?? '')![1]);
}

function hasProgram(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

test('every example is listed with its concept, summary and Python source', async ({ app: _app, page }) => {
  await page.getByRole('button', { name: 'Examples' }).click();
  for (const title of [
    /^Run 1 · fork/,
    /^Run 2 · Process/,
    /^Run 4a · subprocess\.call/,
    /^Run 4a · the real nslookup/,
    /^Run 4b · Popen \+ communicate/,
    /^Run 4b · the real nslookup/,
  ]) {
    await expect(page.getByRole('button', { name: title })).toBeVisible();
  }
  const fork = page.getByRole('article', { name: /1 · fork/ });
  await expect(fork).toContainText('os.fork()');
  await fork.getByText('Python source').click();
  await expect(fork.locator('pre')).toContainText('os.fork()');
});

test('1 · fork: the parent and its child, with both pids and the link between them', async ({
  app: _app,
  page,
}) => {
  await runExample(page, /^Run 1 · fork: one process becomes two/);
  await expect(page.getByText(/Exit code 0:\s*success/)).toBeVisible();
  const parentPid = await shownPid(page);
  await expect(panel(page)).toContainText(`Process (${parentPid}) start...`);
  const created = /just created a child process \((\d+)\)/.exec((await panel(page).textContent()) ?? '');
  await expect(panel(page)).toContainText(/My child \d+ exited with code 0\./);
  expect(created).not.toBeNull();
  const childPid = Number(created![1]);

  // The child sits under its parent in the list; opening it shows its own output and the link back.
  const children = runsList(page).getByRole('list', { name: /^Started by fork-demo\.js#parent/ });
  const child = children.getByRole('button', { name: new RegExp(`pid ${childPid}`) });
  await expect(child).toBeVisible();
  await child.click();
  await expect(panel(page)).toContainText(`I am child process (${childPid}) and my parent is ${parentPid}.`);
  expect(await shownPid(page)).toBe(childPid);
  const parentLink = page
    .getByRole('article')
    .getByRole('button', { name: new RegExp(`fork-demo\\.js#parent.*pid ${parentPid}`) });
  await expect(parentLink).toBeVisible();
  // The message the child sent back to Forkscope.
  await expect(page.getByRole('list', { name: 'Messages' })).toContainText('from the child');
  await parentLink.click();
  expect(await shownPid(page)).toBe(parentPid);
});

test('2 · Process: the parent joins its child and reports its exit code', async ({ app: _app, page }) => {
  await runExample(page, /^Run 2 · Process: start and join a child/);
  await expect(page.getByText(/Exit code 0:\s*success/)).toBeVisible();
  const parentPid = await shownPid(page);
  await expect(panel(page)).toContainText(`Parent process ${parentPid}.`);
  await expect(panel(page)).toContainText(/Child process end: pid \d+, exit code 0/);
  const childPid = Number(/Child process end: pid (\d+)/.exec((await panel(page).textContent()) ?? '')![1]);

  const child = runsList(page)
    .getByRole('list', { name: /^Started by process-demo\.js#main/ })
    .getByRole('button', { name: new RegExp(`pid ${childPid}`) });
  await child.click();
  await expect(panel(page)).toContainText(`Run child process test (${childPid})...`);
  await expect(page.getByRole('article')).toContainText('child test done');
});

test('4a · subprocess.call (offline twin): its stdout and exit code', async ({ app: _app, page }) => {
  await runExample(page, /^Run 4a · subprocess\.call/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('nslookup www.python.org (offline twin)');
  await expect(page.getByText(/Exit code 0:\s*success/)).toBeVisible();
  expect(await shownPid(page)).toBeGreaterThan(0);
  await expect(panel(page)).toContainText('canonical name = dualstack.python.map.fastly.net.');
  await expect(panel(page)).toContainText('Address: 151.101.0.223');
});

test('4b · Popen + communicate (offline twin): stdin in, stdout and stderr apart', async ({
  app: _app,
  page,
}) => {
  await runExample(page, /^Run 4b · Popen \+ communicate/);
  await expect(page.getByText(/Exit code 0:\s*success/)).toBeVisible();
  expect(await shownPid(page)).toBeGreaterThan(0);
  await page.getByRole('tab', { name: /^stdout/ }).click();
  await expect(panel(page)).toContainText('python.org\tmail exchanger = 50 mail.python.org.');
  await expect(page.getByText('stdin is closed')).toBeVisible();
});

for (const [title, name] of [
  [/^Run 4a · the real nslookup/, '4a'],
  [/^Run 4b · the real nslookup/, '4b'],
] as const) {
  test(`${name} · the real nslookup: runs it, or says clearly that it is not installed`, async ({
    app: _app,
    page,
  }) => {
    await runExample(page, title);
    if (hasProgram('nslookup')) {
      // No network here: it runs and ends one way or another, with its pid and an exit.
      expect(await shownPid(page)).toBeGreaterThan(0);
      await expect(page.getByText(/^Exit (code )?-?\d+/)).toBeVisible({ timeout: 30_000 });
    } else {
      await expect(page.getByRole('alert').filter({ hasText: 'Could not start' })).toContainText(
        'command not found: nslookup (ENOENT). Is it installed and on PATH?',
      );
      // The app goes on: another example runs after it.
      await runExample(page, /^Run 4a · subprocess\.call/);
      await expect(page.getByText(/Exit code 0:\s*success/)).toBeVisible();
    }
  });
}
