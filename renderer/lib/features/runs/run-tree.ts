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
