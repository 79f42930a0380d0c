import type { DescendantLane, RunRecord, TaskSummary } from '../../../../contract';
import { endOf, poolsOfRun, type Replay } from './replay-model';

/** One side of a comparison: a run of a recording. */
export interface Side {
  replay: Replay;
  run: RunRecord;
}

export interface SideSummary {
  label: string;
  start: number;
  /** Run time, start to end (ms). */
  total: number;
  tasks: (TaskSummary & { pool: string })[];
  lanes: DescendantLane[];
  workers: number;
  meanWait: number | null;
  maxWait: number | null;
  meanDuration: number | null;
  exit: string;
}

const mean = (values: number[]) =>
  values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;

export function summarize({ replay, run }: Side): SideSummary {
  const pools = poolsOfRun(replay, run.id);
  const tasks = pools.flatMap((pool) => pool.tasks.map((task) => ({ ...task, pool: pool.record.label })));
  const waits = tasks
    .filter((task) => task.startedAt !== null)
    .map((task) => task.startedAt! - task.queuedAt);
  const durations = tasks
    .filter((task) => task.startedAt !== null && task.endedAt !== null)
    .map((task) => task.endedAt! - task.startedAt!);
  return {
    label: `${replay.name} · ${run.label}`,
    start: run.startedAt,
    total: endOf(replay, run) - run.startedAt,
    tasks,
    lanes: replay.lanes.get(run.id) ?? [],
    workers: new Set(tasks.map((task) => task.pid).filter((pid) => pid !== null)).size,
    meanWait: mean(waits),
    maxWait: waits.length === 0 ? null : Math.max(...waits),
    meanDuration: mean(durations),
    exit: run.exit?.meaning ?? run.state,
  };
}

export interface DiffLine {
  kind: 'same' | 'left' | 'right';
  text: string;
}

/** Lines compared at most: a longer output is compared on its first lines, and says so. */
export const diffLimit = 2000;

/**
 * A line diff of two outputs (longest common subsequence). With `ignoreNumbers`, digits are
 * compared as one mark, so pids, times and counts that differ from run to run do not count.
 */
export function diffLines(left: string[], right: string[], ignoreNumbers = false): DiffLine[] {
  const a = left.slice(0, diffLimit);
  const b = right.slice(0, diffLimit);
  const key = ignoreNumbers ? (text: string) => text.replace(/\d+(\.\d+)?/g, '#') : (text: string) => text;
  const ka = a.map(key);
  const kb = b.map(key);
  const n = a.length;
  const m = b.length;
  const table = new Uint16Array((n + 1) * (m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      table[i * (m + 1) + j] =
        ka[i] === kb[j]
          ? table[(i + 1) * (m + 1) + j + 1]! + 1
          : Math.max(table[(i + 1) * (m + 1) + j]!, table[i * (m + 1) + j + 1]!);
    }
  }
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (ka[i] === kb[j]) {
      out.push({ kind: 'same', text: a[i]! });
      i++;
      j++;
    } else if (table[(i + 1) * (m + 1) + j]! >= table[i * (m + 1) + j + 1]!)
      out.push({ kind: 'left', text: a[i++]! });
    else out.push({ kind: 'right', text: b[j++]! });
  }
  while (i < n) out.push({ kind: 'left', text: a[i++]! });
  while (j < m) out.push({ kind: 'right', text: b[j++]! });
  return out;
}
