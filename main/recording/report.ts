import { constants } from 'node:os';
import type {
  DescendantsInfo,
  LensDetail,
  PoolRecord,
  QueueInfo,
  QueueItem,
  RunRecord,
  TaskSummary,
  WaitGraph,
} from '../../contract';
import type { RecordingEnd } from './format';
import type { Recording } from './reader';

/**
 * What `forkscope report --json` prints. Raise `schemaVersion` when a field changes meaning or
 * goes away; adding a field does not raise it. Times are epoch milliseconds. Documented in README
 * ("Command line").
 */
export interface Report {
  schemaVersion: 1;
  recording: {
    format: string;
    version: number;
    command: string[] | null;
    createdAt: number;
    endedAt: number | null;
    /** False when the file was cut short (its last second may be missing). */
    complete: boolean;
    /** True when the size budget ran out: later events are missing (the closing tables are not). */
    truncated: boolean;
    droppedEvents: number;
    droppedLines: number;
    /** `forkscope record`: the exit status it returned (128+N for signal N). */
    exitStatus: number | null;
  };
  processes: ReportProcess[];
  pools: ReportPool[];
  queues: ReportQueue[];
  waits: ReportWait[];
}

export interface ReportProcess {
  pid: number | null;
  /** The OS parent. */
  ppid: number | null;
  /** The process that asked for this one (a Python Process.start or Popen, the run that started a run), where known. */
  logicalParent: number | null;
  /** The run this process belongs to (the run itself or one of its descendants). */
  runId: string | null;
  argv: string[];
  start: number | null;
  end: number | null;
  exitCode: number | null;
  signal: string | null;
  /** How it was seen: a run Forkscope started, the Python lens, or sampling of a run's tree. */
  seenBy: ('run' | 'lens' | 'tree')[];
  /**
   * A shim's short-lived helper (a pyenv shim's readlink and bash subshells, run before the shim
   * exec'd the real program): folded into the process it became, as the descendants timeline
   * folds it. Listed after the others; `forkscope report` counts them, --shims lists them.
   */
  folded: boolean;
}

export interface ReportTask {
  /** 1-based, in submission order. */
  index: number;
  /** The function call or the command line. */
  call: string;
  /** What it was given, short: a call's arguments or a command task's input; null when unknown. */
  input: string | null;
  workerPid: number | null;
  submitted: number;
  started: number | null;
  ended: number | null;
  state: TaskSummary['state'];
  error: string | null;
  exitCode: number | null;
  attempts: number;
}

export interface ReportPool {
  id: string;
  kind: PoolRecord['kind'];
  label: string;
  size: number;
  state: PoolRecord['state'];
  runId: string | null;
  created: number;
  ended: number | null;
  workers: {
    pid: number | null;
    start: number;
    end: number | null;
    tasksDone: number;
    exit: string | null;
  }[];
  tasks: ReportTask[];
}

export interface ReportActor {
  /** `pid:N`, a run id, or `main` (Forkscope itself). */
  actor: string;
  pid: number | null;
  label: string;
}

export interface ReportItem {
  index: number;
  /** The item's JSON text (shortened). */
  value: string;
  state: QueueItem['state'];
  put: ReportActor & { t: number };
  got: (ReportActor & { t: number }) | null;
  /** Put and never got: still queued at the end, or lost when the queue closed or its holder died. */
  neverGot: boolean;
}

export interface ReportQueue {
  id: string;
  name: string;
  kind: QueueInfo['kind'];
  runId: string | null;
  created: number;
  closed: number | null;
  items: ReportItem[];
}

export interface ReportWait extends ReportActor {
  /** get, put (a full queue), join, poll; or what the Python lens saw it blocked in. */
  kind: string;
  /** The queue id, or what it waits on as the lens says it. */
  on: string | null;
  since: number;
  /** When it was last seen waiting has ended, or null if it still waited at the end. */
  until: number | null;
  waitsFor: string[];
}

const signalNames = new Map(Object.entries(constants.signals).map(([name, number]) => [number, name]));

/** Folds a recording's entries into its tables: the closing entries win over the events they sum up. */
export function buildReport(recording: Recording): Report {
  const runs = new Map<string, RunRecord>();
  const pools = new Map<string, PoolRecord>();
  const tasks = new Map<string, Map<number, TaskSummary>>();
  const closingTasks = new Map<string, TaskSummary[]>();
  const queues = new Map<string, QueueInfo>();
  const items = new Map<string, QueueItem[]>();
  const trees = new Map<string, DescendantsInfo>();
  const lenses: LensDetail[] = [];
  const waits = new Map<string, ReportWait>();
  let lastGraph = new Set<string>();
  let end: RecordingEnd | null = null;
  let truncated = false;

  for (const { t, e, p } of recording.entries) {
    switch (e) {
      case 'runs.updated': {
        const record = p as RunRecord;
        runs.set(record.id, record);
        break;
      }
      case 'pools.updated': {
        const record = p as PoolRecord;
        pools.set(record.id, record);
        break;
      }
      case 'pools.tasks': {
        const { poolId, tasks: changed } = p as { poolId: string; tasks: TaskSummary[] };
        const known = tasks.get(poolId) ?? new Map<number, TaskSummary>();
        for (const task of changed) known.set(task.id, task);
        tasks.set(poolId, known);
        break;
      }
      case 'recording.tasks': {
        const { poolId, tasks: all } = p as { poolId: string; tasks: TaskSummary[] };
        closingTasks.set(poolId, [...(closingTasks.get(poolId) ?? []), ...all]);
        break;
      }
      case 'queues.updated': {
        const info = p as QueueInfo;
        queues.set(info.id, info);
        break;
      }
      case 'recording.items': {
        const page = p as { queueId: string; items: QueueItem[] };
        items.set(page.queueId, [...(items.get(page.queueId) ?? []), ...page.items]);
        break;
      }
      case 'system.lanes':
      case 'recording.descendants': {
        const info = p as DescendantsInfo;
        const known = trees.get(info.runId);
        const lanes = new Map((known?.lanes ?? []).map((lane) => [lane.pid, lane]));
        for (const lane of info.lanes) lanes.set(lane.pid, lane);
        trees.set(info.runId, { ...(known ?? info), ...info, lanes: [...lanes.values()] });
        break;
      }
      case 'recording.lens':
        lenses.push(p as LensDetail);
        break;
      case 'queues.waitGraph': {
        const graph = p as WaitGraph;
        const now = new Set<string>();
        for (const blocked of graph.blocked) {
          const key = `${blocked.actor}|${blocked.queueId}|${blocked.kind}|${blocked.since}`;
          now.add(key);
          const wait = waits.get(key);
          if (wait) wait.waitsFor = blocked.waitsFor;
          else
            waits.set(key, {
              actor: blocked.actor,
              pid: null,
              label: blocked.label,
              kind: blocked.kind,
              on: blocked.queueId,
              since: blocked.since,
              until: null,
              waitsFor: blocked.waitsFor,
            });
        }
        for (const key of lastGraph) if (!now.has(key)) waits.get(key)!.until = t;
        lastGraph = now;
        break;
      }
      case 'recording.truncated':
        truncated = true;
        break;
      case 'recording.end':
        end = p as RecordingEnd;
        break;
      default:
        break;
    }
  }

  const processes = reportProcesses(runs, trees, lenses);
  const pidOf = (actor: string): number | null => {
    if (actor.startsWith('pid:')) return Number(actor.slice(4));
    return runs.get(actor)?.pid ?? null;
  };
  const actorOf = (actor: string, labels: Map<string, string>): ReportActor => ({
    actor,
    pid: pidOf(actor),
    label: labels.get(actor) ?? actor,
  });
  for (const lens of lenses) {
    for (const process of lens.processes) {
      if (!process.waiting) continue;
      const key = `pid:${process.pid}|${process.waiting.what}|${process.waiting.since}`;
      waits.set(key, {
        actor: `pid:${process.pid}`,
        pid: process.pid,
        label: `pid ${process.pid}`,
        kind: process.waiting.what,
        on: process.waiting.on,
        since: process.waiting.since,
        until: null,
        waitsFor: [],
      });
    }
  }

  return {
    schemaVersion: 1,
    recording: {
      format: recording.header.format,
      version: recording.header.version,
      command: recording.header.command,
      createdAt: recording.header.createdAt,
      endedAt: end?.endedAt ?? recording.entries.at(-1)?.t ?? null,
      complete: recording.complete,
      truncated,
      droppedEvents: end?.droppedEvents ?? 0,
      droppedLines: end?.droppedLines ?? 0,
      exitStatus: end?.exitStatus ?? null,
    },
    processes,
    pools: [...pools.values()].map((pool) => {
      const all = closingTasks.get(pool.id) ?? [...(tasks.get(pool.id)?.values() ?? [])];
      return {
        id: pool.id,
        kind: pool.kind,
        label: pool.label,
        size: pool.size,
        state: pool.state,
        runId: pool.runId,
        created: pool.createdAt,
        ended: pool.endedAt,
        workers: pool.lanes.map((lane) => ({
          pid: lane.pid,
          start: lane.startedAt,
          end: lane.endedAt,
          tasksDone: lane.tasksDone,
          exit: lane.exit,
        })),
        tasks: all
          .sort((a, b) => a.id - b.id)
          .map((task) => ({
            index: task.id,
            call: task.label,
            input: task.input ?? null,
            workerPid: task.pid,
            submitted: task.queuedAt,
            started: task.startedAt,
            ended: task.endedAt,
            state: task.state,
            error: task.error,
            exitCode: task.exitcode,
            attempts: task.attempts,
          })),
      };
    }),
    queues: [...queues.values()].map((queue) => {
      const labels = new Map(queue.participants.map((p) => [p.actor, p.label]));
      return {
        id: queue.id,
        name: queue.name,
        kind: queue.kind,
        runId: queue.runId,
        created: queue.createdAt,
        closed: queue.closedAt,
        items: (items.get(queue.id) ?? []).map((item) => ({
          index: item.id,
          value: item.preview,
          state: item.state,
          put: { ...actorOf(item.putBy, labels), t: item.putAt },
          got:
            item.gotBy !== null && item.gotAt !== null
              ? { ...actorOf(item.gotBy, labels), t: item.gotAt }
              : null,
          neverGot: item.state !== 'got',
        })),
      };
    }),
    waits: [...waits.values()].map((wait) => ({ ...wait, pid: wait.pid ?? pidOf(wait.actor) })),
  };
}

function reportProcesses(
  runs: Map<string, RunRecord>,
  trees: Map<string, DescendantsInfo>,
  lenses: LensDetail[],
): ReportProcess[] {
  const byPid = new Map<number, ReportProcess>();
  const unstarted: ReportProcess[] = [];
  for (const run of runs.values()) {
    const process: ReportProcess = {
      pid: run.pid,
      ppid: run.ppid,
      logicalParent: run.parentId ? (runs.get(run.parentId)?.pid ?? null) : null,
      runId: run.id,
      argv: run.argv,
      start: run.startedAt,
      end: run.endedAt,
      exitCode: run.exit?.code ?? null,
      signal: run.exit?.signal ?? null,
      seenBy: ['run'],
      folded: false,
    };
    if (run.pid === null) unstarted.push(process);
    else byPid.set(run.pid, process);
  }
  for (const lens of lenses) {
    for (const seen of lens.processes) {
      const known = byPid.get(seen.pid);
      const signal =
        seen.exitcode !== null && seen.exitcode < 0 ? (signalNames.get(-seen.exitcode) ?? null) : null;
      const exitCode = seen.exitcode !== null && seen.exitcode >= 0 ? seen.exitcode : null;
      if (known) {
        known.logicalParent ??= seen.starter;
        known.seenBy.push('lens');
        continue;
      }
      byPid.set(seen.pid, {
        pid: seen.pid,
        ppid: seen.ppid,
        logicalParent: seen.starter,
        runId: lens.status.runId,
        argv: seen.argv,
        start: seen.startedAt,
        end: seen.endedAt,
        exitCode,
        signal,
        seenBy: ['lens'],
        folded: false,
      });
    }
  }
  for (const tree of trees.values()) {
    for (const lane of tree.lanes) {
      const known = byPid.get(lane.pid);
      if (known) {
        if (!known.seenBy.includes('tree')) known.seenBy.push('tree');
        known.ppid ??= lane.ppid;
        continue;
      }
      byPid.set(lane.pid, {
        pid: lane.pid,
        ppid: lane.ppid,
        logicalParent: null,
        runId: tree.runId,
        argv: lane.cmd === '' ? [lane.name] : lane.cmd.split(' '),
        start: lane.start,
        end: lane.end,
        // Sampling sees a process end, not its status.
        exitCode: null,
        signal: null,
        seenBy: ['tree'],
        // The tracker's own rule (main/engine/system/descendants.ts), as recorded; entries are
        // not re-validated on reading, and recordings older than the flag have none.
        folded: lane.folded === true,
      });
    }
  }
  const sorted = [...byPid.values()].sort((a, b) => (a.start ?? 0) - (b.start ?? 0));
  const helpers = sorted.filter((process) => process.folded);
  return [...sorted.filter((process) => !process.folded), ...unstarted, ...helpers];
}
