import type { OutputLine } from '../../../../contract';

/**
 * Merges `incoming` into `held` (both sorted by seq), dropping duplicates, and keeps the newest
 * `limit` lines. Live lines usually come after everything held: that case is a plain append.
 */
export function mergeWindow(
  held: readonly OutputLine[],
  incoming: readonly OutputLine[],
  limit: number,
): OutputLine[] {
  if (incoming.length === 0) return held as OutputLine[];
  const lastHeld = held.at(-1)?.seq ?? -1;
  let merged: OutputLine[];
  if (incoming[0]!.seq > lastHeld) {
    merged = held.length + incoming.length <= limit ? held.concat(incoming) : [...held, ...incoming];
  } else {
    merged = [];
    let i = 0;
    let j = 0;
    while (i < held.length || j < incoming.length) {
      const a = held[i];
      const b = incoming[j];
      if (b === undefined || (a !== undefined && a.seq < b.seq)) {
        merged.push(a!);
        i++;
      } else if (a === undefined || b.seq < a.seq) {
        merged.push(b);
        j++;
      } else {
        merged.push(b);
        i++;
        j++;
      }
    }
  }
  return merged.length > limit ? merged.slice(merged.length - limit) : merged;
}

/** True when the held lines have no hole in their sequence numbers (nothing skipped in a flood). */
export function isContiguous(lines: readonly OutputLine[]): boolean {
  if (lines.length === 0) return true;
  return lines.at(-1)!.seq - lines[0]!.seq + 1 === lines.length;
}
