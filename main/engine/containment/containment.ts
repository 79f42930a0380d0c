import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { signalTree, treeExists } from '../lifetime';

/** A live member in the group: first the cheap syscall (no member at all), then /proc (zombies). */
function groupAlive(pgid: number): boolean {
  if (process.platform !== 'win32') {
    try {
      process.kill(-pgid, 0);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    }
  }
  return treeExists(pgid);
}
import { readStat } from '../system/proc-reader';
import {
  createCgroupTree,
  destroyCgroup,
  killCgroup,
  moveInto,
  populated,
  removeCgroup,
  signalCgroup,
  type CgroupTree,
} from './cgroups';
import { markVar, scanMarked, signalMarked, signalPids } from './marker';
import { sweepStaleTempDirs, watchTempDirs } from './temp-dirs';
import type { ToWatchdog } from './watchdog-protocol';

/**
 * - `cgroup`: Linux cgroup v2, one cgroup per run; `cgroup.kill` stops every process of it, and the
 *   run ends when the cgroup is empty.
 * - `groups`: each run's process group, plus (Linux) every process carrying the run's environment
 *   marker, found in /proc; a watchdog process does the same if the host dies.
 * - `tree`: Windows: `taskkill /T` walks the tree from the run's process.
 */
export type ContainmentMode = 'cgroup' | 'groups' | 'tree';

export interface ContainmentInfo {
  mode: ContainmentMode;
  /** One sentence for the UI: what is in force, and why not cgroups when they are not. */
  detail: string;
}

/** Where one run's processes are kept: made before the run's first process starts. */
export interface Slot {
  key: string;
  /** The value of `FORKSCOPE_RUN` for this run's processes. */
  mark: string;
  /** The run's cgroup (cgroup mode). */
  cgroup: string | null;
  /** The run's first process (its process group's id) and its start time. */
  pid: number | null;
  startTicks: number | null;
  /** Its first process went into its cgroup (so all its descendants are there too). */
  contained: boolean;
  released: boolean;
}

/** A run's first process as its spawner saw it, when the spawner knows (the native spawn helper). */
export interface Placement {
  /** It was forked inside its run's cgroup. */
  inCgroup: boolean;
  /** Its start time (clock ticks after boot), or null when unknown. */
  startTicks: number | null;
}

export interface ContainmentOptions {
  /** The built watchdog script (out/main/watchdog.js); none: no watchdog (a test's own engine). */
  watchdogPath?: string;
}

/** Empty cgroups kept for reuse, at most. */
const maxFreeCgroups = 64;
/** How long a message to the watchdog may wait for others to go with it. */
const watchdogBatchMs = 20;

/** One per engine: keeps every run's processes together and stops all of them. */
export class Containment {
  readonly mode: ContainmentMode;
  readonly detail: string;
  readonly tree: CgroupTree | null;
  /** Every marker this engine hands out starts with this: `<pid>.<random>.` */
  readonly markPrefix = `${process.pid}.${randomBytes(6).toString('hex')}.`;
  private readonly slots = new Set<Slot>();
  private nextSlot = 1;
  /**
   * Empty cgroups of runs that ended, for the next runs: a pool of K commands would otherwise
   * make and remove a cgroup per run (mkdir, readdir, rmdir: a tenth of a command's cost).
   */
  private readonly freeCgroups: string[] = [];
  /** Lines for the watchdog not written yet (see tell). */
  private toWatchdog = '';
  private toWatchdogTimer: NodeJS.Timeout | null = null;
  private watchdog: ChildProcess | null = null;
  private disposed = false;
  private unwatchDirs: (() => void) | null = null;

  constructor(private readonly options: ContainmentOptions = {}) {
    sweepStaleTempDirs();
    const forced = process.env.FORKSCOPE_CONTAINMENT;
    if (process.platform === 'win32') {
      this.mode = 'tree';
      this.tree = null;
      this.detail = 'Windows: taskkill /T stops the tree of each run.';
    } else {
      const tree = forced === 'groups' ? { reason: 'FORKSCOPE_CONTAINMENT=groups' } : createCgroupTree();
      if ('dir' in tree) {
        this.mode = 'cgroup';
        this.tree = tree;
        this.detail = `cgroup v2 per run (${tree.dir}): every process a run starts is stopped with it, even after setsid or a double fork.`;
      } else {
        this.mode = 'groups';
        this.tree = null;
        this.detail =
          process.platform === 'linux'
            ? `process groups + environment marker + watchdog (no cgroup: ${tree.reason}).`
            : `process groups + watchdog (no cgroup: ${tree.reason}); a process that leaves its run's group is not followed.`;
      }
    }
    this.startWatchdog();
  }

  info(): ContainmentInfo {
    return { mode: this.mode, detail: this.detail };
  }

  /** The run's cgroup is made before its first process starts, so the spawn helper can start it inside. */
  allocate(): Slot {
    const key = `s${this.nextSlot++}`;
    const slot: Slot = {
      key,
      mark: this.markPrefix + key,
      cgroup: null,
      pid: null,
      startTicks: null,
      contained: false,
      released: false,
    };
    if (this.tree) {
      const dir = join(this.tree.dir, key);
      const reused = this.freeCgroups.pop();
      if (reused !== undefined) slot.cgroup = reused;
      else {
        try {
          mkdirSync(dir);
          slot.cgroup = dir;
        } catch {
          // Left to the process group and the marker.
        }
      }
    }
    this.slots.add(slot);
    return slot;
  }

  /** The environment a run's processes get: the caller's, plus the run's marker. */
  env(slot: Slot, env: Record<string, string>): Record<string, string> {
    return { ...env, [markVar]: slot.mark };
  }

  /**
   * The run's first process has started. A command is already in its cgroup (the spawn helper
   * forked it from inside); a fork or a pool worker is moved in now, synchronously, before the
   * engine does anything else. That leaves a window of a few hundred microseconds in which the
   * child is outside — but a forked Node needs tens of milliseconds to boot before it can run any
   * code of its own, so nothing it starts can escape. The native spawn helper says when it forked
   * a command inside and reads its start time (before it can be reaped): both are not done again.
   */
  placed(slot: Slot, pid: number, known?: Placement): void {
    slot.pid = pid;
    if (slot.cgroup && known?.inCgroup) slot.contained = true;
    else if (slot.cgroup) {
      // ESRCH: a command that exited already — the spawn helper had forked it inside.
      const error = moveInto(slot.cgroup, pid);
      slot.contained = error === null || error === 'ESRCH';
    }
    slot.startTicks = known?.startTicks ?? readStat(pid)?.startTicks ?? 0;
    this.tell({ t: 'group', key: slot.key, pgid: pid, startTicks: slot.startTicks });
  }

  /** True while any process of the run is alive (zombies do not count). */
  alive(slot: Slot): boolean {
    if (slot.cgroup && populated(slot.cgroup)) return true;
    if (slot.contained) return false;
    if (slot.pid !== null && groupAlive(slot.pid)) return true;
    return this.mode === 'groups' && this.marked(slot).length > 0;
  }

  private scan: { at: number; found: Map<string, number[]> } | null = null;

  /**
   * The live processes carrying a run's marker. One /proc scan (every process's environment)
   * answers for all runs, and is reused for 50 ms: a thousand runs ending together cost one scan.
   */
  private marked(slot: Slot, fresh = false): number[] {
    if (fresh || !this.scan || performance.now() - this.scan.at > 50)
      this.scan = { at: performance.now(), found: scanMarked(this.markPrefix) };
    return this.scan.found.get(slot.mark) ?? [];
  }

  /** Resolves once every process of the run is gone (at once, usually). */
  async whenEmpty(slot: Slot): Promise<void> {
    let wait = 10;
    while (this.alive(slot)) {
      await delay(wait);
      wait = Math.min(wait * 2, this.mode === 'cgroup' ? 100 : 250);
    }
  }

  /**
   * Whether the run's process group id still names the run's group: while the leader lives it is
   * the process recorded (same start time); once it is gone its id cannot be reused while any
   * member of the group is left, so the members are the run's.
   */
  private groupOurs(slot: Slot): boolean {
    if (slot.pid === null) return false;
    const leader = readStat(slot.pid);
    if (leader === null) return true;
    if (slot.startTicks) return leader.startTicks === slot.startTicks;
    // The leader exited before its start time was read: a process with its pid now is someone else's.
    return leader.pgid !== slot.pid;
  }

  /**
   * Signals every process of the run: its process group, its cgroup (SIGKILL: `cgroup.kill`),
   * the processes carrying its marker. 'refused' when the group could not be signalled (EPERM).
   */
  signal(slot: Slot, signal: NodeJS.Signals): 'sent' | 'gone' | 'refused' {
    let outcome: 'sent' | 'gone' | 'refused' = 'gone';
    if (slot.pid !== null && this.groupOurs(slot)) outcome = signalTree(slot.pid, signal);
    if (slot.cgroup && signalCgroup(slot.cgroup, signal) > 0 && outcome === 'gone') outcome = 'sent';
    if (this.mode === 'groups' && signalPids(this.marked(slot, true), signal) > 0 && outcome === 'gone')
      outcome = 'sent';
    return outcome;
  }

  /** Terminate: SIGTERM to all, the grace period, SIGKILL to what is left. */
  async stop(slot: Slot, graceMs: number): Promise<'sent' | 'gone' | 'refused'> {
    const outcome = this.signal(slot, 'SIGTERM');
    if (outcome !== 'sent') return outcome;
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline) {
      if (!this.alive(slot)) return 'sent';
      await delay(Math.min(50, graceMs));
    }
    this.kill(slot);
    return 'sent';
  }

  /** SIGKILL to every process of the run, at once. */
  kill(slot: Slot): 'sent' | 'gone' | 'refused' {
    return this.signal(slot, 'SIGKILL');
  }

  /** The run has ended: its (empty) cgroup is removed. */
  release(slot: Slot): void {
    if (slot.released) return;
    slot.released = true;
    this.slots.delete(slot);
    // A launch that failed half-way may have left its child in there.
    const busy = slot.cgroup !== null && populated(slot.cgroup);
    if (busy) killCgroup(slot.cgroup!);
    // Empty (nothing can enter it but through us): kept for the next run as it is. A cgroup the
    // run made below its own stays, empty, until the tree is removed at shutdown.
    if (slot.cgroup && !busy && !this.disposed && this.freeCgroups.length < maxFreeCgroups) {
      this.freeCgroups.push(slot.cgroup);
    } else if (slot.cgroup && !removeCgroup(slot.cgroup)) {
      // Still busy (a kill in flight): try again shortly.
      void delay(500).then(() => removeCgroup(slot.cgroup!));
    }
    this.tell({ t: 'end', key: slot.key });
  }

  /** Synchronous last resort (a crash of the host): SIGKILL every process of every run. */
  killAll(): void {
    this.flushWatchdog();
    for (const slot of this.slots) this.kill(slot);
    if (this.tree) killCgroup(this.tree.dir);
    if (this.mode === 'groups') signalMarked(this.markPrefix, 'SIGKILL');
  }

  /**
   * Shutdown, after every run was stopped: kill whatever is left (the spawn helper's cgroup
   * included), remove the cgroup tree, and let the watchdog go (it finds nothing left).
   */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.killAll();
    if (this.tree) await destroyCgroup(this.tree.dir);
    this.unwatchDirs?.();
    this.flushWatchdog();
    const watchdog = this.watchdog;
    this.watchdog = null;
    watchdog?.stdin?.end();
  }

  /** The spawn helper lives in its own cgroup between spawns (it moves into a run's to fork it). */
  adoptHelper(pid: number): void {
    if (this.tree) moveInto(this.tree.helper, pid);
  }

  private startWatchdog(): void {
    if (!this.options.watchdogPath || process.platform === 'win32' || this.disposed) return;
    const watchdog = spawn(process.execPath, ['--max-semi-space-size=1', this.options.watchdogPath], {
      // Electron's binary is Node only with this variable; plain Node ignores it.
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
      stdio: ['pipe', 'ignore', 'ignore'],
      // Its own session: a Ctrl-C meant for the host does not reach it.
      detached: true,
      windowsHide: true,
    });
    watchdog.on('error', () => {});
    watchdog.stdin?.on('error', () => {});
    // It must never keep the host alive.
    watchdog.unref();
    (watchdog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    this.watchdog = watchdog;
    // A new watchdog is told everything below: what was queued for the last one is not needed.
    this.toWatchdog = '';
    this.tell({ t: 'init', tree: this.tree?.dir ?? null, markPrefix: this.markPrefix, host: process.pid });
    for (const slot of this.slots) {
      if (slot.pid !== null)
        this.tell({ t: 'group', key: slot.key, pgid: slot.pid, startTicks: slot.startTicks ?? 0 });
    }
    this.unwatchDirs?.();
    this.unwatchDirs = watchTempDirs((t, path) => this.tell({ t, path }));
    // Killed by someone: start another, told everything again.
    watchdog.once('exit', () => {
      if (this.watchdog === watchdog && !this.disposed) {
        this.watchdog = null;
        this.startWatchdog();
      }
    });
  }

  get watchdogPid(): number | undefined {
    return this.watchdog?.pid;
  }

  /**
   * Messages to the watchdog go out together, at most every `watchdogBatchMs`: one write per
   * message woke the watchdog twice per run (a tenth of a command's cost in a pool of `true`s).
   * What the delay risks is small: a host killed in those milliseconds leaves the watchdog
   * without its newest runs' groups, which the cgroup tree, the marker scan and the spawn
   * helper's own cleanup still cover.
   */
  private tell(message: ToWatchdog): void {
    if (!this.watchdog) return;
    this.toWatchdog += JSON.stringify(message) + '\n';
    if (this.toWatchdogTimer) return;
    this.toWatchdogTimer = setTimeout(() => this.flushWatchdog(), watchdogBatchMs);
    this.toWatchdogTimer.unref();
  }

  private flushWatchdog(): void {
    if (this.toWatchdogTimer) clearTimeout(this.toWatchdogTimer);
    this.toWatchdogTimer = null;
    const lines = this.toWatchdog;
    this.toWatchdog = '';
    const stdin = this.watchdog?.stdin;
    if (lines && stdin && !stdin.destroyed) stdin.write(lines);
  }
}
