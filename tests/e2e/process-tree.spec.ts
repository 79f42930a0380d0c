import { connectClient, expect, test } from './fixtures';

// Every run's process tree is recorded from its first moment: nobody clicks during the run.
const program = `
import os, time
from concurrent.futures import ProcessPoolExecutor

def work(n):
    time.sleep(0.3)
    return os.getpid()

if __name__ == '__main__':
    with ProcessPoolExecutor(3) as executor:
        print('workers', len(set(executor.map(work, range(6)))), flush=True)
`;

test('a ProcessPoolExecutor run shows its workers afterwards, with a legend, without a click during it', async ({
  app,
  page,
}) => {
  const { client, close } = await connectClient(app);
  try {
    const run = await client.call('runs.launch', {
      program: 'python3',
      args: ['-u', '-c', program],
      label: 'executor tree',
      closeStdin: true,
      lens: 'off',
    });
    await client.call('runs.join', { id: run.id, timeoutMs: 30_000 });
  } finally {
    close();
  }
  await page.reload();
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: 'Runs' }).click();
  await page.getByRole('list', { name: 'Runs' }).getByRole('button', { name: 'executor tree' }).click();
  const timeline = page.getByRole('region', { name: 'Descendants of executor tree' });
  await expect(timeline.getByRole('status')).toContainText('· done', { timeout: 15_000 });
  const workers = timeline.getByRole('listitem', { name: /^Descendant python3/ });
  await expect.poll(() => workers.count()).toBeGreaterThanOrEqual(3);
  // The OS parent and the logical parent, each labelled.
  await expect(timeline.getByRole('listitem', { name: /^Run python3/ })).toHaveAttribute(
    'aria-label',
    /OS parent \d+ · logical parent: Forkscope/,
  );
  const legend = timeline.getByRole('list', { name: 'Legend of the descendant lanes' });
  await expect(legend).toBeVisible();
  await expect(legend).toContainText('zombie');
  await expect(legend.getByRole('listitem').filter({ hasText: 'zombie' })).toHaveAttribute(
    'title',
    /did not collect its exit status for longer than a moment/,
  );
  // The run's header: the real OS parent is the spawn helper, the logical parent beside it.
  await expect(page.getByText(/ppid \d+ \(spawn helper\)/)).toBeVisible();
  await expect(page.getByText('logical parent: Forkscope (form or API)')).toBeVisible();
});
