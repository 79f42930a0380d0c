import { readFileSync, readdirSync } from 'node:fs';
import { readStat } from '../system/proc-reader';

/**
 * The environment marker: every process a run starts carries `FORKSCOPE_RUN=<host>.<token>.<slot>`
 * and hands it down to its own children, whatever process group or session they move to and
 * however often they fork (Jenkins' ProcessTreeKiller finds a build's daemons the same way). Where
 * no cgroup can hold a run, scanning /proc for the marker finds what left the run's process group.
 * A process that clears its environment (`env -i`) is not found this way.
 */
export const markVar = 'FORKSCOPE_RUN';

/** The whole environment block of a process, or null (gone, or not ours to read). */
function readEnviron(pid: number): Buffer | null {
  try {
    return readFileSync(`/proc/${pid}/environ`);
  } catch {
    return null;
  }
}

/**
 * Live processes (not zombies) whose environment holds `FORKSCOPE_RUN=<prefix>…`, each with the
 * whole marker it carries: one /proc scan answers for every run of a host. Linux only.
 */
export function scanMarked(prefix: string): Map<string, number[]> {
  const found = new Map<string, number[]>();
  if (process.platform !== 'linux') return found;
  const needle = Buffer.from(`${markVar}=${prefix}`);
  const valueAt = markVar.length + 1;
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return found;
  }
  for (const entry of entries) {
    const code = entry.charCodeAt(0);
    if (code < 48 || code > 57) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    const block = readEnviron(pid);
    if (!block?.length) continue;
    const length = block.length;
    let at = block.indexOf(needle);
    while (at > 0 && block[at - 1] !== 0) at = block.indexOf(needle, at + 1);
    if (at < 0) continue;
    let end = block.indexOf(0, at);
    if (end < 0) end = length;
    const mark = block.toString('latin1', at + valueAt, end);
    const stat = readStat(pid);
    if (!stat || stat.state === 'Z') continue;
    const pids = found.get(mark);
    if (pids) pids.push(pid);
    else found.set(mark, [pid]);
  }
  return found;
}

/** Live processes carrying exactly this marker (`exact`) or any marker starting with it. */
export function markedPids(prefix: string, exact = false): number[] {
  const found = scanMarked(prefix);
  if (exact) return found.get(prefix) ?? [];
  return [...found.values()].flat();
}

/** Signals every marked process; returns how many were signalled. */
export function signalMarked(prefix: string, signal: NodeJS.Signals, exact = false): number {
  return signalPids(markedPids(prefix, exact), signal);
}

export function signalPids(pids: number[], signal: NodeJS.Signals): number {
  let count = 0;
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
      count++;
    } catch {
      // gone meanwhile
    }
  }
  return count;
}
