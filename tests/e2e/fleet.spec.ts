import type { Page } from '@playwright/test';
import { redisMissing, startAgent, startRedis, type TestAgent, type TestRedis } from '../support/fleet';
import { connectClient, expect, test, terminateDistributedPools } from './fixtures';

const missing = redisMissing();
test.skip(missing !== null, missing ?? '');

let redis: TestRedis | null = null;
const agents: TestAgent[] = [];
test.afterAll(async ({ serve }) => {
  await terminateDistributedPools(serve);
  await Promise.all(agents.splice(0).map((agent) => agent.stop(3000).catch(() => {})));
  await redis?.stop();
});

const sections = (page: Page) => page.getByRole('navigation', { name: 'Sections' });

test('a distributed pool: Gantt lanes grouped by host, a Host column, the agents with their health', async ({
  app,
  page,
}) => {
  redis = await startRedis();
  // Started west first: the rows still come in host order (east, then west).
  for (const name of ['west', 'east']) {
    agents.push(await startAgent({ redis: redis.url, name, concurrency: 2, queue: 'e2e' }));
  }
  const { client, close } = await connectClient(app);
  try {
    await client.call('pools.create', {
      kind: 'distributed',
      redis: redis.url,
      queue: 'e2e',
      label: 'fleet of two',
      template: ['sh', '-c', 'sleep 0.3; echo {}'],
      inputs: Array.from({ length: 16 }, (_, i) => `job-${i + 1}`),
    });
  } finally {
    close();
  }
  await sections(page)
    .getByRole('button', { name: /^Pools/ })
    .click();
  await page
    .getByRole('button', { name: /fleet of two/ })
    .first()
    .click();

  const gantt = page.getByTestId('gantt');
  await expect(gantt).toHaveAttribute('data-bars', '16', { timeout: 30_000 });
  await expect(gantt).toHaveAttribute('data-hosts', 'east west');
  const lanes = Number(await gantt.getAttribute('data-lanes'));
  expect(lanes).toBeGreaterThanOrEqual(2);
  expect(lanes).toBeLessThanOrEqual(4);
  await expect(gantt).toHaveAccessibleName(/agent slots on 2 hosts, 16 task bars/);

  const table = page.getByRole('table', { name: /Tasks of fleet of two/ });
  await expect(table.getByRole('columnheader', { name: /Host/ })).toBeVisible();
  await expect(table.getByRole('row').nth(1)).toContainText(/east|west/);

  const agentList = page.getByRole('region', { name: 'Worker agents' });
  await expect(agentList.getByRole('row', { name: /Agent east pid \d+/ })).toContainText('working');
  await expect(agentList.getByRole('row', { name: /Agent west pid \d+/ })).toContainText('working');
});
