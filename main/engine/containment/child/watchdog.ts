/**
 * The watchdog: a small process that outlives the host. The host writes what it starts to this
 * process's stdin; when that pipe closes — the host exited, cleanly or SIGKILLed — every process
 * the host's runs started is stopped (SIGTERM, up to a second of grace, SIGKILL): the host's cgroup
 * tree (`cgroup.kill`), every process carrying one of its environment markers, every recorded
 * process group whose leader is still the one recorded. Then its cgroups and temporary folders are
 * removed and it exits. After a clean shutdown the host has done all this already and the sweep
 * finds nothing. It runs in its own session, so a Ctrl-C in the host's terminal does not reach it.
 */
import { rmSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { readStat } from '../../system/proc-reader';
import { populated, removeCgroup, signalCgroup } from '../cgroups';
import { markedPids, signalMarked } from '../marker';
import type { ToWatchdog } from '../watchdog-protocol';

let tree: string | null = null;
let markPrefix: string | null = null;
const groups = new Map<string, { pgid: number; startTicks: number }>();
const dirs = new Set<string>();

function apply(message: ToWatchdog): void {
  switch (message.t) {
    case 'init':
      tree = message.tree;
      markPrefix = message.markPrefix;
      return;
    case 'group':
      groups.set(message.key, { pgid: message.pgid, startTicks: message.startTicks });
      return;
    case 'end':
      groups.delete(message.key);
      return;
    case 'dir':
      dirs.add(message.path);
      return;
    case 'undir':
      dirs.delete(message.path);
      return;
  }
}

/** A recorded group is still the run's while its leader is gone or is the same process. */
function groupOurs(group: { pgid: number; startTicks: number }): boolean {
  const leader = readStat(group.pgid);
  return leader === null || leader.pgid !== group.pgid || leader.startTicks === group.startTicks;
}

function signalAll(signal: NodeJS.Signals): number {
  let count = 0;
  if (tree) count += signalCgroup(tree, signal);
  if (markPrefix) count += signalMarked(markPrefix, signal);
  for (const group of groups.values()) {
    if (!groupOurs(group)) continue;
    try {
      process.kill(-group.pgid, signal);
      count++;
    } catch {
      // an empty group
    }
  }
  return count;
}

function anyLeft(): boolean {
  if (tree && populated(tree)) return true;
  if (markPrefix && markedPids(markPrefix).length > 0) return true;
  for (const group of groups.values()) {
    try {
      if (groupOurs(group)) {
        process.kill(-group.pgid, 0);
        return true;
      }
    } catch {
      // empty
    }
  }
  return false;
}

async function sweep(): Promise<void> {
  if (signalAll('SIGTERM') > 0) {
    const deadline = Date.now() + 1000;
    while (anyLeft() && Date.now() < deadline) await delay(25);
  }
  // A process may fork while it is being signalled: go round until nothing is left.
  for (let round = 0; round < 20 && anyLeft(); round++) {
    signalAll('SIGKILL');
    await delay(25);
  }
  if (tree) {
    const deadline = Date.now() + 1000;
    while (populated(tree) && Date.now() < deadline) await delay(20);
    removeCgroup(tree);
  }
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}

let pending = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk: string) => {
  pending += chunk;
  let newline: number;
  while ((newline = pending.indexOf('\n')) >= 0) {
    const line = pending.slice(0, newline);
    pending = pending.slice(newline + 1);
    try {
      apply(JSON.parse(line) as ToWatchdog);
    } catch {
      // not a message
    }
  }
});
// The host is gone (its end of the pipe closed): stop what it left, then leave.
let swept = false;
const finish = () => {
  if (swept) return;
  swept = true;
  void sweep().finally(() => process.exit(0));
};
process.stdin.once('end', finish);
process.stdin.once('error', finish);
process.on('SIGINT', () => {});
process.on('SIGHUP', () => {});
