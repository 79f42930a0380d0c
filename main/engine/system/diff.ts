import type { ProcessRow, SystemDiff } from '../../../contract';

function same(a: ProcessRow, b: ProcessRow): boolean {
  return (
    a.cpu === b.cpu &&
    a.memory === b.memory &&
    a.state === b.state &&
    a.ppid === b.ppid &&
    a.name === b.name &&
    a.cmd === b.cmd &&
    a.user === b.user &&
    a.own === b.own &&
    a.runId === b.runId
  );
}

/** What changed between two snapshots, by key (pid + start time): only this crosses the bridge. */
export function diffRows(
  previous: ReadonlyMap<string, ProcessRow>,
  next: readonly ProcessRow[],
): Pick<SystemDiff, 'added' | 'removed' | 'changed'> {
  const added: ProcessRow[] = [];
  const changed: ProcessRow[] = [];
  const present = new Set<string>();
  for (const row of next) {
    present.add(row.key);
    const before = previous.get(row.key);
    if (!before) added.push(row);
    else if (!same(before, row)) changed.push(row);
  }
  const removed: string[] = [];
  for (const key of previous.keys()) if (!present.has(key)) removed.push(key);
  return { added, removed, changed };
}
