import type { RunRecord } from '../../../../contract';
import { endOf, poolsOfRun, type Replay } from './replay-model';

/** One event of Chrome's Trace Event Format (the JSON Object Format that Perfetto and chrome://tracing open). */
export interface TraceEvent {
  name: string;
  cat?: string;
  ph: 'X' | 'M' | 's' | 'f';
  ts?: number;
  dur?: number;
  pid: number;
  tid: number;
  id?: number;
  bp?: 'e';
  args?: Record<string, unknown>;
}

export interface ChromeTrace {
  traceEvents: TraceEvent[];
  displayTimeUnit: 'ms';
  otherData: Record<string, string>;
}

/** Each process's track holds four threads, so slices of different kinds never have to nest. */
const threads = { life: 0, tasks: 1, waits: 2, queues: 3 } as const;
const threadNames: Record<number, string> = {
  0: 'lifetime',
  1: 'tasks',
  2: 'waits',
  3: 'queue puts and gets',
};

/**
 * A recording (or one run of it) as a Chrome trace: each process a pid track (its lifetime as a
 * slice), each pool task a slice on its worker's track (its wait for a worker in its args), each
 * queue item a put slice, a get slice and a flow arrow from one to the other, each wait a slice.
 * Times are microseconds from the start of the recording (`otherData.startedAt` says when).
 */
export function chromeTrace(replay: Replay, runId: string | null = null): ChromeTrace {
  const events: TraceEvent[] = [];
  const us = (t: number) => Math.max(0, Math.round((t - replay.start) * 1000));
  const span = (from: number, to: number) => Math.max(1, us(to) - us(from));
  const named = new Map<number, string>();
  const threadsNamed = new Set<string>();
  const track = (pid: number, tid: number) => {
    const key = `${pid}/${tid}`;
    if (threadsNamed.has(key)) return;
    threadsNamed.add(key);
    events.push({ name: 'thread_name', ph: 'M', pid, tid, args: { name: threadNames[tid] } });
  };
  const nameProcess = (pid: number, name: string) => {
    if (!named.has(pid)) named.set(pid, `${name} ${pid}`);
  };
  const runs = replay.runs.filter((run) => runId === null || run.id === runId || inRun(replay, run, runId));
  const runPid = new Map(replay.runs.map((run) => [run.id, run.pid]));
  const pidOf = (actor: string): number | null => {
    if (actor === 'main') return replay.hostPid;
    if (actor.startsWith('pid:')) return Number(actor.slice(4)) || null;
    return runPid.get(actor) ?? null;
  };
  const slice = (
    pid: number,
    tid: number,
    name: string,
    cat: string,
    from: number,
    to: number,
    args?: Record<string, unknown>,
  ) => {
    track(pid, tid);
    events.push({
      name,
      cat,
      ph: 'X',
      ts: us(from),
      dur: span(from, to),
      pid,
      tid,
      ...(args ? { args } : {}),
    });
  };

  // Processes: each run's descendant lanes, or the run itself where its tree was not tracked.
  const pids = new Set<number>();
  for (const run of runs) {
    const lanes = replay.lanes.get(run.id) ?? [];
    for (const lane of lanes) {
      nameProcess(lane.pid, lane.name);
      pids.add(lane.pid);
      slice(lane.pid, threads.life, lane.cmd || lane.name, 'process', lane.start, lane.end ?? replay.end, {
        ppid: lane.ppid,
        run: run.id,
      });
    }
    if (run.pid !== null && !lanes.some((lane) => lane.pid === run.pid)) {
      nameProcess(run.pid, run.label);
      pids.add(run.pid);
      slice(run.pid, threads.life, run.label, 'process', run.startedAt, endOf(replay, run), runArgs(run));
    }
  }

  // Tasks, on their worker's track.
  let tasks = 0;
  for (const pool of poolsOfRun(replay, runId)) {
    for (const task of pool.tasks) {
      if (task.startedAt === null || task.pid === null) continue;
      nameProcess(task.pid, `${pool.record.label} worker`);
      tasks++;
      slice(
        task.pid,
        threads.tasks,
        task.label,
        `task ${task.state}`,
        task.startedAt,
        task.endedAt ?? replay.end,
        {
          pool: pool.record.id,
          task: task.id,
          state: task.state,
          waitedMs: Math.round(task.startedAt - task.queuedAt),
          ...(task.error ? { error: task.error } : {}),
        },
      );
    }
  }

  // Queue items: put → get as a flow arrow between two short slices.
  let flow = 0;
  for (const queue of replay.queues) {
    if (runId !== null && queue.info.runId !== runId) continue;
    for (const item of queue.items) {
      const from = pidOf(item.putBy);
      if (from === null) continue;
      nameProcess(from, item.putBy);
      slice(from, threads.queues, `put ${item.preview}`, 'queue', item.putAt, item.putAt, {
        queue: queue.info.id,
        item: item.id,
      });
      const to = item.gotBy === null || item.gotAt === null ? null : pidOf(item.gotBy);
      if (to === null || item.gotAt === null) continue;
      nameProcess(to, item.gotBy!);
      slice(to, threads.queues, `get ${item.preview}`, 'queue', item.gotAt, item.gotAt, {
        queue: queue.info.id,
        item: item.id,
      });
      flow++;
      events.push({
        name: queue.info.name,
        cat: 'queue',
        ph: 's',
        id: flow,
        ts: us(item.putAt),
        pid: from,
        tid: threads.queues,
      });
      events.push({
        name: queue.info.name,
        cat: 'queue',
        ph: 'f',
        bp: 'e',
        id: flow,
        ts: us(item.gotAt),
        pid: to,
        tid: threads.queues,
      });
    }
  }

  // Waits.
  for (const wait of replay.waits) {
    const pid = pidOf(wait.actor);
    if (pid === null || (runId !== null && !pids.has(pid))) continue;
    nameProcess(pid, wait.label);
    slice(pid, threads.waits, `waits: ${wait.what}`, 'wait', wait.since, wait.until ?? replay.end, {
      on: wait.on,
    });
  }

  const meta: TraceEvent[] = [...named].map(([pid, name]) => ({
    name: 'process_name',
    ph: 'M',
    pid,
    tid: 0,
    args: { name },
  }));
  return {
    traceEvents: [...meta, ...events],
    displayTimeUnit: 'ms',
    otherData: {
      recording: replay.name,
      startedAt: new Date(replay.start).toISOString(),
      command: replay.command?.join(' ') ?? '',
      tasks: String(tasks),
    },
  };
}

function inRun(replay: Replay, run: RunRecord, runId: string): boolean {
  // A run started by another (a Process's child, a pool worker) belongs to it.
  for (let parent = run.parentId; parent !== null;) {
    if (parent === runId) return true;
    parent = replay.runs.find((other) => other.id === parent)?.parentId ?? null;
  }
  return false;
}

function runArgs(run: RunRecord): Record<string, unknown> {
  return { run: run.id, state: run.state, exit: run.exit?.meaning ?? null };
}
