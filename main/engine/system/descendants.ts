import { EventEmitter } from 'node:events';
import { readdirSync } from 'node:fs';
import type { DescendantLane, DescendantsInfo, LogicalParent, PythonWait, WaitInfo } from '../../../contract';
import { ProcessLister, type RawProcess } from './lister';
import {
  hasProc,
  listPids,
  pidMax,
  readCmdline,
  readLastPid,
  readProcText,
  readStat,
  readTgid,
  startTimeMs,
  type ProcStat,
} from './proc-reader';
import { describeWait, fromPython } from './waits';

export interface TrackedRun {
  pid: number | null;
  label: string;
  /** Who asked for the run: the run or pool that started it; null for the launch form or the API. */
  parentId?: string | null;
}

export interface TrackedRunSource {
  /** The run's pid and label, or null when there is no such run. */
  lookup(runId: string): TrackedRun | null;
  /** The Python lens's current waits of the run's processes (its answer wins over the kernel's). */
  pythonWaits?(runId: string): PythonWait[] | null;
  /** The Python lens's word on who asked for each process (Process.start, Popen), by pid. */
  pythonStarters?(runId: string): Map<number, { starter: number; via: string }> | null;
}

export interface LanesEvent {
  runId: string;
  rootPid: number | null;
  tracking: boolean;
  lanes: DescendantLane[];
}

interface Member {
  lane: DescendantLane;
  tracked: Tracked;
  startTicks: number;
  startCode: number;
  /** Epoch ms of the last sample that found it alive. */
  seenAlive: number;
  /** When it is due for its next look. */
  nextCheck: number;
  zombieSince: number | null;
  /** What the last wait sample read (state + syscall head): a new description only when it changes. */
  waitKey: string;
}

interface Tracked {
  runId: string;
  label: string;
  rootPid: number | null;
  logical: LogicalParent;
  lanes: DescendantLane[];
  live: Map<number, Member>;
  zombies: Map<number, Member>;
  changed: Set<DescendantLane>;
  /** Lanes whose only change is their wait (sent at most every `waitFlushMs`). */
  waitChanged: Set<DescendantLane>;
  lastWaitFlush: number;
  tracking: boolean;
  runEnded: boolean;
  /** When tracking stopped, for the retention of old runs' lanes. */
  doneAt: number | null;
  /** Tracking stopped since the last event: say so even when no lane changed. */
  announce: boolean;
}

/** "A moment": an exit collected within this long is a normal end, past it the lane says zombie. */
export const zombieAfterMs = 250;
/** A zombie nobody collects is watched this long after its run's last live process, then left. */
const zombieWatchMs = 2000;
/** A pid that exec'd another program within this long after it started was a shim (its helpers fold). */
const foldWindowMs = 3000;
/** Stat reads per second the sampler may spend on processes it already knows (the young go first). */
const checksPerSecond = 2000;
/** A process this young is looked at every tick (a shim execs, a helper exits). */
const youngMs = 1000;
/** A candidate range of new pids larger than this is found by listing /proc instead. */
const maxRange = 4096;
const maxLanesPerRun = 5000;
const maxWaitsPerLane = 1000;
const maxExecs = 8;
/** Finished runs whose lanes are kept (the oldest are forgotten first). */
const maxDoneRuns = 2000;
const forgetBatch = 200;
const waitFlushMs = 200;

/**
 * Follows the process tree of every live run: each process a run starts, at any depth, gets a
 * lane from its start to its exit, with what it waited for over time. One sampler serves all runs.
 *
 * On Linux a tick costs little however many processes the machine has: births are found from
 * the kernel's last-pid counter (/proc/loadavg), so only pids born since the previous tick are
 * read, and known processes are re-read on a budget (young ones every tick, older ones less
 * often), so 50 runs of 20 processes stay within a few percent of one core. A new process is a
 * member when its parent is, or when it is in the run's process group (orphans). A process seen
 * as a zombie has exited: its lane ends there, and says "zombie" only when its exit stays
 * uncollected for longer than a moment. A pid that exec's another program soon after it started
 * (a pyenv shim, `sh -c`, `env`) keeps one lane, named after what it became; the helpers it ran
 * before (`readlink`, subshells) are marked folded. Elsewhere ps-list is listed every 500 ms.
 */
export class DescendantTracker extends EventEmitter<{ lanes: [LanesEvent] }> {
  readonly intervalMs: number;
  private readonly runs = new Map<string, Tracked>();
  /** Every live member of every run, by pid. */
  private readonly members = new Map<number, Member>();
  private cursor: number | null = null;
  private timer: NodeJS.Timeout | null = null;
  private busy = false;
  private stopped = false;
  private readonly lister: ProcessLister | null;
  /** Members in their first second: looked at every tick. */
  private readonly young = new Set<Member>();
  private order: Member[] = [];
  private orderStale = false;
  private next = 0;
  /** Wait sampling (the lane colours); off in the cost benchmark's baseline. */
  sampleWaits = true;

  constructor(
    private readonly source: TrackedRunSource,
    options: { intervalMs?: number } = {},
  ) {
    super();
    this.lister = hasProc ? null : new ProcessLister();
    this.intervalMs = options.intervalMs ?? (hasProc ? 10 : 500);
  }

  get sampleHz(): number {
    return Math.round(1000 / this.intervalMs);
  }

  /** Is the sampler running (some run is alive)? */
  get active(): boolean {
    return this.timer !== null || this.busy;
  }

  /** Starts following a run (idempotent); its current descendants are found at once. */
  track(runId: string): DescendantsInfo {
    if (this.runs.has(runId)) return this.info(runId);
    const run = this.source.lookup(runId);
    if (!run) throw new Error(`There is no run ${runId}.`);
    const tracked: Tracked = {
      runId,
      label: run.label,
      rootPid: run.pid,
      logical: run.parentId
        ? { pid: null, runId: run.parentId, label: `${run.parentId}, which asked for it` }
        : { pid: null, runId: null, label: 'Forkscope (the launch form or the API)' },
      lanes: [],
      live: new Map(),
      zombies: new Map(),
      changed: new Set(),
      waitChanged: new Set(),
      lastWaitFlush: 0,
      tracking: run.pid !== null,
      runEnded: false,
      doneAt: null,
      announce: false,
    };
    this.runs.set(runId, tracked);
    this.forgetOldRuns();
    if (run.pid !== null && hasProc) {
      // Births after this point are found by the next tick (the cursor is taken before the walk).
      if (!this.active) this.cursor = readLastPid();
      const stat = readStat(run.pid);
      if (stat && stat.state !== 'Z') {
        this.join(tracked, stat, 0, Date.now());
        this.walkChildren(tracked, run.pid, 1);
      } else tracked.tracking = false;
    }
    if (!tracked.tracking) tracked.doneAt = Date.now();
    this.flush(true, tracked);
    this.schedule();
    return this.info(runId);
  }

  /** The run's leader has exited: look at every process it still has now, not on the budget. */
  runEnded(runId: string): void {
    const tracked = this.runs.get(runId);
    if (!tracked || tracked.runEnded) return;
    tracked.runEnded = true;
    if (!hasProc || !tracked.tracking) return;
    const t = Date.now();
    for (const member of [...tracked.live.values()]) this.check(member, t);
    this.settle(tracked, t);
    this.flush(true, tracked);
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
      lanes: tracked.lanes.map(copyLane),
    };
  }

  all(): DescendantsInfo[] {
    return [...this.runs.keys()].map((runId) => this.info(runId));
  }

  /** Is this run followed (or was it)? */
  isKnown(runId: string): boolean {
    return this.runs.has(runId);
  }

  isTracking(runId: string): boolean {
    return this.runs.get(runId)?.tracking ?? false;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const tracked of this.runs.values()) tracked.tracking = false;
  }

  private schedule(): void {
    if (this.stopped || this.timer || this.busy) return;
    if (![...this.runs.values()].some((tracked) => tracked.tracking)) {
      this.cursor = null;
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.tick().finally(() => this.schedule());
    }, this.intervalMs);
    this.timer.unref?.();
  }

  /**
   * Past `maxDoneRuns` finished runs, the oldest go, down to `forgetBatch` fewer: the scan is
   * paid once per that many runs, not on every run's start (a pool of short commands starts
   * hundreds per second).
   */
  private forgetOldRuns(): void {
    if (this.runs.size <= maxDoneRuns) return;
    const done = [...this.runs.values()].filter((tracked) => !tracked.tracking && tracked.doneAt !== null);
    if (done.length <= maxDoneRuns) return;
    done.sort((a, b) => a.doneAt! - b.doneAt!);
    const keep = maxDoneRuns - forgetBatch;
    for (const tracked of done.slice(0, done.length - keep)) this.runs.delete(tracked.runId);
  }

  private join(tracked: Tracked, stat: ProcStat, depth: number, t: number): Member | null {
    if (tracked.lanes.length >= maxLanesPerRun) return null;
    const root = depth === 0;
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
      reaped: null,
      execs: [],
      folded: false,
      logicalParent: root ? tracked.logical : null,
      why: null,
      waits: [],
    };
    const member: Member = {
      lane,
      tracked,
      startTicks: stat.startTicks,
      startCode: stat.startCode,
      seenAlive: t,
      nextCheck: t,
      zombieSince: null,
      waitKey: '',
    };
    tracked.lanes.push(lane);
    tracked.live.set(stat.pid, member);
    this.members.set(stat.pid, member);
    this.young.add(member);
    this.orderStale = true;
    tracked.changed.add(lane);
    if (stat.state === 'Z') this.exited(member, t, t);
    return member;
  }

  /** The children (and theirs) of a process, from /proc/PID/task/TID/children: zombies included. */
  private walkChildren(tracked: Tracked, pid: number, depth: number): void {
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${pid}/task`);
    } catch {
      return;
    }
    const t = Date.now();
    for (const task of tasks) {
      const text = readProcText(`/proc/${pid}/task/${task}/children`);
      if (!text) continue;
      for (const word of text.trim().split(' ')) {
        const child = Number(word);
        if (!child || this.members.has(child)) continue;
        const stat = readStat(child);
        if (!stat || stat.ppid !== pid) continue;
        if (this.join(tracked, stat, depth, t)) this.walkChildren(tracked, child, depth + 1);
      }
    }
  }

  /** A member is seen exited at `t` (last seen alive at `alive`): its lane ends in between. */
  private exited(member: Member, t: number, alive: number): void {
    const { lane, tracked } = member;
    // A child's end is never drawn after its parent's when it may have exited before it.
    const parent = tracked.lanes.find(
      (other) => other.pid === lane.ppid && other.end !== null && other !== lane,
    );
    let end = t;
    if (parent && parent.end! < end && alive <= parent.end!) end = parent.end!;
    lane.end = Math.max(end, lane.start);
    tracked.live.delete(lane.pid);
    member.zombieSince = t;
    tracked.zombies.set(lane.pid, member);
    if (lane.why) lane.why = { ...lane.why, kind: 'zombie', text: 'exited', since: t };
    tracked.changed.add(lane);
  }

  /** Gone from /proc: collected (reaped) by its parent. */
  private collected(member: Member, t: number): void {
    const { lane, tracked } = member;
    if (lane.end === null) {
      // Exited and collected between two looks: a normal end.
      lane.end = Math.max(t, lane.start);
      tracked.live.delete(lane.pid);
    }
    lane.reaped = Math.max(t, lane.end);
    tracked.zombies.delete(lane.pid);
    if (this.members.get(lane.pid) === member) this.members.delete(lane.pid);
    tracked.changed.add(lane);
  }

  /** Looks at one member now: gone, exited (zombie), exec'd, or what it waits for. */
  private check(member: Member, t: number, pythonWaits?: Map<number, PythonWait> | null): void {
    const { lane, tracked } = member;
    const stat = readStat(lane.pid);
    if (!stat || stat.startTicks !== member.startTicks) {
      this.collected(member, t);
      return;
    }
    if (stat.state === 'Z') {
      if (lane.end === null) this.exited(member, t, member.seenAlive);
      else if (!lane.zombie && t - member.zombieSince! > zombieAfterMs) {
        lane.zombie = true;
        tracked.changed.add(lane);
      }
      return;
    }
    member.seenAlive = t;
    // A new program (exec): its text starts elsewhere (0 while a process exits: not an exec).
    const newText = stat.startCode !== member.startCode && member.startCode !== 0 && stat.startCode !== 0;
    if (newText || stat.name !== lane.name) {
      this.execd(member, stat, t);
    }
    const age = t - lane.start;
    member.nextCheck = t + (age < youngMs ? 0 : age < 10_000 ? 50 : 200);
    if (this.sampleWaits) this.sampleWait(member, stat.state, t, pythonWaits?.get(lane.pid) ?? null);
  }

  private execd(member: Member, stat: ProcStat, t: number): void {
    const { lane, tracked } = member;
    if (lane.execs.length < maxExecs) lane.execs.push({ name: lane.name, cmd: lane.cmd, until: t });
    lane.name = stat.name;
    lane.cmd = readCmdline(stat.pid) || lane.cmd;
    member.startCode = stat.startCode;
    member.waitKey = '';
    tracked.changed.add(lane);
    if (t - lane.start > foldWindowMs) return;
    // A shim: what it ran before it became this program are its helpers, at any depth (a pyenv
    // shim execs several times, and its subshells' children may be seen ended only at a later
    // exec: helpers folded at an earlier one still count as folded parents). Parents come before
    // children in `lanes`, so each is looked at now, then folded, before its children are.
    const folded = new Set<number>();
    for (const other of tracked.lanes) {
      if (other === lane || (other.ppid !== lane.pid && !folded.has(other.ppid))) continue;
      const live = tracked.live.get(other.pid);
      if (live?.lane === other) this.check(live, t);
      if (other.end === null || other.end > t) continue;
      folded.add(other.pid);
      if (!other.folded) {
        other.folded = true;
        tracked.changed.add(other);
      }
    }
  }

  private sampleWait(member: Member, state: string, t: number, python: PythonWait | null): void {
    const { lane, tracked } = member;
    let key = state;
    if (state !== 'R') key += ' ' + (readProcText(`/proc/${lane.pid}/syscall`) ?? '').split(' ', 2).join(' ');
    if (python) key += ` py:${python.what}:${python.since}`;
    if (key === member.waitKey) return;
    member.waitKey = key;
    let why: WaitInfo | null =
      state === 'R'
        ? {
            kind: 'running',
            text: 'running',
            state,
            wchan: null,
            syscall: null,
            stack: null,
            source: 'kernel',
            since: lane.why?.kind === 'running' ? lane.why.since : t,
          }
        : describeWait(lane.pid, {
            now: t,
            previous: lane.why,
            peers: () => [...tracked.live.keys()],
          });
    if (why && python) why = fromPython(python, why);
    if (!why) return;
    const before = lane.why;
    lane.why = why;
    if (before?.text !== why.text) tracked.waitChanged.add(lane);
    if (before?.kind !== why.kind && lane.waits.length < maxWaitsPerLane)
      lane.waits.push({ t, kind: why.kind });
  }

  /** Adds members among these stats, parents before children whatever their pid order. */
  private adopt(stats: ProcStat[], t: number): void {
    let pending = stats;
    let progress = true;
    const roots = new Map<number, Tracked>();
    for (const tracked of this.runs.values()) {
      if (tracked.tracking && tracked.rootPid !== null) roots.set(tracked.rootPid, tracked);
    }
    while (progress && pending.length > 0) {
      progress = false;
      const rest: ProcStat[] = [];
      for (const stat of pending) {
        const parent = this.members.get(stat.ppid);
        const byParent = parent && parent.lane.end === null ? parent : null;
        const group = byParent ? null : stat.pid !== stat.pgid ? roots.get(stat.pgid) : undefined;
        if (!byParent && !group) {
          rest.push(stat);
          continue;
        }
        // A thread's id reads like a pid (and has its process's parent): only processes join.
        if (readTgid(stat.pid) !== stat.pid) continue;
        const tracked = byParent ? byParent.tracked : group!;
        this.join(tracked, stat, byParent ? byParent.lane.depth + 1 : 1, t);
        progress = true;
      }
      pending = rest;
    }
  }

  /** The pids born since the previous tick (from the kernel's last-pid counter). */
  private births(): number[] {
    const last = readLastPid();
    const from = this.cursor;
    this.cursor = last;
    if (last === null || from === null) return last === null ? listPids() : [];
    if (last === from) return [];
    const size = last > from ? last - from : pidMax - from + last;
    if (size > maxRange) {
      const inRange = (pid: number) => (last > from ? pid > from && pid <= last : pid > from || pid <= last);
      return listPids().filter(inRange);
    }
    const pids: number[] = [];
    for (let pid = from + 1, n = 0; n < size; n++, pid++) {
      if (pid > pidMax) pid = 1;
      pids.push(pid);
    }
    return pids;
  }

  /**
   * Samples at once, before a run is stopped: a process it started a moment ago (between two
   * ticks) is recorded before the signal ends it. Only where sampling is synchronous (/proc).
   */
  sampleNow(): void {
    if (!hasProc || this.busy || this.stopped) return;
    this.busy = true;
    try {
      this.tickProc();
      this.flush(false);
    } finally {
      this.busy = false;
    }
  }

  private async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      if (hasProc) this.tickProc();
      else await this.tickPsList();
      this.flush(false);
    } finally {
      this.busy = false;
    }
  }

  private tickProc(): void {
    const t = Date.now();
    const fresh: ProcStat[] = [];
    for (const pid of this.births()) {
      if (this.members.has(pid)) continue;
      const stat = readStat(pid);
      if (stat) fresh.push(stat);
    }
    if (fresh.length > 0) this.adopt(fresh, t);

    const active = [...this.runs.values()].filter((tracked) => tracked.tracking);
    const pythonWaits = new Map<Tracked, Map<number, PythonWait>>();
    if (this.sampleWaits && this.source.pythonWaits) {
      for (const tracked of active) {
        const waits = this.source.pythonWaits(tracked.runId);
        if (waits && waits.length > 0)
          pythonWaits.set(tracked, new Map(waits.map((wait) => [wait.pid, wait])));
      }
    }
    // Zombies every tick (they are few): collected, or a zombie for longer than a moment.
    for (const tracked of active) {
      for (const member of [...tracked.zombies.values()]) this.check(member, t);
    }
    // Known processes on a budget: the young (their first second) every tick, then the others in
    // turn, from where the previous tick stopped, those that are due.
    let budget = Math.max(8, Math.round((checksPerSecond * this.intervalMs) / 1000));
    for (const member of this.young) {
      if (member.lane.end !== null || t - member.lane.start >= youngMs) {
        this.young.delete(member);
        continue;
      }
      if (budget-- <= 0) break;
      this.check(member, t, pythonWaits.get(member.tracked));
    }
    const all = this.turn(active);
    for (let looked = 0; looked < all.length && budget > 0; looked++) {
      const member = all[this.next++ % all.length]!;
      if (member.lane.end !== null || member.nextCheck > t || this.young.has(member)) continue;
      budget--;
      this.check(member, t, pythonWaits.get(member.tracked));
    }
    for (const tracked of active) this.settle(tracked, t);
    this.addStarters(active);
  }

  /** Tracking ends once nothing lives and no zombie is left to watch. */
  private settle(tracked: Tracked, t: number): void {
    if (tracked.live.size > 0) return;
    for (const member of [...tracked.zombies.values()]) {
      if (t - member.zombieSince! > zombieWatchMs) {
        tracked.zombies.delete(member.lane.pid);
        if (this.members.get(member.lane.pid) === member) this.members.delete(member.lane.pid);
      }
    }
    if (tracked.zombies.size === 0 && tracked.tracking) {
      tracked.tracking = false;
      tracked.doneAt = t;
      tracked.announce = true;
    }
  }

  /** The Python lens's logical parents (Process.start from another process than the OS parent). */
  private addStarters(active: Tracked[]): void {
    if (!this.source.pythonStarters) return;
    for (const tracked of active) {
      const missing = tracked.lanes.filter(
        (lane) => !lane.root && lane.logicalParent === null && tracked.changed.has(lane),
      );
      if (missing.length === 0) continue;
      const starters = this.source.pythonStarters(tracked.runId);
      if (!starters) continue;
      for (const lane of missing) {
        const known = starters.get(lane.pid);
        if (known && known.starter !== lane.ppid) {
          lane.logicalParent = {
            pid: known.starter,
            runId: null,
            label: `pid ${known.starter} (${known.via})`,
          };
        }
      }
    }
  }

  /** Every live member in a stable order (rebuilt only when members came or went). */
  private turn(active: Tracked[]): Member[] {
    let size = 0;
    for (const tracked of active) size += tracked.live.size;
    if (this.order.length !== size || this.orderStale) {
      this.order = active.flatMap((tracked) => [...tracked.live.values()]);
      this.orderStale = false;
    }
    return this.order;
  }

  private async tickPsList(): Promise<void> {
    const listing = await this.lister!.list();
    const t = listing.t;
    const byPid = new Map(listing.processes.map((entry) => [entry.pid, entry]));
    for (const tracked of this.runs.values()) {
      if (!tracked.tracking) continue;
      for (const member of [...tracked.live.values()]) {
        if (!byPid.has(member.lane.pid)) this.collected(member, t);
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
      if (tracked.live.size === 0) {
        tracked.tracking = false;
        tracked.doneAt = t;
        tracked.announce = true;
      }
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
      reaped: null,
      execs: [],
      folded: false,
      logicalParent: depth === 0 ? tracked.logical : null,
      why: null,
      waits: [],
    };
    tracked.lanes.push(lane);
    const member: Member = {
      lane,
      tracked,
      startTicks: 0,
      startCode: 0,
      seenAlive: t,
      nextCheck: t,
      zombieSince: null,
      waitKey: '',
    };
    tracked.live.set(entry.pid, member);
    tracked.changed.add(lane);
  }

  /**
   * Publishes what changed: of every run (a tick), or of one run only (its start or its end:
   * the others' changes go with the next tick, so a run's start costs no walk over all runs).
   */
  private flush(all: boolean, only?: Tracked): void {
    const now = Date.now();
    for (const tracked of only ? [only] : this.runs.values()) {
      const waitsDue =
        tracked.waitChanged.size > 0 &&
        (all || !tracked.tracking || now - tracked.lastWaitFlush >= waitFlushMs);
      if (tracked.changed.size === 0 && !waitsDue && !tracked.announce) continue;
      tracked.announce = false;
      const lanes = new Set(tracked.changed);
      if (waitsDue) {
        for (const lane of tracked.waitChanged) lanes.add(lane);
        tracked.waitChanged.clear();
        tracked.lastWaitFlush = now;
      }
      tracked.changed.clear();
      this.emit('lanes', {
        runId: tracked.runId,
        rootPid: tracked.rootPid,
        tracking: tracked.tracking,
        lanes: [...lanes].map(copyLane),
      });
    }
  }
}

function copyLane(lane: DescendantLane): DescendantLane {
  return {
    ...lane,
    execs: lane.execs.map((exec) => ({ ...exec })),
    waits: [...lane.waits],
    why: lane.why ? { ...lane.why } : null,
    logicalParent: lane.logicalParent ? { ...lane.logicalParent } : null,
  };
}
