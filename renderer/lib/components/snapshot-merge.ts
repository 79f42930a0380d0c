/**
 * A list loaded from the server is a snapshot; events keep arriving while it (and whatever is
 * loaded after it) travels. The merged list keeps the snapshot's order, takes the event's record
 * for each id an event updated meanwhile, and keeps the records only events brought (made meanwhile).
 */
export function mergeSnapshot<T extends { id: string }>(
  snapshot: readonly T[],
  current: readonly T[],
  updatedMeanwhile: readonly string[],
): T[] {
  const byId = new Map(current.map((record) => [record.id, record]));
  const merged = snapshot.map((record) =>
    updatedMeanwhile.includes(record.id) ? (byId.get(record.id) ?? record) : record,
  );
  const inSnapshot = new Set(snapshot.map((record) => record.id));
  for (const record of current) if (!inSnapshot.has(record.id)) merged.push(record);
  return merged;
}
