import type { ProcessRow } from '../../../../contract/system';
import { m } from '../../i18n/messages';

/** Pure filtering, sorting and tree building for the System view (no runes: testable in Node). */

export type SortColumn = 'pid' | 'ppid' | 'name' | 'user' | 'state' | 'cpu' | 'memory' | 'cmd';
/** The table's columns, in order (F6 / > sorts by the next one). */
export const sortColumns: readonly SortColumn[] = [
  'pid',
  'ppid',
  'name',
  'user',
  'state',
  'cpu',
  'memory',
  'cmd',
];
export type SortDirection = 'asc' | 'desc';

export interface Sort {
  column: SortColumn;
  direction: SortDirection;
}

export interface Matcher {
  test(row: ProcessRow): boolean;
  /** Why the query cannot be used (a bad regular expression); the view shows it. */
  error: string | null;
  empty: boolean;
}

type Field = 'pid' | 'ppid' | 'name' | 'user' | 'cmd' | 'state';

function fieldText(row: ProcessRow, field: Field): string {
  return field === 'pid' || field === 'ppid' ? String(row[field]) : row[field];
}

/**
 * A query is words, all of which must match (name, pid, user or command). `field:value`
 * limits a word to one field (`pid:` and `ppid:` match exactly); with `regex` on, each word
 * is a regular expression (case-insensitive).
 */
export function compileQuery(query: string, regex = false): Matcher {
  const words = query.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return { test: () => true, error: null, empty: true };
  const tests: ((row: ProcessRow) => boolean)[] = [];
  for (const word of words) {
    const match = /^(pid|ppid|name|user|cmd|state):(.*)$/i.exec(word);
    const field = match ? (match[1]!.toLowerCase() as Field) : null;
    const value = match ? match[2]! : word;
    if (field === 'pid' || field === 'ppid') {
      if (!regex) {
        const wanted = Number(value);
        tests.push((row) => row[field] === wanted);
        continue;
      }
    }
    let check: (text: string) => boolean;
    if (regex) {
      let pattern: RegExp;
      try {
        pattern = new RegExp(value, 'i');
      } catch (error) {
        return {
          test: () => false,
          error: m.system_bad_regex({ reason: (error as Error).message }),
          empty: false,
        };
      }
      check = (text) => pattern.test(text);
    } else {
      const needle = value.toLowerCase();
      check = (text) => text.toLowerCase().includes(needle);
    }
    if (field) tests.push((row) => check(fieldText(row, field)));
    else {
      tests.push((row) => check(row.name) || check(String(row.pid)) || check(row.user) || check(row.cmd));
    }
  }
  return { test: (row) => tests.every((test) => test(row)), error: null, empty: false };
}

export function compareRows(sort: Sort): (a: ProcessRow, b: ProcessRow) => number {
  const sign = sort.direction === 'asc' ? 1 : -1;
  const column = sort.column;
  if (column === 'pid' || column === 'ppid' || column === 'cpu' || column === 'memory') {
    return (a, b) => sign * (a[column] - b[column]) || a.pid - b.pid;
  }
  return (a, b) => sign * (a[column] < b[column] ? -1 : a[column] > b[column] ? 1 : 0) || a.pid - b.pid;
}

export function sortRows(rows: readonly ProcessRow[], sort: Sort): ProcessRow[] {
  return [...rows].sort(compareRows(sort));
}

export function filterRows(rows: readonly ProcessRow[], matcher: Matcher): ProcessRow[] {
  return matcher.empty ? [...rows] : rows.filter((row) => matcher.test(row));
}

export interface TreeLine {
  row: ProcessRow;
  depth: number;
  /** How many children it has in the (filtered) tree. */
  children: number;
  expanded: boolean;
  /** Shown only because a descendant matches the filter. */
  context: boolean;
}

/**
 * The process tree as lines to display: roots (processes whose parent is not listed) then
 * each one's children, siblings in the chosen order. With a filter, a match keeps its
 * ancestors (shown as context) so it stays under its parent.
 */
export function buildTree(
  rows: readonly ProcessRow[],
  matcher: Matcher,
  sort: Sort,
  collapsed: ReadonlySet<string>,
): TreeLine[] {
  const byPid = new Map<number, ProcessRow>();
  for (const row of rows) byPid.set(row.pid, row);
  let keep: Set<number> | null = null;
  const matches = new Set<number>();
  if (!matcher.empty) {
    keep = new Set();
    for (const row of rows) {
      if (!matcher.test(row)) continue;
      matches.add(row.pid);
      let current: ProcessRow | undefined = row;
      let guard = 0;
      while (current && !keep.has(current.pid) && guard++ < 1024) {
        keep.add(current.pid);
        current = current.ppid !== current.pid ? byPid.get(current.ppid) : undefined;
      }
    }
  }
  const children = new Map<number, ProcessRow[]>();
  const roots: ProcessRow[] = [];
  for (const row of rows) {
    if (keep && !keep.has(row.pid)) continue;
    const parent = row.ppid !== row.pid ? byPid.get(row.ppid) : undefined;
    if (!parent || (keep && !keep.has(parent.pid))) roots.push(row);
    else {
      let list = children.get(parent.pid);
      if (!list) children.set(parent.pid, (list = []));
      list.push(row);
    }
  }
  const compare = compareRows(sort);
  const lines: TreeLine[] = [];
  // Two rows can share a pid (a process just exited, kept a moment, and a new one given its pid):
  // their children are listed once, under the first, so every line's key stays unique.
  const seen = new Set<string>();
  const visit = (row: ProcessRow, depth: number) => {
    if (seen.has(row.key)) return;
    seen.add(row.key);
    const kids = (children.get(row.pid) ?? []).filter((kid) => !seen.has(kid.key));
    const expanded = !collapsed.has(row.key);
    lines.push({
      row,
      depth,
      children: kids.length,
      expanded,
      context: keep !== null && !matches.has(row.pid),
    });
    if (!expanded || depth > 256) return;
    kids.sort(compare);
    for (const kid of kids) visit(kid, depth + 1);
  };
  roots.sort(compare);
  for (const root of roots) visit(root, 0);
  return lines;
}
