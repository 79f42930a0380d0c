import type { OutputLine, StreamName } from '../../../../contract';

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
    merged = interleave(held, incoming);
  }
  return merged.length > limit ? merged.slice(merged.length - limit) : merged;
}

/** Two seq-sorted lists as one, in seq order; a line in both is kept once (the newer copy). */
export function interleave(held: readonly OutputLine[], incoming: readonly OutputLine[]): OutputLine[] {
  if (incoming.length === 0) return held as OutputLine[];
  if (held.length === 0) return incoming as OutputLine[];
  const merged: OutputLine[] = [];
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
  return merged;
}

/** True when the held lines have no hole in their sequence numbers (nothing skipped in a flood). */
export function isContiguous(lines: readonly OutputLine[]): boolean {
  if (lines.length === 0) return true;
  return lines.at(-1)!.seq - lines[0]!.seq + 1 === lines.length;
}

export type StreamWindows = Readonly<Record<StreamName, readonly OutputLine[]>>;

export const emptyWindows: StreamWindows = { stdout: [], stderr: [] };

/**
 * Adds `incoming` (either stream, sorted by seq) to each stream's own window of the newest `limit`
 * lines: a flood on one stream never pushes the other's lines out.
 */
export function mergeStreamWindows(
  held: StreamWindows,
  incoming: readonly OutputLine[],
  limit: number,
): StreamWindows {
  if (incoming.length === 0) return held;
  const stdout = incoming.filter((line) => line.stream === 'stdout');
  const stderr = stdout.length === incoming.length ? [] : incoming.filter((line) => line.stream === 'stderr');
  return {
    stdout: mergeWindow(held.stdout, stdout, limit),
    stderr: mergeWindow(held.stderr, stderr, limit),
  };
}

/**
 * True when the windows have no hole a back-fill could fill: from the newest point where a full
 * stream window begins (before it, that stream's older lines are gone on purpose), every line of
 * both streams is held.
 */
export function windowsContiguous(windows: StreamWindows, limit: number): boolean {
  const { stdout, stderr } = windows;
  let from = Math.min(stdout[0]?.seq ?? Infinity, stderr[0]?.seq ?? Infinity);
  if (from === Infinity) return true;
  for (const lines of [stdout, stderr]) if (lines.length >= limit) from = Math.max(from, lines[0]!.seq);
  const last = Math.max(stdout.at(-1)?.seq ?? -1, stderr.at(-1)?.seq ?? -1);
  const count = (lines: readonly OutputLine[]) => lines.length - firstAtOrAfter(lines, from);
  return last - from + 1 === count(stdout) + count(stderr);
}

/** The index of the first line whose seq is at least `seq` (binary search). */
export function firstAtOrAfter(lines: readonly { seq: number }[], seq: number): number {
  let low = 0;
  let high = lines.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (lines[middle]!.seq < seq) low = middle + 1;
    else high = middle;
  }
  return low;
}
