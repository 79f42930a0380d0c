import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Linux cgroup v2 primitives, as systemd uses them for a unit: every process of a run lives in
 * the run's cgroup whatever it does (a new session, a new process group, a double fork), so
 * `cgroup.kill` stops all of them at once and `cgroup.events` says when the last one is gone.
 * Core files only (`cgroup.procs`, `cgroup.kill`, `cgroup.events`): no controller is enabled, so
 * the "no internal processes" rule does not apply and nothing needs delegating but the folder.
 */

/** Where the cgroup2 file system is mounted (`/sys/fs/cgroup`, or `/sys/fs/cgroup/unified` on hybrid systems). */
export function cgroup2Mount(mountinfo = readText('/proc/self/mountinfo')): string | null {
  for (const line of mountinfo?.split('\n') ?? []) {
    const [before, after] = line.split(' - ');
    if (!after || after.split(' ')[0] !== 'cgroup2') continue;
    const mountPoint = before!.split(' ')[4];
    if (mountPoint) return mountPoint.replace(/\\040/g, ' ');
  }
  return null;
}

/** This process's cgroup in the v2 hierarchy (the `0::` line of /proc/self/cgroup). */
export function ownCgroup(text = readText('/proc/self/cgroup')): string | null {
  const line = text?.split('\n').find((entry) => entry.startsWith('0::'));
  return line ? line.slice(3) : null;
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** Moves a process into a cgroup: null when done, else the error code (ESRCH: it is gone already). */
export function moveInto(dir: string, pid: number): string | null {
  try {
    writeFileSync(join(dir, 'cgroup.procs'), String(pid));
    return null;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? 'EIO';
  }
}

/** True while a process lives in the cgroup or one below it (zombies do not count). */
export function populated(dir: string): boolean {
  const events = readText(join(dir, 'cgroup.events'));
  return events !== null && /^populated 1$/m.test(events);
}

/** SIGKILLs every process in the cgroup and below it, atomically (no fork escapes it). */
export function killCgroup(dir: string): void {
  try {
    writeFileSync(join(dir, 'cgroup.kill'), '1');
  } catch {
    // gone already
  }
}

/** Every process in the cgroup and below it. */
export function cgroupPids(dir: string): number[] {
  const pids = (readText(join(dir, 'cgroup.procs')) ?? '').split('\n').filter(Boolean).map(Number);
  for (const child of subgroups(dir)) pids.push(...cgroupPids(join(dir, child)));
  return pids;
}

function subgroups(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name);
  } catch {
    return [];
  }
}

/** Sends a signal to every process of the cgroup (SIGKILL goes through `cgroup.kill`). */
export function signalCgroup(dir: string, signal: NodeJS.Signals): number {
  if (signal === 'SIGKILL') {
    const count = populated(dir) ? 1 : 0;
    killCgroup(dir);
    return count;
  }
  let count = 0;
  for (const pid of cgroupPids(dir)) {
    try {
      process.kill(pid, signal);
      count++;
    } catch {
      // exited meanwhile
    }
  }
  return count;
}

/** Removes a cgroup and every cgroup below it (each must be empty: kill first). */
export function removeCgroup(dir: string): boolean {
  for (const child of subgroups(dir)) removeCgroup(join(dir, child));
  try {
    rmdirSync(dir);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

/** Kills everything in a cgroup tree, waits (briefly) for it to empty, and removes it. */
export async function destroyCgroup(dir: string, waitMs = 2000): Promise<boolean> {
  killCgroup(dir);
  const deadline = Date.now() + waitMs;
  while (populated(dir) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  return removeCgroup(dir);
}

export interface CgroupTree {
  /** `<mount><own cgroup>/forkscope-<pid>[-n]`: one child cgroup per run, and `helper`. */
  dir: string;
  /** Where the spawn helper lives between spawns. */
  helper: string;
}

let treeCount = 0;

/**
 * Creates this engine's cgroup tree, or says why it cannot: no cgroup v2, no `cgroup.kill`
 * (kernel < 5.14), or a folder we may not write (not root, no delegation).
 */
export function createCgroupTree(): CgroupTree | { reason: string } {
  if (process.platform !== 'linux') return { reason: 'not Linux' };
  const mount = cgroup2Mount();
  if (!mount) return { reason: 'no cgroup v2 file system is mounted' };
  const own = ownCgroup();
  if (own === null) return { reason: 'this process is not in the cgroup v2 hierarchy' };
  const parent = join(mount, own);
  if (!existsSync(join(parent, 'cgroup.procs'))) return { reason: `${parent} is not a cgroup` };
  sweepStaleTrees(parent);
  const dir = join(parent, `forkscope-${process.pid}${treeCount++ ? `-${treeCount}` : ''}`);
  try {
    mkdirSync(dir);
  } catch (error) {
    const err = error as NodeJS.ErrnoException;
    if (err.code !== 'EEXIST') return { reason: `cannot create a cgroup in ${parent} (${err.code})` };
  }
  if (!existsSync(join(dir, 'cgroup.kill'))) {
    removeCgroup(dir);
    return { reason: 'the kernel has no cgroup.kill (Linux 5.14+)' };
  }
  const helper = join(dir, 'helper');
  try {
    mkdirSync(helper, { recursive: true });
  } catch (error) {
    removeCgroup(dir);
    return { reason: `cannot create a cgroup in ${dir} (${(error as NodeJS.ErrnoException).code})` };
  }
  return { dir, helper };
}

/**
 * A host that was SIGKILLed and whose watchdog died too leaves its `forkscope-<pid>` tree: the
 * next start kills what is in it and removes it. A tree whose host is alive is left alone.
 */
export function sweepStaleTrees(parent: string): string[] {
  const removed: string[] = [];
  for (const name of subgroups(parent)) {
    const match = /^forkscope-(\d+)(?:-\d+)?$/.exec(name);
    if (!match || Number(match[1]) === process.pid || pidAlive(Number(match[1]))) continue;
    const dir = join(parent, name);
    killCgroup(dir);
    // cgroup.kill only queues the signals: give the processes a moment to die.
    for (let waited = 0; populated(dir) && waited < 1000; waited += 10) sleepSync(10);
    if (removeCgroup(dir)) removed.push(dir);
  }
  return removed;
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
