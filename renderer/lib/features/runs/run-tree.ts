import type { RunRecord } from '../../../../contract';

export interface RunNode {
  record: RunRecord;
  /** Runs this one started (a Process's child, a fork's child), oldest first. */
  children: RunNode[];
}

/**
 * Runs nested under the run that started them (record.parentId), so a fork's or a Process's
 * child sits under its parent. Top-level runs come newest first, children in start order.
 * A child whose parent was cleared stays at the top level.
 */
export function buildRunTree(records: readonly RunRecord[]): RunNode[] {
  const nodes = new Map<string, RunNode>();
  for (const record of records) nodes.set(record.id, { record, children: [] });
  const roots: RunNode[] = [];
  for (const record of records) {
    const node = nodes.get(record.id)!;
    const parent = record.parentId && record.parentId !== record.id ? nodes.get(record.parentId) : undefined;
    (parent ? parent.children : roots).push(node);
  }
  const byStart = (a: RunNode, b: RunNode) => a.record.startedAt - b.record.startedAt;
  for (const node of nodes.values()) node.children.sort(byStart);
  return roots.sort((a, b) => -byStart(a, b));
}

/** The runs above `id`, nearest first (for the parent link in details). */
export function ancestorsOf(id: string, lookup: (id: string) => RunRecord | undefined): RunRecord[] {
  const chain: RunRecord[] = [];
  const seen = new Set([id]);
  let parentId = lookup(id)?.parentId ?? null;
  while (parentId && !seen.has(parentId)) {
    seen.add(parentId);
    const parent = lookup(parentId);
    if (!parent) break;
    chain.push(parent);
    parentId = parent.parentId;
  }
  return chain;
}

/** What the Runs list shows: runs matching the search (label, pid or id), finished ones or not. */
export interface RunFilter {
  query: string;
  hideFinished: boolean;
}

/**
 * The tree with only what the filter lets through; a run stays when it matches or when one of
 * the runs below it does (so a matching child keeps its parent as context).
 */
export function filterRunTree(nodes: readonly RunNode[], filter: RunFilter): RunNode[] {
  const query = filter.query.trim().toLowerCase();
  if (!query && !filter.hideFinished) return [...nodes];
  const matches = (record: RunRecord) =>
    (!filter.hideFinished || record.state === 'running') &&
    (!query ||
      record.label.toLowerCase().includes(query) ||
      record.id.toLowerCase() === query ||
      String(record.pid ?? '') === query);
  const keep = (node: RunNode): RunNode | null => {
    const children = node.children.map(keep).filter((child): child is RunNode => child !== null);
    return matches(node.record) || children.length > 0 ? { record: node.record, children } : null;
  };
  return nodes.map(keep).filter((node): node is RunNode => node !== null);
}

/** How many runs a tree holds, children included. */
export function countRuns(nodes: readonly RunNode[]): number {
  return nodes.reduce((sum, node) => sum + 1 + countRuns(node.children), 0);
}
