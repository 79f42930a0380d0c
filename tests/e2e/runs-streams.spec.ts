import { stderrFloodLines, stderrFloodScript } from '../support/output-floods';
import { connectClient, expect, test } from './fixtures';

test('a page opened after a 30 MB stderr flood shows stdout’s first lines: the server keeps a window per stream', async ({
  serve,
  page,
}) => {
  test.setTimeout(120_000);
  const { client, close } = await connectClient(serve);
  try {
    const launched = await client.call('runs.launch', {
      program: 'python3',
      args: ['-c', stderrFloodScript],
      label: 'streams after the flood',
      closeStdin: true,
    });
    const record = await client.call('runs.join', { id: launched.id, timeoutMs: 90_000 });
    expect(record.exit?.code).toBe(0);
    expect(record.output.stderr.lines).toBe(stderrFloodLines);

    // Only now is the page opened: all it shows of the run comes from the server's windows.
    await page.goto(serve.url);
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: 'Runs' }).click();
    await page
      .getByRole('list', { name: 'Runs' })
      .getByRole('button', { name: /streams after the flood/ })
      .click();
    await expect(page.getByText(/Exit code 0:\s*success/)).toBeVisible();

    const output = page.getByRole('tabpanel');
    await page.getByRole('tab', { name: /^stdout/ }).click();
    await expect(page.getByRole('tab', { name: /^stdout/ })).toHaveAttribute('aria-selected', 'true');
    await expect(output).toHaveText(/^\s*first-1\s*first-2\s*first-3\s*first-4\s*first-5\s*$/);

    // stderr shows its own newest lines, up to the last one.
    await page.getByRole('tab', { name: /^stderr/ }).click();
    await expect(output).toContainText('err-299-999');
  } finally {
    // The worker's serve mode is shared with the next files: leave no finished run in their lists.
    await client.call('runs.clearFinished', {});
    close();
  }
});
