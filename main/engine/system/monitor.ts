import { EventEmitter } from 'node:events';
import {
  ForkscopeError,
  type KillResult,
  type ProcessDetails,
  type ProcessHistory,
  type ProcessRow,
  type SystemDiff,
  type SystemSettings,
  type SystemSnapshot,
} from '../../../contract';
import type { RunRegistry } from '../registry';
import type { PythonLens } from '../python/python-lens';
import { DescendantTracker, type LanesEvent, type TrackedRunSource } from './descendants';
import { diffRows } from './diff';
import { safeKill, type KillRequest } from './kill';
import { ProcessLister, type Listing } from './lister';
import { markOwnership, type OwnPids } from './ownership';
import {
  clockTicksPerSecond,
  hasProc,
  listPids,
  readCmdline,
  readLink,
  readStat,
  startTimeMs,
} from './proc-reader';
import { describeWait, fromPython } from './waits';

export interface SystemSource extends Omit<TrackedRunSource, 'lookup'> {
  /** Forkscope's own pids and each live run's pid, asked for at every snapshot. */
  ownPids(): OwnPids;
  lookupRun: TrackedRunSource['lookup'];
}

export interface SystemEvents {
  diff: [SystemDiff];
  settings: [SystemSettings];
  lanes: [LanesEvent];
}

const historyLength = 120;

const stateMeanings: Record<string, string> = {
  R: 'running',
  S: 'sleeping (waiting for an event)',
  D: 'waiting for disk or device (uninterruptible)',
  Z: 'zombie: exited, waiting for its parent to collect its status',
  T: 'stopped (by a signal such as SIGSTOP)',
  t: 'stopped by a debugger',
  I: 'idle kernel thread',
  X: 'dead',
  P: 'parked',
  W: 'paging',
  '?': 'unknown',
};

/**
 * The machine's processes for the System view: snapshots on a timer (only while someone
 * watches: a lease renewed by the view), diffs between them, a short CPU and memory history
 * per process, details, safe kill and the descendant tracker.
 */
export class SystemMonitor extends EventEmitter<SystemEvents> {
  readonly tracker: DescendantTracker;
  private readonly lister: ProcessLister;
  private readonly killLister: ProcessLister;
  private rows = new Map<string, ProcessRow>();
  private seq = 0;
  private t = 0;
  private settings: SystemSettings = { intervalMs: 1000, paused: false };
  private leaseUntil = 0;
  private timer: NodeJS.Timeout | null = null;
  private refreshing: Promise<void> | null = null;
  private readonly history = new Map<string, ProcessHistory>();
  private stopped = false;

  constructor(
    private readonly source: SystemSource,
    options: { forcePsList?: boolean; trackIntervalMs?: number } = {},
  ) {
    super();
    this.lister = new ProcessLister(options);
    this.killLister = new ProcessLister(options);
    this.tracker = new DescendantTracker(
      {
        lookup: (runId) => source.lookupRun(runId),
        pythonWaits: source.pythonWaits && ((runId) => source.pythonWaits!(runId)),
        pythonStarters: source.pythonStarters && ((runId) => source.pythonStarters!(runId)),
      },
      { intervalMs: options.trackIntervalMs },
    );
    this.tracker.on('lanes', (event) => this.emit('lanes', event));
  }

  get currentSettings(): SystemSettings {
    return { ...this.settings };
  }

  /** Keeps snapshots coming until `leaseMs` from now. */
  watch(leaseMs: number): SystemSettings {
    this.leaseUntil = Math.max(this.leaseUntil, Date.now() + leaseMs);
    this.schedule(0);
    return this.currentSettings;
  }

  get watched(): boolean {
    return Date.now() < this.leaseUntil;
  }

  configure(patch: Partial<SystemSettings>): SystemSettings {
    const next = { ...this.settings, ...patch };
    if (next.intervalMs !== this.settings.intervalMs || next.paused !== this.settings.paused) {
      this.settings = next;
      this.emit('settings', this.currentSettings);
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      this.schedule(next.intervalMs);
    }
    return this.currentSettings;
  }

  /** The full current snapshot (fresh unless one was taken within the last half interval). */
  async snapshot(): Promise<SystemSnapshot> {
    if (this.seq === 0 || (!this.settings.paused && Date.now() - this.t > this.settings.intervalMs / 2)) {
      await this.refresh();
    }
    return {
      seq: this.seq,
      t: this.t,
      rows: [...this.rows.values()],
      source: this.lister.source,
      settings: this.currentSettings,
    };
  }

  /** Takes one snapshot now and emits its diff (nothing when nothing changed). */
  refresh(): Promise<void> {
    this.refreshing ??= this.takeSnapshot().finally(() => (this.refreshing = null));
    return this.refreshing;
  }

  private async takeSnapshot(): Promise<void> {
    const listing = await this.lister.list();
    const rows = this.toRows(listing);
    const { added, removed, changed } = diffRows(this.rows, rows);
    for (const key of removed) this.history.delete(key);
    for (const row of rows) this.remember(row, listing.t);
    this.rows = new Map(rows.map((row) => [row.key, row]));
    this.t = listing.t;
    if (this.seq > 0 && added.length + removed.length + changed.length === 0) return;
    const baseSeq = this.seq;
    this.seq += 1;
    if (baseSeq > 0) this.emit('diff', { baseSeq, seq: this.seq, t: listing.t, added, removed, changed });
  }

  private toRows(listing: Listing): ProcessRow[] {
    const marks = markOwnership(listing.processes, this.source.ownPids());
    return listing.processes.map((entry) => {
      const mark = marks.get(entry.pid);
      return {
        key: entry.key,
        pid: entry.pid,
        ppid: entry.ppid,
        name: entry.name,
        cmd: entry.cmd,
        user: entry.user,
        state: entry.state,
        cpu: entry.cpu,
        memory: entry.memory,
        start: entry.start,
        own: mark?.own ?? null,
        runId: mark?.runId ?? null,
      };
    });
  }

  private remember(row: ProcessRow, t: number): void {
    let history = this.history.get(row.key);
    if (!history) this.history.set(row.key, (history = { t: [], cpu: [], memory: [] }));
    history.t.push(t);
    history.cpu.push(row.cpu);
    history.memory.push(row.memory);
    if (history.t.length > historyLength) {
      history.t.shift();
      history.cpu.shift();
      history.memory.shift();
    }
  }

  private schedule(delayMs: number): void {
    if (this.stopped || this.timer || this.settings.paused || !this.watched) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      if (!this.watched || this.settings.paused) return;
      void this.refresh()
        .catch((error) => console.error('[forkscope] system snapshot failed:', error))
        .finally(() => this.schedule(this.settings.intervalMs));
    }, delayMs);
    this.timer.unref?.();
  }

  details(pid: number): ProcessDetails {
    const row = [...this.rows.values()].find((candidate) => candidate.pid === pid);
    if (!hasProc) {
      if (!row)
        throw new ForkscopeError(
          'already-exited',
          `pid ${pid} is not running (or not in the last snapshot).`,
        );
      return {
        pid,
        ppid: row.ppid,
        key: row.key,
        name: row.name,
        cmd: row.cmd,
        exe: null,
        cwd: null,
        cwdError: 'not available on this system',
        user: row.user,
        uid: null,
        start: row.start,
        state: row.state,
        stateMeaning: stateMeanings[row.state] ?? 'unknown',
        threads: null,
        pgid: null,
        sid: null,
        parentName: [...this.rows.values()].find((candidate) => candidate.pid === row.ppid)?.name ?? null,
        cpuSeconds: null,
        memory: row.memory,
        own: row.own,
        runId: row.runId,
        history: this.historyOf(row.key),
        why: null,
      };
    }
    const stat = readStat(pid);
    if (!stat) throw new ForkscopeError('already-exited', `pid ${pid} has already exited.`);
    const key = `${pid}:${stat.startTicks}`;
    const cwd = readLink(`/proc/${pid}/cwd`);
    const exe = readLink(`/proc/${pid}/exe`);
    const known = this.rows.get(key);
    const listing = this.killLister.listProc();
    const entry = listing.processes.find((candidate) => candidate.pid === pid);
    const mark = markOwnership(listing.processes, this.source.ownPids()).get(pid);
    return {
      pid,
      ppid: stat.ppid,
      key,
      name: stat.name,
      cmd: readCmdline(pid, 256 * 1024) || known?.cmd || `[${stat.name}]`,
      exe: exe.value,
      cwd: cwd.value,
      cwdError: cwd.error,
      user: entry?.user ?? known?.user ?? '?',
      uid: entry?.uid ?? null,
      start: startTimeMs(stat.startTicks),
      state: stat.state,
      stateMeaning: stateMeanings[stat.state] ?? 'unknown',
      threads: stat.threads,
      pgid: stat.pgid,
      sid: stat.sid,
      parentName: readStat(stat.ppid)?.name ?? null,
      cpuSeconds: stat.cpuTicks / clockTicksPerSecond,
      memory: entry?.memory ?? known?.memory ?? 0,
      own: mark?.own ?? null,
      runId: mark?.runId ?? null,
      history: this.historyOf(key),
      why: this.why(pid, mark?.runId ?? null),
    };
  }

  /** Why it waits: the kernel's answer (the other end of a pipe searched among every process), or the lens's. */
  private why(pid: number, runId: string | null): ProcessDetails['why'] {
    const kernel = describeWait(pid, { stack: true, peers: () => listPids() });
    const python = runId ? this.source.pythonWaits?.(runId)?.find((wait) => wait.pid === pid) : undefined;
    return python ? fromPython(python, kernel) : kernel;
  }

  private historyOf(key: string): ProcessHistory {
    const history = this.history.get(key);
    return history
      ? { t: [...history.t], cpu: [...history.cpu], memory: [...history.memory] }
      : { t: [], cpu: [], memory: [] };
  }

  async kill(request: KillRequest): Promise<KillResult> {
    // Checked against the machine as it is now, not against the last snapshot.
    const listing =
      request.pid > 1
        ? await this.killLister.list()
        : { t: Date.now(), processes: [], source: 'proc' as const };
    const result = safeKill(request, { listing, own: this.source.ownPids(), parent: process.ppid });
    if (this.watched) setTimeout(() => void this.refresh().catch(() => {}), 100).unref?.();
    return result;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.tracker.stop();
  }
}

/**
 * The engine's monitor: Forkscope's own pids are the host process, the helpers and each live run.
 * Every run's process tree is followed from the moment its first process started.
 */
export function createSystemMonitor(engine: {
  readonly registry: RunRegistry;
  readonly helperPids: number[];
  /** Made after the monitor: read when asked. */
  readonly python?: PythonLens;
}): SystemMonitor {
  const monitor = new SystemMonitor({
    ownPids: () => ({
      self: process.pid,
      helpers: engine.helperPids,
      selfChildrenAreOwn: 'electron' in process.versions,
      runs: new Map(
        engine.registry.all().flatMap((run) => (run.pid !== null && !run.ended ? [[run.pid, run.id]] : [])),
      ),
    }),
    lookupRun: (runId) => {
      const run = engine.registry.all().find((candidate) => candidate.id === runId);
      if (!run) return null;
      const record = run.snapshot();
      return { pid: run.pid, label: record.label, parentId: record.parentId };
    },
    pythonWaits: (runId) => engine.python?.session(runId)?.waits() ?? null,
    pythonStarters: (runId) => {
      const session = engine.python?.session(runId);
      if (!session) return null;
      return new Map(
        session
          .detail()
          .processes.flatMap((process) =>
            process.starter !== null
              ? [[process.pid, { starter: process.starter, via: process.via }] as const]
              : [],
          ),
      );
    },
  });
  engine.registry.on('run', (record) => {
    if (record.pid === null) return;
    if (record.endedAt === null) {
      if (!monitor.tracker.isKnown(record.id)) monitor.tracker.track(record.id);
    } else monitor.tracker.runEnded(record.id);
  });
  return monitor;
}
