import { expect, type Page } from '@playwright/test';
import type { connectClient } from '../support/serve';

type Connection = Awaited<ReturnType<typeof connectClient>>;
/** A run a test started on one of the hosts, to be stopped when it ends. */
export type LaunchedRun = { client: Connection['client']; id: string };

/** Adds a host through the picker's form, as a person would: the address as serve mode printed it. */
export async function addHost(page: Page, address: string, name: string, via?: number): Promise<void> {
  await page.getByRole('button', { name: 'Add a host…' }).first().click();
  const form = page.getByRole('form', { name: 'Add host' });
  await form.getByLabel('Address').fill(address);
  await form.getByLabel('Name').fill(name);
  if (via) await form.getByLabel('Through local port').fill(String(via));
  await form.getByRole('button', { name: 'Add host' }).click();
  await expect(form).toBeHidden();
}

export const showSection = (page: Page, name: 'Runs' | 'System') =>
  page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name }).click();

/**
 * The page's serve mode is shared with the next files of this worker: a hosts test leaves it as it
 * was found — its runs stopped and cleared, its hosts removed, both connections closed.
 */
export async function leaveAsFound(
  here: Connection,
  there: Connection,
  launched: LaunchedRun[],
): Promise<void> {
  for (const { client, id } of launched) {
    await client.call('runs.kill', { id }).catch(() => {});
    await client.call('runs.join', { id, timeoutMs: 10_000 }).catch(() => {});
    await client.call('runs.clearFinished', { deleteLogs: false }).catch(() => {});
  }
  for (const host of await here.client.call('hosts.list', {}))
    await here.client.call('hosts.remove', { id: host.id });
  await here.client.call('runs.clearFinished', { deleteLogs: false }).catch(() => {});
  here.close();
  there.close();
}
