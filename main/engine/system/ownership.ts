import type { Ownership } from '../../../contract';

export interface OwnPids {
  /** Forkscope's own process. */
  self: number;
  /** Forkscope's machinery: the spawn helper and the like. */
  helpers: readonly number[];
  /** Each live run's pid → its run id. */
  runs: ReadonlyMap<number, string>;
  /**
   * Whether other children of `self` are Forkscope's machinery too: true in Electron (its
   * renderer, GPU and utility processes), false in plain Node, where a host process (a test,
   * an embedding app) may start processes of its own that are not Forkscope's.
   */
  selfChildrenAreOwn?: boolean;
}

export interface Mark {
  own: Ownership | null;
  runId: string | null;
}

interface Node {
  pid: number;
  ppid: number;
  pgid: number | null;
}

const none: Mark = { own: null, runId: null };

/**
 * Marks Forkscope's processes in a listing: walking up from each process, the first run met
 * makes it that run's (or a descendant of it); meeting a helper first (or Forkscope itself, in
 * Electron) makes it Forkscope's machinery. An orphan whose process
 * group is still a run's (every run leads its own group) stays that run's descendant.
 */
export function markOwnership(processes: readonly Node[], own: OwnPids): Map<number, Mark> {
  const byPid = new Map<number, Node>();
  for (const process of processes) byPid.set(process.pid, process);
  const helpers = new Set(own.helpers);
  const marks = new Map<number, Mark>();

  function mark(pid: number, depth: number): Mark {
    const cached = marks.get(pid);
    if (cached) return cached;
    const node = byPid.get(pid);
    let result: Mark;
    const runId = own.runs.get(pid);
    if (runId !== undefined) result = { own: 'run', runId };
    else if (pid === own.self || helpers.has(pid)) result = { own: 'forkscope', runId: null };
    else if (!node || node.ppid <= 0 || node.ppid === pid || depth > 512) result = none;
    else {
      const parent = mark(node.ppid, depth + 1);
      if (parent.own === 'run' || parent.own === 'descendant')
        result = { own: 'descendant', runId: parent.runId };
      else if (parent.own === 'forkscope' && (node.ppid !== own.self || own.selfChildrenAreOwn))
        result = parent;
      else {
        const groupRun = node.pgid !== null && node.pgid !== pid ? own.runs.get(node.pgid) : undefined;
        result = groupRun !== undefined ? { own: 'descendant', runId: groupRun } : none;
      }
    }
    marks.set(pid, result);
    return result;
  }

  for (const process of processes) mark(process.pid, 0);
  return marks;
}

/** Forkscope's parent, grandparent… up to pid 1 (read from the listing). */
export function ancestorsOf(pid: number, processes: readonly Node[]): Set<number> {
  const byPid = new Map<number, Node>();
  for (const process of processes) byPid.set(process.pid, process);
  const ancestors = new Set<number>();
  let current = byPid.get(pid)?.ppid ?? 0;
  while (current > 0 && !ancestors.has(current)) {
    ancestors.add(current);
    current = byPid.get(current)?.ppid ?? 0;
  }
  return ancestors;
}

/** pid and every process below it, parents before children. */
export function treeOf(pid: number, processes: readonly Node[]): number[] {
  const children = new Map<number, number[]>();
  for (const process of processes) {
    if (process.pid === process.ppid) continue;
    let list = children.get(process.ppid);
    if (!list) children.set(process.ppid, (list = []));
    list.push(process.pid);
  }
  const order = [pid];
  const seen = new Set(order);
  for (let index = 0; index < order.length; index++) {
    for (const child of children.get(order[index]!) ?? []) {
      if (!seen.has(child)) {
        seen.add(child);
        order.push(child);
      }
    }
  }
  return order;
}
