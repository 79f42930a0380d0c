import type { OutputLine, TaskDetail } from '../../../contract';
import type { Task } from './task';

/**
 * A task's own lines. A command task owns its run's whole output. A function task owns the
 * lines its worker printed between the task's start and end: the worker counts the newlines it
 * writes and reports the running totals with each result, so the lines are found by their
 * per-stream index, counted back from the capture's totals. Lines older than the capture's
 * in-memory window are only in the worker's log on disk: then the answer says it is truncated.
 */
export function taskOutput(task: Task, limit = 2000): { lines: OutputLine[]; truncated: boolean } {
  const capture = task.run!.capture;
  if (task.command) {
    const read = capture.read(0, limit);
    return { lines: read.lines, truncated: read.firstSeq > 0 || read.nextSeq > read.lines.length };
  }
  const stats = capture.stats();
  // The whole window: lines are counted back from the newest, so none may be left out.
  const { lines, firstSeq } = capture.read(0, capture.nextSeq, Infinity);
  let out = stats.stdout.lines;
  let err = stats.stderr.lines;
  const picked: OutputLine[] = [];
  let oldestOut = out;
  let oldestErr = err;
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!;
    const isOut = line.stream === 'stdout';
    const index = isOut ? --out : --err;
    if (isOut) oldestOut = index;
    else oldestErr = index;
    const from = isOut ? task.outFrom : task.errFrom;
    const to = isOut ? task.outTo : task.errTo;
    if (index >= to) continue;
    if (index < from) {
      if (out <= task.outFrom && err <= task.errFrom) break;
      continue;
    }
    picked.push(line);
  }
  picked.reverse();
  const evicted = firstSeq > 0 && (oldestOut > task.outFrom || oldestErr > task.errFrom);
  return { lines: picked.slice(-limit), truncated: evicted || picked.length > limit };
}

/** Everything the UI shows of one task: its summary, what it ran, its result or failure, its output. */
export function taskDetail(task: Task, target: string): TaskDetail {
  const output = task.run && task.state !== 'queued' ? taskOutput(task) : { lines: [], truncated: false };
  return {
    ...task.summary(),
    target,
    args: task.payload as TaskDetail['args'],
    ...(task.state === 'done' ? { result: task.result as TaskDetail['result'] } : {}),
    failure: task.failure,
    output: output.lines,
    outputTruncated: output.truncated,
  };
}
