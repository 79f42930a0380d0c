import type { RunRecord } from '../../contract';
import { startServe, type ServeProcess } from '../support/serve';
import { startTcpForwarder } from '../support/tcp-forwarder';
import { connectClient, expect, test } from './fixtures';
import { addHost, leaveAsFound, showSection as section, type LaunchedRun } from './hosts-ui';

/** A second serve mode stands for another host (through a tunnel it would be a loopback address too). */
let other: ServeProcess;
test.beforeAll(async () => (other = await startServe()));
test.afterAll(async () => other?.stop());

test('another host added by its address: a run launched there, listed with its host, and every host’s processes in System', async ({
  app,
  page,
}) => {
  const here = await connectClient(app);
  const there = await connectClient(other);
  const launched: LaunchedRun[] = [];
  try {
    const local = await here.client.call('runs.launch', { program: 'sleep', args: ['937.25'] });
    launched.push({ client: here.client, id: local.id });

    await section(page, 'Runs');
    // Pasted as serve mode printed it: the token in the address.
    await addHost(page, other.url, 'server-b');
    const picker = page.getByRole('combobox', { name: 'Host' }).first();
    await expect(picker.locator('option:checked')).toHaveText('server-b (connected)');

    await page.getByRole('button', { name: 'New run' }).click();
    await page.getByLabel('Program').fill('sleep');
    await page.getByLabel('Arguments').fill('937.5');
    await page.getByRole('button', { name: 'Launch' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('sleep 937.5');
    const runs = page.getByRole('list', { name: 'Runs' });
    await expect(runs.getByRole('button', { name: /sleep 937\.5/ })).toBeVisible();
    await expect(runs.getByRole('button', { name: /sleep 937\.25/ })).toHaveCount(0);

    // It runs on the other host, not here.
    const remoteRuns: RunRecord[] = await there.client.call('runs.list', {});
    const remote = remoteRuns.find((run) => run.argv.includes('937.5'));
    expect(remote?.state).toBe('running');
    launched.push({ client: there.client, id: remote!.id });
    const hereArgs = (await here.client.call('runs.list', {})).map((run) => run.argv.at(-1));
    expect(hereArgs).toContain('937.25');
    expect(hereArgs).not.toContain('937.5');

    await picker.selectOption({ label: 'This machine' });
    await expect(runs.getByRole('button', { name: /sleep 937\.25/ })).toBeVisible();
    await expect(runs.getByRole('button', { name: /sleep 937\.5/ })).toHaveCount(0);

    await section(page, 'System');
    const systemPicker = page.getByRole('combobox', { name: 'Host' });
    await systemPicker.selectOption({ label: 'All hosts' });
    const grid = page.getByRole('grid', { name: 'Processes' });
    await expect(grid.getByRole('columnheader', { name: 'Host' })).toBeVisible();
    await page.getByRole('searchbox', { name: 'Filter processes' }).fill('sleep 937');
    // Both hosts are this machine here, so each lists both sleeps; each is a run only on its own host.
    const row = (args: string, host: string) =>
      grid
        .getByRole('row')
        .filter({ hasText: `sleep ${args}` })
        .filter({ hasText: host });
    await expect(row('937.5', 'server-b')).toHaveAttribute('data-own', 'run');
    await expect(row('937.25', 'This machine')).toHaveAttribute('data-own', 'run');
    await expect(row('937.5', 'This machine')).not.toHaveAttribute('data-own', 'run');
    await expect(grid.getByRole('row').filter({ hasText: 'sleep 937' })).toHaveCount(4);

    // With only the other host's processes shown, the runs' trees below say they are this machine's.
    const descendants = page.getByRole('region', { name: 'Descendants of a run' });
    await expect(descendants).not.toContainText('started by this machine');
    await systemPicker.selectOption({ label: 'server-b (connected)' });
    await expect(descendants).toContainText('The runs listed here were started by this machine’s Forkscope');
    await expect(descendants).toContainText('server-b’s runs');
  } finally {
    await leaveAsFound(here, there, launched);
  }
});

test('a wrong token is shown as refused; the same address added again with the right one connects that host', async ({
  app: _app,
  page,
}) => {
  await section(page, 'Runs');
  await addHost(page, `http://localhost:${other.port}/#token=wrong`, 'wrong-token');
  await expect(page.getByRole('status').filter({ hasText: 'Refused: wrong token' })).toBeVisible();
  // As after the server's serve mode restarted with a new token: the host keeps its name and place.
  await addHost(page, `http://localhost:${other.port}/#token=${other.token}`, 'another-name');
  const picker = page.getByRole('combobox', { name: 'Host' }).first();
  await expect(picker.locator('option:checked')).toHaveText('wrong-token (connected)');
  await expect(picker.locator('option')).toHaveText(['This machine', 'wrong-token (connected)']);
  await page.getByRole('button', { name: 'Remove host' }).click();
  await expect(
    page.getByRole('combobox', { name: 'Host' }).locator('option', { hasText: 'wrong-token' }),
  ).toHaveCount(0);
});

test('through an SSH-style tunnel on another local port: the address the server printed, and the tunnel’s port', async ({
  app: _app,
  page,
}) => {
  const tunnel = await startTcpForwarder(other.port);
  const local = tunnel.port;
  try {
    await section(page, 'Runs');
    await addHost(page, other.url, 'tunnelled', local);
    const picker = page.getByRole('combobox', { name: 'Host' }).first();
    await expect(picker.locator('option:checked')).toHaveText('tunnelled (connected)');
    await page.getByRole('button', { name: 'Remove host' }).click();
  } finally {
    tunnel.close();
  }
});
