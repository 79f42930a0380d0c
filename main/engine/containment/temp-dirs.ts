import { readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Temporary folders this process owns (the queue broker's socket and spill folders): the watchdog removes
 * them if the host dies without doing it, and the next start removes those of a dead host. Their
 * names carry the owner's pid: `forkscope-q-<pid>-XXXXXX`.
 */
const owned = new Set<string>();
const listeners = new Set<(op: 'dir' | 'undir', path: string) => void>();

export function tempDirPrefix(kind: string): string {
  return join(tmpdir(), `forkscope-${kind}-${process.pid}-`);
}

export function ownTempDir(path: string): void {
  owned.add(path);
  for (const listener of listeners) listener('dir', path);
}

export function releaseTempDir(path: string): void {
  owned.delete(path);
  for (const listener of listeners) listener('undir', path);
}

/** Follows the owned folders (the ones owned already are told at once); returns an unsubscribe. */
export function watchTempDirs(listener: (op: 'dir' | 'undir', path: string) => void): () => void {
  for (const path of owned) listener('dir', path);
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Shared memory (tmpfs) on Linux: where the queue broker's spill folder lives, beside the socket's. */
export const sharedMemoryDir = process.platform === 'linux' ? '/dev/shm' : null;

/** Removes `forkscope-q-<pid>-*` folders (in the temp folder and shared memory) whose owner is dead. */
export function sweepStaleTempDirs(): string[] {
  const removed: string[] = [];
  for (const root of [tmpdir(), sharedMemoryDir]) {
    if (root === null) continue;
    let entries: string[];
    try {
      entries = readdirSync(root);
    } catch {
      continue;
    }
    for (const name of entries) {
      const match = /^forkscope-q-(\d+)-/.exec(name);
      if (!match || Number(match[1]) === process.pid || alive(Number(match[1]))) continue;
      try {
        rmSync(join(root, name), { recursive: true, force: true });
        removed.push(join(root, name));
      } catch {
        // not ours to remove
      }
    }
  }
  return removed;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
