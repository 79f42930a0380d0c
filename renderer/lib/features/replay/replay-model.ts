import type {
  ActorInfo,
  BlockedInfo,
  DescendantLane,
  LensDetail,
  OutputLine,
  PoolRecord,
  QueueInfo,
  QueueItem,
  QueueMark,
  RunRecord,
  TaskSummary,
} from '../../../../contract';
import type { RecordingFile } from './recording-file';

/**
 * A recording as a replay reads it: the last thing said of each run, pool, task, queue, item and
 * process, every output line and every wait, all with their times. Every record carries its own
 * start and end (a task's queuedAt/startedAt/endedAt, a lane's start/end, a line's t), so the
 * state at any moment is a filter over these ({@link stateAt}), not a replay of events one by
 * one: scrubbing backwards costs what scrubbing forwards does, and the last events of a flood
 * that the publisher coalesced are still exact.
 */
export interface Replay {
  name: string;
  command: string[] | null;
  complete: boolean;
  start: number;
  end: number;
  hostPid: number;
  runs: RunRecord[];
  output: Map<string, OutputLine[]>;
  pools: ReplayPool[];
  queues: ReplayQueue[];
  /** Each tracked run's descendant lanes (its own process first). */
  lanes: Map<string, DescendantLane[]>;
  /** Who waited on what, and for how long (queue waits, and the Python lens's last waits). */
  waits: Wait[];
  lens: LensDetail[];
}

export interface ReplayPool {
  record: PoolRecord;
  tasks: TaskSummary[];
}

export interface ReplayQueue {
  info: QueueInfo;
  items: QueueItem[];
  marks: QueueMark[];
  actors: ActorInfo[];
}

export interface Wait {
  actor: string;
  label: string;
  what: string;
  on: string | null;
  since: number;
  until: number | null;
}

const laneKey = (lane: DescendantLane) => `${lane.pid}@${Math.round(lane.start)}`;

/** Builds the replay of a recording read by {@link readRecordingBytes}. */
export function buildReplay(file: RecordingFile): Replay {
  const runs = new Map<string, RunRecord>();
  const output = new Map<string, Map<number, OutputLine>>();
  const pools = new Map<string, { record: PoolRecord; tasks: Map<number, TaskSummary> }>();
  const queues = new Map<
    string,
    ReplayQueue & { itemsById: Map<number, QueueItem>; actorsById: Map<string, ActorInfo> }
  >();
  const lanes = new Map<string, Map<string, DescendantLane>>();
  const waits: Wait[] = [];
  const open = new Map<string, Wait>();
  const lens: LensDetail[] = [];
  let last = file.header.createdAt;
  let ended: number | null = null;

  const poolOf = (id: string) => pools.get(id);
  // A pool's first tasks are published before its record (so a live client's counts agree): they
  // wait here for it.
  const earlyTasks = new Map<string, TaskSummary[]>();
  const queueOf = (id: string) => queues.get(id);
  const lanesOf = (runId: string) => {
    let map = lanes.get(runId);
    if (!map) lanes.set(runId, (map = new Map()));
    return map;
  };
  const addActors = (queue: { actorsById: Map<string, ActorInfo> }, actors: ActorInfo[]) => {
    for (const actor of actors) queue.actorsById.set(actor.actor, actor);
  };

  for (const { t, e, p } of file.entries) {
    last = Math.max(last, t);
    switch (e) {
      case 'runs.updated': {
        const run = p as RunRecord;
        runs.set(run.id, run);
        break;
      }
      case 'runs.output': {
        const { id, lines } = p as { id: string; lines: OutputLine[] };
        let map = output.get(id);
        if (!map) output.set(id, (map = new Map()));
        for (const line of lines) map.set(line.seq, line);
        break;
      }
      case 'pools.updated': {
        const record = p as PoolRecord;
        const pool = poolOf(record.id);
        if (pool) pool.record = record;
        else {
          const early = earlyTasks.get(record.id) ?? [];
          earlyTasks.delete(record.id);
          pools.set(record.id, { record, tasks: new Map(early.map((task) => [task.id, task])) });
        }
        break;
      }
      case 'pools.tasks':
      case 'recording.tasks': {
        const { poolId, tasks } = p as { poolId: string; tasks: TaskSummary[] };
        const pool = poolOf(poolId);
        if (pool) for (const task of tasks) pool.tasks.set(task.id, task);
        else earlyTasks.set(poolId, [...(earlyTasks.get(poolId) ?? []), ...tasks]);
        break;
      }
      case 'queues.updated': {
        const info = p as QueueInfo;
        const queue = queueOf(info.id);
        if (queue) queue.info = info;
        else
          queues.set(info.id, {
            info,
            items: [],
            marks: [],
            actors: [],
            itemsById: new Map(),
            actorsById: new Map(),
          });
        break;
      }
      case 'queues.activity': {
        const activity = p as { id: string; marks: QueueMark[]; actors: ActorInfo[] };
        const queue = queueOf(activity.id);
        if (!queue) break;
        queue.marks.push(...activity.marks);
        addActors(queue, activity.actors);
        break;
      }
      case 'recording.items': {
        const page = p as { queueId: string; items: QueueItem[]; actors: ActorInfo[] };
        const queue = queueOf(page.queueId);
        if (!queue) break;
        for (const item of page.items) queue.itemsById.set(item.id, item);
        addActors(queue, page.actors);
        break;
      }
      case 'queues.waitGraph': {
        // A wait starts when it is first listed and ends when a later graph no longer lists it.
        const { blocked } = p as { blocked: BlockedInfo[] };
        const now = new Set<string>();
        for (const b of blocked) {
          const key = `${b.actor} ${b.queueId} ${b.kind} ${b.since}`;
          now.add(key);
          if (!open.has(key)) {
            const wait = {
              actor: b.actor,
              label: b.label,
              what: `${b.kind} on ${b.queueId}`,
              on: b.queueId,
              since: b.since,
              until: null,
            };
            open.set(key, wait);
            waits.push(wait);
          }
        }
        for (const [key, wait] of open) {
          if (!now.has(key)) {
            wait.until = t;
            open.delete(key);
          }
        }
        break;
      }
      case 'system.lanes':
      case 'recording.descendants': {
        const info = p as { runId: string; lanes: DescendantLane[] };
        const map = lanesOf(info.runId);
        for (const lane of info.lanes) map.set(laneKey(lane), lane);
        break;
      }
      case 'recording.lens': {
        const detail = p as LensDetail;
        lens.push(detail);
        for (const process of detail.processes) {
          if (!process.waiting) continue;
          waits.push({
            actor: `pid:${process.pid}`,
            label: process.name ?? `pid ${process.pid}`,
            what: process.waiting.what,
            on: process.waiting.on,
            since: process.waiting.since,
            until: process.endedAt,
          });
        }
        break;
      }
      case 'recording.end':
        ended = (p as { endedAt: number }).endedAt;
        break;
    }
  }

  const poolList = [...pools.values()].map(({ record, tasks }) => ({
    record,
    tasks: [...tasks.values()].sort((a, b) => a.id - b.id),
  }));
  const queueList = [...queues.values()].map(({ itemsById, actorsById, ...queue }) => ({
    ...queue,
    items: [...itemsById.values()].sort((a, b) => a.id - b.id),
    actors: [...actorsById.values()],
  }));
  const laneLists = new Map<string, DescendantLane[]>();
  for (const [runId, map] of lanes) {
    laneLists.set(
      runId,
      [...map.values()].sort((a, b) =>
        a.root === b.root ? a.start - b.start || a.pid - b.pid : a.root ? -1 : 1,
      ),
    );
  }
  const outputLists = new Map<string, OutputLine[]>();
  for (const [id, map] of output)
    outputLists.set(
      id,
      [...map.values()].sort((a, b) => a.seq - b.seq),
    );
  const runList = [...runs.values()];
  const start = Math.min(file.header.createdAt, ...runList.map((run) => run.startedAt));
  return {
    name: file.name,
    command: file.header.command,
    complete: file.complete,
    start,
    end: Math.max(start + 1, ended ?? last),
    hostPid: file.header.host.pid,
    runs: runList,
    output: outputLists,
    pools: poolList,
    queues: queueList,
    lanes: laneLists,
    waits,
    lens,
  };
}

export type TaskStateAt = 'unsubmitted' | 'queued' | 'running' | TaskSummary['state'];

/** What a task was doing at `t`: not yet submitted, queued, running, or how it ended. */
export function taskStateAt(task: TaskSummary, t: number): TaskStateAt {
  if (task.queuedAt > t) return 'unsubmitted';
  if (task.startedAt === null || task.startedAt > t)
    return task.endedAt !== null && task.endedAt <= t ? task.state : 'queued';
  if (task.endedAt === null || task.endedAt > t) return 'running';
  return task.state;
}

export type RunStateAt = 'unstarted' | 'running' | RunRecord['state'];

export function runStateAt(run: RunRecord, t: number): RunStateAt {
  if (run.startedAt > t) return 'unstarted';
  if (run.endedAt === null || run.endedAt > t) return 'running';
  return run.state;
}

export type ItemStateAt = 'unput' | 'queued' | 'got' | 'lost';

export function itemStateAt(item: QueueItem, t: number): ItemStateAt {
  if (item.putAt > t) return 'unput';
  if (item.gotAt !== null && item.gotAt <= t) return 'got';
  if (item.lostAt !== null && item.lostAt <= t) return 'lost';
  return 'queued';
}

/** The tasks of a pool running at `t`, in lane order. */
export function runningAt(pool: ReplayPool, t: number): TaskSummary[] {
  return pool.tasks
    .filter((task) => taskStateAt(task, t) === 'running')
    .sort((a, b) => (a.lane ?? 0) - (b.lane ?? 0));
}

/** How many of a pool's tasks were in each state at `t`. */
export function countsAt(pool: ReplayPool, t: number): Record<TaskStateAt, number> {
  const counts: Record<TaskStateAt, number> = {
    unsubmitted: 0,
    queued: 0,
    running: 0,
    done: 0,
    failed: 0,
    cancelled: 0,
  };
  for (const task of pool.tasks) counts[taskStateAt(task, t)]++;
  return counts;
}

/** A run's output up to `t` (its lines carry the time they were read). */
export function outputAt(replay: Replay, runId: string, t: number): OutputLine[] {
  const lines = replay.output.get(runId) ?? [];
  let n = 0;
  while (n < lines.length && lines[n]!.t <= t) n++;
  return lines.slice(0, n);
}

/** A run's descendant lanes that had started by `t`, each ended at `t` if it ended later. */
export function lanesAt(replay: Replay, runId: string, t: number): DescendantLane[] {
  return (replay.lanes.get(runId) ?? [])
    .filter((lane) => lane.start <= t)
    .map((lane) => (lane.end !== null && lane.end <= t ? lane : { ...lane, end: null, zombie: false }));
}

/** The pools a run's program made (Python pools name their run; Forkscope's own pools have none). */
export function poolsOfRun(replay: Replay, runId: string | null): ReplayPool[] {
  if (runId === null) return replay.pools;
  return replay.pools.filter((pool) => pool.record.runId === runId);
}

/** The runs the user started (not a pool's workers or a Process's children). */
export function topRuns(replay: Replay): RunRecord[] {
  return replay.runs.filter((run) => run.parentId === null).sort((a, b) => a.startedAt - b.startedAt);
}

/** When a run ended, or the end of the recording if it had not. */
export function endOf(replay: Replay, run: RunRecord): number {
  return run.endedAt ?? replay.end;
}
