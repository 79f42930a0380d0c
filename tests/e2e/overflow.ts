import type { Page } from '@playwright/test';

export interface Overflow {
  what: string;
  text: string;
  scrollWidth: number;
  clientWidth: number;
}

/**
 * The boxes on the page whose text is wider than they are (scrollWidth > clientWidth): table
 * cells, column headers, buttons, labels, headings, details. A box that scrolls on purpose
 * (overflow auto/scroll), or cuts on purpose with an ellipsis and carries its whole text in its
 * title, is not one.
 */
export async function overflowing(page: Page): Promise<Overflow[]> {
  return page.evaluate(() => {
    const selector = [
      '[role="columnheader"]',
      '[role="gridcell"]',
      '[role="cell"]',
      'th',
      'td',
      'button',
      'label',
      'summary',
      'h1',
      'h2',
      'h3',
      'h4',
      'dt',
      'dd',
      '.cell',
    ].join(',');
    const found: Overflow[] = [];
    for (const element of document.querySelectorAll<HTMLElement>(selector)) {
      if (element.closest('[aria-hidden="true"]') || element.offsetParent === null) continue;
      if (element.scrollWidth <= element.clientWidth + 1) continue;
      const style = getComputedStyle(element);
      if (style.overflowX === 'auto' || style.overflowX === 'scroll') continue;
      const text = (element.innerText || element.textContent || '').trim();
      if (style.textOverflow === 'ellipsis' && element.title && element.title.includes(text.slice(0, 20)))
        continue;
      found.push({
        what: `${element.tagName.toLowerCase()}${element.className ? '.' + String(element.className).split(' ')[0] : ''}`,
        text: text.slice(0, 60),
        scrollWidth: element.scrollWidth,
        clientWidth: element.clientWidth,
      });
    }
    return found;
  });
}
