/**
 * The pool's control channel (fd 3 of each worker, a socketpair): one JSON array of messages per
 * line, in both directions. Batching many tasks and results into one line is what makes tiny
 * tasks cheap: one write, one JSON.parse and one wake-up for a whole batch.
 */

/** How a task's payload is applied to the target: fn(...args), items.map(fn), or items.map((a) => fn(...a)). */
export const TaskMode = { Call: 0, Map: 1, Star: 2 } as const;
export type TaskMode = (typeof TaskMode)[keyof typeof TaskMode];

/** Engine → worker, decoded. */
export type ToWorker =
  /** Start: run the initializer (if any) once, then say ready. */
  | { type: 'init'; initializer: string | null; initargs: unknown[] }
  /** Define target number `index` once per worker, so tasks carry a small number, not a path. */
  | { type: 'define'; index: number; target: string }
  | { type: 'task'; taskId: number; targetIndex: number; mode: TaskMode; payload: unknown[] }
  /** Exit once the tasks already sent are done (close, maxTasksPerChild). */
  | { type: 'retire' }
  /** Give back the tasks held but not started (another worker is idle): answered by 'given-back'. */
  | { type: 'give-back' };

/** Where a task ended, in the worker's clock, and the worker's line counts at its end. */
export interface TaskEnd {
  taskId: number;
  t0: number;
  t1: number;
  outLines: number;
  errLines: number;
}

export interface ErrorParts {
  name: string;
  message: string;
  stack: string;
}

/**
 * Worker → engine, decoded. Line counts are cumulative newlines written to stdout/stderr: a task
 * owns the lines between its start and end.
 */
export type FromWorker =
  | { type: 'ready'; pid: number; outLines: number; errLines: number }
  | ({ type: 'init-failed' } & ErrorParts)
  /** The tasks it held but had not started, given back on 'give-back' (possibly none). */
  | { type: 'given-back'; taskIds: number[] }
  | ({ type: 'result'; value: unknown } & TaskEnd)
  | ({ type: 'error' } & TaskEnd & ErrorParts);

/**
 * On the wire each message is a JSON array, its tag first, its fields after it in a fixed order:
 * half the bytes of an object with its keys, for batches of thousands of tiny tasks. The order is
 * written here and nowhere else: both ends encode and decode through these functions.
 */
export type WireMessage = [tag: string, ...fields: unknown[]];

/** A message that is not of this protocol (task code that wrote to fd 3 itself, say). */
export class WorkerProtocolError extends Error {
  override name = 'WorkerProtocolError';
}

export function encodeToWorker(message: ToWorker): WireMessage {
  switch (message.type) {
    case 'init':
      return ['init', message.initializer, message.initargs];
    case 'define':
      return ['define', message.index, message.target];
    case 'task':
      return ['task', message.taskId, message.targetIndex, message.mode, message.payload];
    case 'retire':
    case 'give-back':
      return [message.type];
  }
}

export function decodeToWorker(wire: WireMessage): ToWorker {
  switch (wire[0]) {
    case 'init':
      return { type: 'init', initializer: wire[1] as string | null, initargs: wire[2] as unknown[] };
    case 'define':
      return { type: 'define', index: wire[1] as number, target: wire[2] as string };
    case 'task':
      return {
        type: 'task',
        taskId: wire[1] as number,
        targetIndex: wire[2] as number,
        mode: wire[3] as TaskMode,
        payload: wire[4] as unknown[],
      };
    case 'retire':
    case 'give-back':
      return { type: wire[0] };
    default:
      throw new WorkerProtocolError(`Unknown message to a pool worker: ${String(wire[0])}.`);
  }
}

export function encodeFromWorker(message: FromWorker): WireMessage {
  switch (message.type) {
    case 'ready':
      return ['ready', message.pid, message.outLines, message.errLines];
    case 'init-failed':
      return ['init-failed', message.name, message.message, message.stack];
    case 'given-back':
      return ['given-back', message.taskIds];
    case 'result': {
      const { taskId, t0, t1, outLines, errLines } = message;
      const packed = packNumbers(message.value);
      if (packed !== null) return ['result-numbers', taskId, t0, t1, outLines, errLines, packed];
      return ['result', taskId, t0, t1, outLines, errLines, message.value];
    }
    case 'error': {
      const { taskId, t0, t1, outLines, errLines } = message;
      return ['error', taskId, t0, t1, outLines, errLines, message.name, message.message, message.stack];
    }
  }
}

export function decodeFromWorker(wire: WireMessage): FromWorker {
  // Object literals, not spreads of a shared part: this runs once per task on the engine's hot path.
  switch (wire[0]) {
    case 'ready':
      return {
        type: 'ready',
        pid: wire[1] as number,
        outLines: wire[2] as number,
        errLines: wire[3] as number,
      };
    case 'init-failed':
      return {
        type: 'init-failed',
        name: wire[1] as string,
        message: wire[2] as string,
        stack: wire[3] as string,
      };
    case 'given-back':
      return { type: 'given-back', taskIds: wire[1] as number[] };
    case 'result':
      return {
        type: 'result',
        taskId: wire[1] as number,
        t0: wire[2] as number,
        t1: wire[3] as number,
        outLines: wire[4] as number,
        errLines: wire[5] as number,
        value: wire[6],
      };
    case 'result-numbers':
      // One a chunk, and large: rebuilding the plain message costs nothing beside the unpacking.
      return decodeFromWorker(['result', ...wire.slice(1, 6), unpackNumbers(wire[6])]);
    case 'error':
      return {
        type: 'error',
        taskId: wire[1] as number,
        t0: wire[2] as number,
        t1: wire[3] as number,
        outLines: wire[4] as number,
        errLines: wire[5] as number,
        name: wire[6] as string,
        message: wire[7] as string,
        stack: wire[8] as string,
      };
    default:
      throw new WorkerProtocolError(`Unknown message from a pool worker: ${String(wire[0])}.`);
  }
}

/** Shorter arrays are not worth packing. */
const packedMinLength = 64;

/**
 * A map chunk's results, when every one is a finite number, travel as their float64 bytes in
 * base64: JSON.stringify writes a large double at ~150 ns (the shortest decimal that reads back
 * the same), which made a worker spend most of a map of `x * x` on printing. The values are the
 * ones JSON would give: NaN and ±Infinity (null in JSON) are not packed, -0 arrives as 0.
 */
function packNumbers(value: unknown): string | null {
  if (!Array.isArray(value) || value.length < packedMinLength) return null;
  const packed = new Float64Array(value.length);
  for (let i = 0; i < value.length; i++) {
    const item: unknown = value[i];
    if (typeof item !== 'number' || item - item !== 0) return null;
    packed[i] = item || 0;
  }
  return Buffer.from(packed.buffer).toString('base64');
}

function unpackNumbers(text: unknown): number[] {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'base64') : null;
  if (!bytes || bytes.length % 8 !== 0)
    throw new WorkerProtocolError('Packed numbers from a pool worker must be float64s in base64.');
  const packed = new Float64Array(bytes.length / 8);
  new Uint8Array(packed.buffer).set(bytes);
  // A loop into an array made at its length keeps the doubles unboxed (Array.from boxes each).
  const values = new Array<number>(packed.length);
  for (let i = 0; i < packed.length; i++) values[i] = packed[i]!;
  return values;
}

/** A batch as one line of JSON. */
export const encodeBatch = (messages: WireMessage[]): string => JSON.stringify(messages) + '\n';

/**
 * One line of the channel as its messages. Anything but an array is refused here; a message that
 * is not a tagged array is refused by its decoder.
 */
export function readBatch(line: string): WireMessage[] {
  const batch = JSON.parse(line) as unknown;
  if (!Array.isArray(batch))
    throw new WorkerProtocolError('A control line of a pool worker must be an array of messages.');
  return batch as WireMessage[];
}

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
