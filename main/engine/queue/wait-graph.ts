/** Every elementary cycle's members, found by a depth-first search (graphs here are small). */
export function findCycles(edges: readonly { from: string; to: string }[]): string[][] {
  const next = new Map<string, Set<string>>();
  for (const { from, to } of edges) {
    if (!next.has(from)) next.set(from, new Set());
    next.get(from)!.add(to);
  }
  const cycles: string[][] = [];
  const seen = new Set<string>();
  const path: string[] = [];
  const onPath = new Set<string>();
  const visit = (node: string) => {
    path.push(node);
    onPath.add(node);
    for (const to of next.get(node) ?? []) {
      if (onPath.has(to)) {
        const cycle = path.slice(path.indexOf(to));
        const key = [...cycle].sort().join('|');
        if (!seen.has(key)) {
          seen.add(key);
          cycles.push(cycle);
        }
      } else if (path.length < 64) visit(to);
    }
    path.pop();
    onPath.delete(node);
  };
  for (const start of next.keys()) visit(start);
  return cycles;
}
