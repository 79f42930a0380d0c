import type { PoolLane, TaskSummary } from '../../../../contract';

/**
 * The Gantt's rows. Lanes of distributed pools carry their agent's host: rows are grouped by
 * host (then agent pid, then lane), so one host's slots sit together whatever order they were
 * first seen in. Other pools keep one row per lane, in lane order.
 */
export function laneRows(lanes: readonly PoolLane[]): {
  order: number[];
  rowOf: (lane: number) => number;
  hosts: string[];
  /** Rows where a new host begins. */
  hostStarts: Set<number>;
} {
  const order = lanes.map((_, index) => index);
  if (lanes.some((lane) => lane.host !== undefined)) {
    order.sort((a, b) => {
      const x = lanes[a]!;
      const y = lanes[b]!;
      return (x.host ?? '').localeCompare(y.host ?? '') || (x.pid ?? 0) - (y.pid ?? 0) || a - b;
    });
  }
  const rows = new Map<number, number>();
  const hosts: string[] = [];
  const hostStarts = new Set<number>();
  order.forEach((laneIndex, row) => {
    const lane = lanes[laneIndex]!;
    rows.set(lane.lane, row);
    if (lane.host !== undefined && hosts.at(-1) !== lane.host) {
      hosts.push(lane.host);
      hostStarts.add(row);
    }
  });
  return { order, rowOf: (lane) => rows.get(lane) ?? lane, hosts, hostStarts };
}

/**
 * The tasks plus one failed bar per earlier attempt of a distributed task (an exit code that was
 * retried, or an agent that died under it), on the lane where that attempt ran.
 */
export function withTries(tasks: readonly TaskSummary[]): TaskSummary[] {
  if (!tasks.some((task) => task?.tries?.length)) return tasks as TaskSummary[];
  const bars: TaskSummary[] = [];
  for (const task of tasks) {
    if (!task) continue;
    for (const attempt of task.tries ?? []) {
      if (attempt.lane === null || attempt.startedAt === null) continue;
      bars.push({
        ...task,
        state: 'failed',
        lane: attempt.lane,
        host: attempt.host,
        pid: attempt.pid,
        startedAt: attempt.startedAt,
        endedAt: attempt.endedAt,
        exitcode: attempt.exitcode,
        error: attempt.error,
        tries: [],
      });
    }
    bars.push(task);
  }
  return bars;
}
