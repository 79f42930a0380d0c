import type { ReadOutputResult } from '../../../../contract';

export type ReadPage = (fromSeq: number, limit: number) => Promise<ReadOutputResult>;

/**
 * Reads `limit` lines from `fromSeq`, page after page: the server answers at most 2 MiB of line
 * text at a time and says where to go on (`continueFrom`). Each page is handed to `onPage` as it
 * comes, so a window of long lines fills in without one huge answer. Resolves with the last page.
 */
export async function readOutputPages(
  read: ReadPage,
  fromSeq: number,
  limit: number,
  onPage: (page: ReadOutputResult) => void,
): Promise<ReadOutputResult> {
  const end = fromSeq + limit;
  let page = await read(fromSeq, limit);
  onPage(page);
  while (page.continueFrom !== null && page.continueFrom < end) {
    page = await read(page.continueFrom, end - page.continueFrom);
    onPage(page);
  }
  return page;
}
