import { describe, expect, it } from 'vitest';
import type { ProcessRow } from '../../contract';
import { diffRows } from '../../main/engine/system/diff';
import {
  buildTree,
  compileQuery,
  filterRows,
  sortRows,
} from '../../renderer/lib/features/system/process-query';

function row(pid: number, ppid: number, name: string, extra: Partial<ProcessRow> = {}): ProcessRow {
  return {
    key: `${pid}:1`,
    pid,
    ppid,
    name,
    cmd: `/usr/bin/${name} --flag`,
    user: 'root',
    state: 'S',
    cpu: 0,
    memory: 1000,
    start: 1,
    own: null,
    runId: null,
    ...extra,
  };
}

const rows = [
  row(1, 0, 'init'),
  row(10, 1, 'bash', { user: 'alice', cpu: 5 }),
  row(11, 10, 'sleep', { cmd: 'sleep 100', cpu: 0.5, memory: 500 }),
  row(12, 10, 'python3', { cmd: 'python3 -u 3_pool.py', cpu: 50, memory: 9000 }),
  row(13, 12, 'python3', { cmd: 'python3 -u 3_pool.py', cpu: 20 }),
  row(99, 1, 'Sleepy', { user: 'bob' }),
];

describe('filter', () => {
  it('matches name, pid, user or command, case-insensitively; every word must match', () => {
    const pids = (query: string, regex = false) =>
      filterRows(rows, compileQuery(query, regex)).map((entry) => entry.pid);
    expect(pids('sleep')).toEqual([11, 99]);
    expect(pids('alice')).toEqual([10]);
    expect(pids('3_pool')).toEqual([12, 13]);
    expect(pids('12')).toEqual([12]);
    expect(pids('python3 13')).toEqual([13]);
    expect(pids('pid:1')).toEqual([1]);
    expect(pids('ppid:10')).toEqual([11, 12]);
    expect(pids('user:bob')).toEqual([99]);
    expect(pids('')).toHaveLength(rows.length);
  });

  it('allows regular expressions and reports a bad one', () => {
    expect(filterRows(rows, compileQuery('^sl', true)).map((entry) => entry.pid)).toEqual([11, 99]);
    expect(filterRows(rows, compileQuery('name:^python3$', true)).map((entry) => entry.pid)).toEqual([
      12, 13,
    ]);
    const bad = compileQuery('(', true);
    expect(bad.error).toMatch(/Not a valid regular expression/);
    expect(filterRows(rows, bad)).toEqual([]);
  });
});

describe('sort', () => {
  it('sorts by any column, both ways, ties by pid', () => {
    const pids = (column: Parameters<typeof sortRows>[1]['column'], direction: 'asc' | 'desc') =>
      sortRows(rows, { column, direction }).map((entry) => entry.pid);
    expect(pids('cpu', 'desc')).toEqual([12, 13, 10, 11, 1, 99]);
    expect(pids('pid', 'asc')).toEqual([1, 10, 11, 12, 13, 99]);
    expect(pids('pid', 'desc')).toEqual([99, 13, 12, 11, 10, 1]);
    expect(pids('memory', 'desc')[0]).toBe(12);
    expect(pids('name', 'asc')).toEqual([99, 10, 1, 12, 13, 11]);
    expect(pids('user', 'asc')).toEqual([10, 99, 1, 11, 12, 13]);
  });
});

describe('tree', () => {
  const sort = { column: 'pid', direction: 'asc' } as const;
  it('puts children under their parents, collapsible', () => {
    const lines = buildTree(rows, compileQuery(''), sort, new Set());
    expect(lines.map((line) => [line.row.pid, line.depth])).toEqual([
      [1, 0],
      [10, 1],
      [11, 2],
      [12, 2],
      [13, 3],
      [99, 1],
    ]);
    const collapsed = buildTree(rows, compileQuery(''), sort, new Set(['10:1']));
    expect(collapsed.map((line) => line.row.pid)).toEqual([1, 10, 99]);
    expect(collapsed[1]).toMatchObject({ expanded: false, children: 2 });
  });

  it('keeps a match’s ancestors as context', () => {
    const lines = buildTree(rows, compileQuery('sleep 100'), sort, new Set());
    expect(lines.map((line) => [line.row.pid, line.context])).toEqual([
      [1, true],
      [10, true],
      [11, false],
    ]);
  });

  it('lists each row once when an exited row and a new one share a pid (keys stay unique)', () => {
    const shared = [
      row(1, 0, 'init'),
      row(50, 1, 'python3', { key: '50:1' }),
      row(50, 1, 'python3', { key: '50:2', start: 2 }),
      row(51, 50, 'python3', { key: '51:1' }),
    ];
    const lines = buildTree(shared, compileQuery(''), sort, new Set());
    const keys = lines.map((line) => line.row.key);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys.sort()).toEqual(['1:1', '50:1', '50:2', '51:1']);
  });
});

describe('diff', () => {
  it('sends rows added, removed (by key) and changed', () => {
    const before = new Map(rows.map((entry) => [entry.key, entry]));
    const next = [
      ...rows.slice(0, 4).map((entry) => (entry.pid === 12 ? { ...entry, cpu: 1 } : entry)),
      row(14, 12, 'new'),
    ];
    const diff = diffRows(before, next);
    expect(diff.added.map((entry) => entry.pid)).toEqual([14]);
    expect(diff.removed).toEqual(['13:1', '99:1']);
    expect(diff.changed.map((entry) => entry.pid)).toEqual([12]);
  });
});
