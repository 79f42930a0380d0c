import { startServe, type ServeProcess } from '../support/serve';
import { connectClient, expect, test } from './fixtures';
import { addHost, leaveAsFound, showSection, type LaunchedRun } from './hosts-ui';

/**
 * Another host, told apart from this one by a fact of its own: its descriptor limit (app.info's
 * files note says "limit 345"), which this machine's serve mode does not have.
 */
let other: ServeProcess;
test.beforeAll(async () => (other = await startServe([], { prefix: ['prlimit', '--nofile=345:345'] })));
test.afterAll(async () => other?.stop());

test('a run on another host shows that host’s containment, and says its process tree and lens are not available here', async ({
  app,
  page,
}) => {
  const here = await connectClient(app);
  const there = await connectClient(other);
  const launched: LaunchedRun[] = [];
  try {
    const local = await here.client.call('runs.launch', { program: 'sleep', args: ['941.25'] });
    launched.push({ client: here.client, id: local.id });
    const remote = await there.client.call('runs.launch', { program: 'sleep', args: ['941.5'] });
    launched.push({ client: there.client, id: remote.id });
    await showSection(page, 'Runs');
    const runs = page.getByRole('list', { name: 'Runs' });
    const containment = page.locator('.containment');

    // This machine's run: its tree, and this machine's containment (not the other's limit).
    await runs.getByRole('button', { name: /sleep 941\.25/ }).click();
    await expect(page.getByText('Process tree over time')).toBeVisible();
    await expect(containment).toHaveAttribute('title', /File descriptors: /);
    await expect(containment).not.toHaveAttribute('title', /limit 345\b/);

    await addHost(page, other.url, 'server-b');
    await expect(page.getByRole('combobox', { name: 'Host' }).first().locator('option:checked')).toHaveText(
      'server-b (connected)',
    );
    await runs.getByRole('button', { name: /sleep 941\.5/ }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('sleep 941.5');
    // Its host's own facts, asked through the relay…
    await expect(containment).toHaveAttribute('title', /limit 345\b/);
    // …and no record of this machine's standing in for it.
    await expect(page.getByRole('note')).toHaveText(
      "The process tree and the Python lens are recorded by server-b's own Forkscope: they are not available for runs on another host.",
    );
    await expect(page.getByText('Process tree over time')).toHaveCount(0);
  } finally {
    await leaveAsFound(here, there, launched);
  }
});
