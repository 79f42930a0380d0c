import { redisMissing, startAgent, startRedis, type TestAgent, type TestRedis } from '../support/fleet';
import { join } from 'node:path';
import { fixturesDir } from '../support/engine';
import { expect, test, terminateDistributedPools } from './fixtures';

const missing = redisMissing();
test.skip(missing !== null, missing ?? '');

let redis: TestRedis | null = null;
let agent: TestAgent | null = null;
test.beforeAll(async () => {
  redis = await startRedis();
  agent = await startAgent({ redis: redis.url, name: 'form-agent', concurrency: 2, queue: 'form' });
});
test.afterAll(async ({ serve }) => {
  await terminateDistributedPools(serve);
  await agent?.stop(3000).catch(() => {});
  await redis?.stop();
});

test('the Create pool form makes a distributed pool on a Redis; an agent runs its tasks', async ({
  app: _app,
  page,
}) => {
  await page
    .getByRole('navigation', { name: 'Sections' })
    .getByRole('button', { name: /^Pools/ })
    .click();
  const form = page.getByRole('form', { name: 'Create a pool' });
  await form.getByRole('radio', { name: 'Distributed (Redis, worker agents)' }).check();
  // The fields of a distributed pool: no local workers, a Redis and a queue instead.
  await expect(form.getByRole('spinbutton', { name: 'Workers' })).toHaveCount(0);
  await form.getByRole('textbox', { name: 'Redis URL' }).fill(redis!.url);
  await form.getByRole('textbox', { name: 'Queue' }).fill('form');
  await form.getByRole('textbox', { name: 'Command template' }).fill('sh -c "echo done-{}"');
  await form.getByRole('textbox', { name: 'Inputs (one per line)' }).fill('a\nb\nc\nd');
  await form.getByRole('button', { name: 'Create pool' }).click();

  const table = page.getByRole('table', { name: /Tasks of/ });
  await expect(table.getByRole('columnheader', { name: /Host/ })).toBeVisible({ timeout: 30_000 });
  await expect(table.getByRole('row').filter({ hasText: 'form-agent' })).toHaveCount(4, { timeout: 30_000 });
  await expect(page.getByRole('region', { name: 'Worker agents' })).toContainText('form-agent');
});

test('a Redis URL that is not one is refused before anything is made', async ({ app: _app, page }) => {
  await page
    .getByRole('navigation', { name: 'Sections' })
    .getByRole('button', { name: /^Pools/ })
    .click();
  const form = page.getByRole('form', { name: 'Create a pool' });
  await form.getByRole('radio', { name: 'Distributed (Redis, worker agents)' }).check();
  await form.getByRole('textbox', { name: 'Redis URL' }).fill('http://not-redis');
  await form.getByRole('button', { name: 'Create pool' }).click();
  await expect(
    page.getByRole('alert').filter({ hasText: 'a Redis URL looks like redis://host:6379' }),
  ).toBeVisible();
});

test('a distributed pool of function calls: the module is on the agent’s host, each return value comes back', async ({
  app: _app,
  page,
}) => {
  await page
    .getByRole('navigation', { name: 'Sections' })
    .getByRole('button', { name: /^Pools/ })
    .click();
  const form = page.getByRole('form', { name: 'Create a pool' });
  await form.getByRole('radio', { name: 'Distributed (Redis, worker agents)' }).check();
  await form.getByRole('textbox', { name: 'Redis URL' }).fill(redis!.url);
  await form.getByRole('textbox', { name: 'Queue' }).fill('form');
  await form.getByRole('radio', { name: 'A function on the agents' }).check();
  await form
    .getByRole('textbox', { name: /Function \(module#export/ })
    .fill(`${join(fixturesDir, 'targets.js')}#sleeps`);
  await form.getByRole('textbox', { name: /Arguments/ }).fill('10\n20\n30');
  await form.getByRole('button', { name: 'Create pool' }).click();

  const table = page.getByRole('table', { name: /Tasks of .*targets\.js#sleeps/ });
  await expect(table.getByRole('row').filter({ hasText: 'form-agent' })).toHaveCount(3, { timeout: 30_000 });
  await expect(table.getByRole('row').filter({ hasText: 'sleeps(20)' })).toContainText('slept 20');
});
