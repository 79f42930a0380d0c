/**
 * The pool's control channel (fd 3 of each worker, a socketpair): one JSON array of messages per
 * line, in both directions. Batching many tasks and results into one line is what makes tiny
 * tasks cheap: one write, one JSON.parse and one wake-up for a whole batch.
 */

/** How a task's payload is applied to the target: fn(...args), items.map(fn), or items.map((a) => fn(...a)). */
export const TaskMode = { Call: 0, Map: 1, Star: 2 } as const;
export type TaskMode = (typeof TaskMode)[keyof typeof TaskMode];

export type ToWorker =
  /** Start: run the initializer (if any) once, then say ready. */
  | ['i', initializer: string | null, initargs: unknown[]]
  /** Define target number `index` once per worker, so tasks carry a small number, not a path. */
  | ['d', index: number, target: string]
  | ['t', taskId: number, targetIndex: number, mode: TaskMode, payload: unknown[]]
  /** Exit once the tasks already sent are done (close, maxTasksPerChild). */
  | ['x']
  /** Give back the tasks held but not started (another worker is idle): answered by 'back'. */
  | ['u'];

/** Line counts are cumulative newlines written to stdout/stderr: a task owns the lines between its start and end. */
export type FromWorker =
  | ['ready', pid: number, outLines: number, errLines: number]
  | ['initfail', name: string, message: string, stack: string]
  /** The tasks it held but had not started, given back on 'u' (possibly none). */
  | ['back', taskIds: number[]]
  | ['r', taskId: number, t0: number, t1: number, outLines: number, errLines: number, value: unknown]
  | [
      'e',
      taskId: number,
      t0: number,
      t1: number,
      outLines: number,
      errLines: number,
      name: string,
      message: string,
      stack: string,
    ];

/** The worker's control channel is this file descriptor. */
export const controlFd = 3;

/**
 * Calls `onLine` with each complete line of a text stream, however its chunks are cut.
 * Both ends of the control channel read with it.
 */
export function splitLines(
  onLine: (line: string) => void,
  /** A line longer than this (in characters) is not kept: `onOverflow` is called instead. */
  limit?: { maxLineChars: number; onOverflow: () => void },
): (chunk: string) => void {
  let pending = '';
  return (chunk) => {
    let start = 0;
    let newline = chunk.indexOf('\n');
    while (newline !== -1) {
      const line = start === 0 && pending ? pending + chunk.slice(0, newline) : chunk.slice(start, newline);
      if (start === 0) pending = '';
      onLine(line);
      start = newline + 1;
      newline = chunk.indexOf('\n', start);
    }
    pending += chunk.slice(start);
    if (limit && pending.length > limit.maxLineChars) {
      pending = '';
      limit.onOverflow();
    }
  };
}
