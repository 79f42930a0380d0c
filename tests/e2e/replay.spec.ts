import { readFileSync } from 'node:fs';
import type { Page } from '@playwright/test';
import { reportOf } from '../cli/run-cli';
import { recordingsFolder, recordSeed } from '../support/recordings';
import { startServe, type ServeProcess } from '../support/serve';
import { expect, test } from './fixtures';

// Recordings made by the real `forkscope record`, opened in the real serve mode (`--open`, what
// `forkscope open` runs) in Chromium: the time scrubber, play, compare, a dropped file, the trace.
const folder = recordingsFolder();
const dir = folder.path;
let pool4 = '';
let pool2 = '';
let serve: ServeProcess;

test.beforeAll(async () => {
  test.setTimeout(90_000);
  [pool4, pool2] = await Promise.all([
    recordSeed(dir, '3_pool.py'),
    recordSeed(dir, '3_pool.py', { poolSize: 2 }),
  ]);
  serve = await startServe(['--open', pool4]);
});
test.afterAll(async () => {
  await serve?.stop('SIGINT');
  folder.remove();
});

async function openReplay(page: Page) {
  const line = new RegExp(`Replay of ${pool4.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: (\\S+)`).exec(
    serve.output(),
  );
  expect(line).not.toBeNull();
  await page.goto(line![1]!);
  await expect(
    page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: 'Recordings' }),
  ).toHaveAttribute('aria-current', 'page');
  await expect(page.getByRole('region', { name: 'Time scrubber' })).toBeVisible();
}

test('scrubbing to the middle of 3_pool.py shows the tasks running at that moment', async ({ page }) => {
  await openReplay(page);
  const report = await reportOf(pool4, dir);
  const tasks = report.pools[0]!.tasks;
  const start = await page.getByLabel('Time in the recording').getAttribute('min');
  expect(start).toBe('0');
  // The recording's start is the header's time: the scrubber is in ms from there.
  const header = JSON.parse(
    (await import('node:zlib')).gunzipSync(readFileSync(pool4)).toString().split('\n', 1)[0]!,
  ) as { createdAt: number };
  const first = Math.min(...tasks.map((task) => task.started!));
  const last = Math.max(...tasks.map((task) => task.ended!));
  const middle = Math.round((first + last) / 2);
  const expected = tasks
    .filter((task) => task.started! <= middle && middle < task.ended!)
    .map((task) => task.call);
  expect(expected.length).toBeGreaterThan(0);
  const origin = Math.min(header.createdAt, report.processes[0]!.start!);
  await page.getByLabel('Time in the recording').fill(String(middle - origin));

  const running = page.getByRole('list', { name: 'Tasks running at the cursor' }).getByRole('listitem');
  await expect(running).toHaveCount(expected.length);
  for (const call of expected) await expect(running.filter({ hasText: `${call} on pid` })).toHaveCount(1);
  // The Gantt at the cursor: only the tasks started by then, the running ones drawn as running.
  const pool = page.getByRole('region', { name: /^Pool Pool\(4\)/ });
  const started = tasks.filter((task) => task.started! <= middle).length;
  await expect(pool.locator('rect[data-state]')).toHaveCount(started);
  await expect(pool.locator('rect[data-state="running"]')).toHaveCount(expected.length);
  // The console holds what was printed by then, not what came later.
  const console = page.getByRole('region', { name: 'Console at the cursor' });
  await expect(console).toContainText('Run task 0');
  await expect(console).not.toContainText('All subprocesses done.');
  await expect(page.getByRole('region', { name: 'Runs at the cursor' }).getByTestId('run-state')).toHaveText(
    'running',
  );

  // Played at 100× from the start, it reaches the end: every task done, the run exited.
  await page.getByRole('button', { name: 'Start' }).click();
  await expect(pool.locator('rect[data-state]')).toHaveCount(0);
  await page.getByRole('button', { name: 'Play 100×' }).click();
  await expect(page.getByRole('button', { name: 'Pause' })).toBeDisabled({ timeout: 10_000 });
  await expect(pool.locator('rect[data-state="done"]')).toHaveCount(5);
  await expect(console).toContainText('All subprocesses done.');
  await expect(
    page.getByRole('region', { name: 'Runs at the cursor' }).getByTestId('run-state'),
  ).toContainText('exited');
});

test('Pool(4) vs Pool(2): both Gantts on one axis with their totals', async ({ page }) => {
  await openReplay(page);
  await page.getByLabel('Open a recording file…').setInputFiles(pool2);
  await expect(page.getByRole('tab')).toHaveCount(2);
  const compare = page.getByRole('region', { name: 'Compare two runs' });
  const [r4, r2] = await Promise.all([reportOf(pool4, dir), reportOf(pool2, dir)]);
  const totals = compare.getByTestId('total');
  await expect(totals).toHaveCount(2);
  await expect(totals.nth(0)).toHaveAttribute(
    'data-ms',
    String(r4.processes[0]!.end! - r4.processes[0]!.start!),
  );
  await expect(totals.nth(1)).toHaveAttribute(
    'data-ms',
    String(r2.processes[0]!.end! - r2.processes[0]!.start!),
  );
  const gantts = compare.getByTestId('compare-gantt');
  await expect(gantts).toHaveCount(2);
  // One axis: both charts end at the longer total, so the shorter run's bars stop short of it.
  for (const [index, lanes] of [4, 2].entries()) {
    const chart = gantts.nth(index).getByRole('figure').first();
    await expect(chart.locator('rect[data-state="done"]')).toHaveCount(5);
    await expect(chart.locator('svg.track')).toHaveCount(lanes);
  }
  const axisEnds = await gantts.locator('.axis span:last-child').allTextContents();
  expect(new Set(axisEnds.slice(0, 2)).size).toBe(1);
  await expect(
    compare.getByRole('table', { name: 'Per-task waits and durations' }).getByRole('row'),
  ).toHaveCount(6);
});

test('a dropped file that is not a recording gets one clear error; the trace export downloads', async ({
  page,
}) => {
  await openReplay(page);
  await page.evaluate(() => {
    const data = new DataTransfer();
    data.items.add(new File(['hello'], 'notes.fsrec'));
    document
      .querySelector('main')!
      .dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
  });
  await expect(page.getByRole('alert')).toHaveText(
    'notes.fsrec is not a Forkscope recording (it is not gzip-compressed).',
  );
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Chrome trace of the recording' }).click();
  const file = await (await download).path();
  const trace = JSON.parse(readFileSync(file, 'utf8')) as { traceEvents: { ph: string; cat?: string }[] };
  expect(trace.traceEvents.filter((e) => e.ph === 'X' && e.cat?.startsWith('task'))).toHaveLength(5);
});
