import type { ReadOutputResult } from '../../../../contract';

export type ReadPage = (fromSeq: number, limit: number) => Promise<ReadOutputResult>;

/**
 * Reads up to `limit` held lines from `fromSeq`, page after page: the server answers at most 2 MiB
 * of line text at a time and says where to go on (`continueFrom`). Lines are counted, not sequence
 * numbers: each stream keeps its own window on the server, so the lines held need not be
 * consecutive. Each page is handed to `onPage` as it comes, so a window of long lines fills in
 * without one huge answer. Resolves with the last page.
 */
export async function readOutputPages(
  read: ReadPage,
  fromSeq: number,
  limit: number,
  onPage: (page: ReadOutputResult) => void,
): Promise<ReadOutputResult> {
  let page = await read(fromSeq, limit);
  onPage(page);
  let left = limit - page.lines.length;
  while (page.continueFrom !== null && left > 0) {
    page = await read(page.continueFrom, left);
    onPage(page);
    left -= page.lines.length;
  }
  return page;
}
