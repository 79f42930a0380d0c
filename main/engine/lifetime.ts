import { spawnSync } from 'node:child_process';

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

/** True while any process of the group exists (zombies included: they are harmless to signal). */
export function treeExists(pid: number): boolean {
  if (process.platform === 'win32') return false;
  try {
    process.kill(-pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
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
