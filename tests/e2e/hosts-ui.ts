import { expect, type Page } from '@playwright/test';

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
