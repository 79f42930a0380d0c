import { EventEmitter } from 'node:events';
import type { DescendantLane, DescendantsInfo } from '../../../contract';
import { ProcessLister, type RawProcess } from './lister';
import { hasProc, listPids, readCmdline, readStat, startTimeMs, type ProcStat } from './proc-reader';

export interface TrackedRunSource {
  /** The run's pid and label, or null when there is no such run. */
  lookup(runId: string): { pid: number | null; label: string } | null;
}

export interface LanesEvent {
  runId: string;
  rootPid: number | null;
  tracking: boolean;
  lanes: DescendantLane[];
}

interface Member {
  lane: DescendantLane;
  startTicks: number;
}

interface Tracked {
  runId: string;
  label: string;
  rootPid: number | null;
  lanes: DescendantLane[];
  /** Live members by pid. */
  live: Map<number, Member>;
  changed: Set<DescendantLane>;
  tracking: boolean;
}

/**
 * Follows the process tree of runs over time: every descendant gets a lane from its start to
 * its exit. On Linux a tick lists /proc (one getdents) and reads `stat` only for pids it has
 * not seen before and for the live members, so sampling at 100 Hz costs little even with
 * thousands of processes. A descendant is a process whose parent is a member, or that is in
 * the run's process group (every run leads its own group), which also catches orphans.
 */
export class DescendantTracker extends EventEmitter<{ lanes: [LanesEvent] }> {
  readonly intervalMs: number;
  private readonly runs = new Map<string, Tracked>();
  private seenPids = new Set<number>();
  private timer: NodeJS.Timeout | null = null;
  private busy = false;
  private readonly lister: ProcessLister | null;

  constructor(
    private readonly source: TrackedRunSource,
    options: { intervalMs?: number } = {},
  ) {
    super();
    this.lister = hasProc ? null : new ProcessLister();
    this.intervalMs = options.intervalMs ?? (hasProc ? 10 : 250);
  }

  get sampleHz(): number {
    return Math.round(1000 / this.intervalMs);
  }

  /** Starts following a run (idempotent); its current descendants are found at once. */
  track(runId: string): DescendantsInfo {
    const existing = this.runs.get(runId);
    if (existing) return this.info(runId);
    const run = this.source.lookup(runId);
    if (!run) throw new Error(`There is no run ${runId}.`);
    const tracked: Tracked = {
      runId,
      label: run.label,
      rootPid: run.pid,
      lanes: [],
      live: new Map(),
      changed: new Set(),
      tracking: run.pid !== null,
    };
    this.runs.set(runId, tracked);
    if (run.pid !== null && hasProc) {
      const stat = readStat(run.pid);
      if (stat && stat.state !== 'Z') {
        this.join(tracked, stat, 0, true);
        this.scanAll(tracked);
      } else tracked.tracking = false;
    }
    this.flush();
    this.schedule();
    return this.info(runId);
  }

  info(runId: string): DescendantsInfo {
    const tracked = this.runs.get(runId);
    if (!tracked) {
      const run = this.source.lookup(runId);
      if (!run) throw new Error(`There is no run ${runId}.`);
      return {
        runId,
        rootPid: run.pid,
        label: run.label,
        tracking: false,
        sampleHz: this.sampleHz,
        lanes: [],
      };
    }
    return {
      runId,
      rootPid: tracked.rootPid,
      label: tracked.label,
      tracking: tracked.tracking,
      sampleHz: this.sampleHz,
      lanes: tracked.lanes.map((lane) => ({ ...lane })),
    };
  }

  all(): DescendantsInfo[] {
    return [...this.runs.keys()].map((runId) => this.info(runId));
  }

  isTracking(runId: string): boolean {
    return this.runs.get(runId)?.tracking ?? false;
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const tracked of this.runs.values()) tracked.tracking = false;
  }

  private schedule(): void {
    if (this.timer || ![...this.runs.values()].some((tracked) => tracked.tracking)) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.tick().finally(() => this.schedule());
    }, this.intervalMs);
    this.timer.unref?.();
  }

  private join(tracked: Tracked, stat: ProcStat, depth: number, root = false): void {
    const lane: DescendantLane = {
      pid: stat.pid,
      ppid: stat.ppid,
      name: stat.name,
      cmd: readCmdline(stat.pid) || `[${stat.name}]`,
      start: startTimeMs(stat.startTicks),
      end: null,
      root,
      depth,
      zombie: false,
    };
    tracked.lanes.push(lane);
    tracked.live.set(stat.pid, { lane, startTicks: stat.startTicks });
    tracked.changed.add(lane);
  }

  private end(tracked: Tracked, member: Member, t: number, zombie: boolean): void {
    member.lane.end = Math.max(t, member.lane.start);
    member.lane.zombie = zombie;
    tracked.live.delete(member.lane.pid);
    tracked.changed.add(member.lane);
  }

  /** A process first seen already dead: its lane ends no later than its run's. */
  private endAsFound(tracked: Tracked, pid: number): void {
    const member = tracked.live.get(pid);
    if (!member) return;
    const rootEnd = tracked.lanes.find((lane) => lane.root)?.end ?? Date.now();
    this.end(tracked, member, Math.min(Date.now(), rootEnd), true);
  }

  /** Is this process a member of the run's tree? Returns its depth, or -1. */
  private depthIn(tracked: Tracked, stat: ProcStat): number {
    const parent = tracked.live.get(stat.ppid);
    if (parent) return parent.lane.depth + 1;
    if (tracked.rootPid !== null && stat.pgid === tracked.rootPid && stat.pid !== tracked.rootPid) return 1;
    return -1;
  }

  /** Adds members among these stats, parents before children whatever their pid order. */
  private adopt(tracked: Tracked, stats: ProcStat[]): void {
    // Zombies count: a child that lived less than one sample and was never reaped (an orphan here,
    // where PID 1 does not reap) is still seen, as a lane that has already ended.
    let pending = stats.filter(
      (stat) => !tracked.live.has(stat.pid) && !tracked.lanes.some((lane) => lane.pid === stat.pid),
    );
    let progress = true;
    while (progress && pending.length > 0) {
      progress = false;
      const rest: ProcStat[] = [];
      for (const stat of pending) {
        const depth = this.depthIn(tracked, stat);
        if (depth >= 0) {
          this.join(tracked, stat, depth);
          if (stat.state === 'Z') this.endAsFound(tracked, stat.pid);
          progress = true;
        } else rest.push(stat);
      }
      pending = rest;
    }
  }

  private scanAll(tracked: Tracked): void {
    const stats: ProcStat[] = [];
    for (const pid of listPids()) {
      const stat = readStat(pid);
      if (stat) stats.push(stat);
    }
    this.adopt(tracked, stats);
  }

  private async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      if (hasProc) this.tickProc();
      else await this.tickPsList();
      this.flush();
    } finally {
      this.busy = false;
    }
  }

  private tickProc(): void {
    const t = Date.now();
    const pids = listPids();
    const active = [...this.runs.values()].filter((tracked) => tracked.tracking);
    // Members first: gone, turned zombie, or replaced by a new process with the same pid.
    for (const tracked of active) {
      for (const member of [...tracked.live.values()]) {
        const stat = readStat(member.lane.pid);
        if (!stat || stat.startTicks !== member.startTicks) this.end(tracked, member, t, false);
        else if (stat.state === 'Z') this.end(tracked, member, t, true);
        else if (stat.name !== member.lane.name) {
          member.lane.name = stat.name;
          member.lane.cmd = readCmdline(stat.pid) || member.lane.cmd;
          tracked.changed.add(member.lane);
        }
      }
    }
    const fresh: ProcStat[] = [];
    const seen = new Set<number>();
    for (const pid of pids) {
      seen.add(pid);
      if (this.seenPids.has(pid)) continue;
      const stat = readStat(pid);
      if (stat) fresh.push(stat);
    }
    this.seenPids = seen;
    for (const tracked of active) {
      this.adopt(tracked, fresh);
      if (tracked.live.size === 0) tracked.tracking = false;
    }
  }

  private async tickPsList(): Promise<void> {
    const listing = await this.lister!.list();
    const t = listing.t;
    const byPid = new Map(listing.processes.map((entry) => [entry.pid, entry]));
    for (const tracked of this.runs.values()) {
      if (!tracked.tracking) continue;
      for (const member of [...tracked.live.values()]) {
        if (!byPid.has(member.lane.pid)) this.end(tracked, member, t, false);
      }
      if (tracked.lanes.length === 0 && tracked.rootPid !== null) {
        const root = byPid.get(tracked.rootPid);
        if (root) this.joinListed(tracked, root, t, 0);
      }
      let progress = true;
      while (progress) {
        progress = false;
        for (const entry of listing.processes) {
          const parent = tracked.live.get(entry.ppid);
          if (!parent || tracked.live.has(entry.pid) || tracked.lanes.some((lane) => lane.pid === entry.pid))
            continue;
          this.joinListed(tracked, entry, t, parent.lane.depth + 1);
          progress = true;
        }
      }
      if (tracked.live.size === 0) tracked.tracking = false;
    }
  }

  /** A process from a ps-list listing joins the run's tree (depth 0: the run itself). */
  private joinListed(tracked: Tracked, entry: RawProcess, t: number, depth: number): void {
    const lane: DescendantLane = {
      pid: entry.pid,
      ppid: entry.ppid,
      name: entry.name,
      cmd: entry.cmd,
      start: entry.start || t,
      end: null,
      root: depth === 0,
      depth,
      zombie: false,
    };
    tracked.lanes.push(lane);
    tracked.live.set(entry.pid, { lane, startTicks: 0 });
    tracked.changed.add(lane);
  }

  private flush(): void {
    for (const tracked of this.runs.values()) {
      if (tracked.changed.size === 0) continue;
      const lanes = [...tracked.changed].map((lane) => ({ ...lane }));
      tracked.changed.clear();
      this.emit('lanes', {
        runId: tracked.runId,
        rootPid: tracked.rootPid,
        tracking: tracked.tracking,
        lanes,
      });
    }
  }
}
