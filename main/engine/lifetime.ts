import { spawnSync } from 'node:child_process';
import { hasProc, listPids, readStat, startTimeMs } from './system/proc-reader';

export type SignalOutcome = 'sent' | 'gone' | 'refused';

/**
 * Signals a child's whole process group (every child is started as a group leader),
 * so grandchildren go with it; on Windows, taskkill /T walks the tree instead.
 */
export function signalTree(pid: number, signal: NodeJS.Signals): SignalOutcome {
  if (process.platform === 'win32') {
    const force = signal === 'SIGKILL' ? ['/F'] : [];
    const result = spawnSync('taskkill', ['/PID', String(pid), '/T', ...force], { windowsHide: true });
    return result.status === 0 ? 'sent' : 'gone';
  }
  try {
    process.kill(-pid, signal);
    return 'sent';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EPERM') return 'refused';
    // No group (the leader was never a group leader, or all are gone): try the process itself.
    try {
      process.kill(pid, signal);
      return 'sent';
    } catch (inner) {
      return (inner as NodeJS.ErrnoException).code === 'EPERM' ? 'refused' : 'gone';
    }
  }
}

/**
 * True while the group has a live member. Zombies do not count: this machine's PID 1 (and some
 * containers') never reaps orphans, and waiting for them would make every terminate take the full
 * grace period. Where /proc is missing, any member counts.
 */
export function treeExists(pgid: number): boolean {
  if (process.platform === 'win32') return false;
  try {
    process.kill(-pgid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  if (!hasProc) return true;
  return listPids().some((pid) => {
    const stat = readStat(pid);
    return stat !== null && stat.pgid === pgid && stat.state !== 'Z';
  });
}

/** True while the process exists and is not a zombie. */
export function processAlive(pid: number): boolean {
  if (hasProc) {
    const stat = readStat(pid);
    return stat !== null && stat.state !== 'Z';
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether a group id still names the group a run started at `startedAt`: once a group is empty
 * its id may be reused, and a new leader with that pid started later is someone else's.
 */
export function groupStillOurs(pgid: number, startedAt: number): boolean {
  if (!hasProc) return true;
  const leader = readStat(pgid);
  return leader === null || leader.pgid !== pgid || startTimeMs(leader.startTicks) <= startedAt + 1000;
}

/**
 * Terminate → grace → kill: SIGTERM to the tree; whatever is still there when the grace
 * period ends gets SIGKILL. Resolves early once the whole group is gone.
 */
export async function stopTree(pid: number, graceMs: number): Promise<SignalOutcome> {
  const outcome = signalTree(pid, 'SIGTERM');
  if (outcome !== 'sent') return outcome;
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!treeExists(pid)) return 'sent';
    await new Promise((resolve) => setTimeout(resolve, Math.min(50, graceMs)));
  }
  if (treeExists(pid)) signalTree(pid, 'SIGKILL');
  return 'sent';
}
