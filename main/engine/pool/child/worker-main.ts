/**
 * A pool worker: runs function tasks one at a time, in the order they arrive, for as long as the
 * pool wants it. Tasks and results travel in batches over fd 3 (see ../worker-protocol.ts), so
 * stdout and stderr stay the user's own; what a task prints between its start and its end is
 * counted here (newlines) so the engine can give each task its own lines of the worker's output.
 */
import { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import {
  controlFd,
  decodeFromWorker,
  decodeToWorker,
  encodeBatch,
  encodeFromWorker,
  readBatch,
  splitLines,
  TaskMode,
  type FromWorker,
  type ToWorker,
  type WireMessage,
} from '../worker-protocol';

type Fn = (...args: unknown[]) => unknown;

const control = new Socket({ fd: controlFd, readable: true, writable: true });
let outLines = 0;
let errLines = 0;

function countNewlines(chunk: unknown): number {
  let count = 0;
  if (typeof chunk === 'string') {
    for (let at = chunk.indexOf('\n'); at !== -1; at = chunk.indexOf('\n', at + 1)) count++;
  } else if (chunk instanceof Uint8Array) {
    for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) count++;
  }
  return count;
}

// console.log and friends go through write(): count what each task prints.
for (const [stream, isOut] of [
  [process.stdout, true],
  [process.stderr, false],
] as const) {
  const original = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    const lines = countNewlines(chunk);
    if (isOut) outLines += lines;
    else errLines += lines;
    return original(chunk, ...rest);
  }) as typeof stream.write;
}

const now = () => Math.round((performance.timeOrigin + performance.now()) * 1000) / 1000;

// ---- sending, batched -------------------------------------------------------------------

let outbox: WireMessage[] = [];
let outboxSince = 0;

function encodeAll(messages: WireMessage[]): string {
  try {
    return encodeBatch(messages);
  } catch {
    // One value that JSON cannot carry (a BigInt, a cycle) must fail its own task, not the batch.
    return encodeBatch(
      messages.map((wire) => {
        try {
          JSON.stringify(wire);
          return wire;
        } catch (error) {
          const message = decodeFromWorker(wire);
          if (message.type !== 'result') throw error;
          return encodeFromWorker({
            ...message,
            type: 'error',
            name: 'TypeError',
            message: `The result cannot be sent as JSON: ${(error as Error).message}`,
            stack: '',
          });
        }
      }),
    );
  }
}

function flush(done?: () => void): void {
  if (outbox.length === 0) {
    done?.();
    return;
  }
  const line = encodeAll(outbox);
  outbox = [];
  control.write(line, done && (() => done()));
}

function post(message: FromWorker): void {
  if (outbox.length === 0) outboxSince = performance.now();
  outbox.push(encodeFromWorker(message));
}

// ---- targets -------------------------------------------------------------------------------

const targets = new Map<number, string>();
const resolved = new Map<string, Fn | Promise<Fn>>();

function load(target: string): Fn | Promise<Fn> {
  let fn = resolved.get(target);
  if (!fn) {
    const hash = target.lastIndexOf('#');
    const file = target.slice(0, hash);
    const name = target.slice(hash + 1);
    fn = import(pathToFileURL(file).href).then((module: Record<string, unknown>) => {
      const found = module[name];
      if (typeof found !== 'function')
        throw new TypeError(`${file} has no exported function named "${name}".`);
      resolved.set(target, found as Fn);
      return found as Fn;
    });
    resolved.set(target, fn);
    fn.catch(() => resolved.delete(target));
  }
  return fn;
}

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';

// ---- running tasks, one at a time ---------------------------------------------------------

type Task = Extract<ToWorker, { type: 'task' }>;
let inbox: Task[] = [];
let head = 0;
let busy = false;
let exitWhenIdle = false;

function succeed(taskId: number, t0: number, value: unknown) {
  const result = value === undefined ? null : value;
  post({ type: 'result', taskId, t0, t1: now(), outLines, errLines, value: result });
}

function errorParts(error: unknown) {
  const err = error instanceof Error ? error : new Error(String(error));
  return { name: err.name, message: err.message, stack: err.stack ?? '' };
}

function fail(taskId: number, t0: number, error: unknown) {
  post({ type: 'error', taskId, t0, t1: now(), outLines, errLines, ...errorParts(error) });
}

/** Runs a chunk item by item; switches to awaiting only when an item returns a promise. */
function runChunk(fn: Fn, mode: TaskMode, items: unknown[]): unknown[] | Promise<unknown[]> {
  const results = new Array<unknown>(items.length);
  for (let i = 0; i < items.length; i++) {
    const value = mode === TaskMode.Star ? fn(...(items[i] as unknown[])) : fn(items[i]);
    if (isThenable(value)) {
      return (async () => {
        results[i] = await value;
        for (let j = i + 1; j < items.length; j++) {
          results[j] = await (mode === TaskMode.Star ? fn(...(items[j] as unknown[])) : fn(items[j]));
        }
        return results;
      })();
    }
    results[i] = value === undefined ? null : value;
  }
  return results;
}

/** Starts one task; returns a promise only if it did not finish synchronously. */
function start(task: Task): Promise<void> | undefined {
  const { taskId: id, targetIndex, mode, payload } = task;
  const t0 = now();
  try {
    const target = targets.get(targetIndex);
    if (target === undefined) throw new Error(`Unknown target #${targetIndex}.`);
    const fn = load(target);
    const call = (f: Fn) => (mode === TaskMode.Call ? f(...payload) : runChunk(f, mode, payload));
    const value = isThenable(fn) ? fn.then(call) : call(fn);
    if (!isThenable(value)) {
      succeed(id, t0, value);
      return undefined;
    }
    return Promise.resolve(value).then(
      (result) => succeed(id, t0, result),
      (error: unknown) => fail(id, t0, error),
    );
  } catch (error) {
    fail(id, t0, error);
    return undefined;
  }
}

function pump(): void {
  busy = true;
  while (head < inbox.length) {
    const pending = start(inbox[head++]!);
    if (pending) {
      // Whoever waits on a long task should hear about the ones before it now.
      flush();
      void pending.then(pump);
      return;
    }
    if (outbox.length >= 256 || performance.now() - outboxSince > 2) flush();
  }
  inbox = [];
  head = 0;
  busy = false;
  flush();
  if (exitWhenIdle) leave(0);
}

function leave(code: number): void {
  flush(() => {
    control.end();
    process.exit(code);
  });
}

// ---- receiving -------------------------------------------------------------------------------

async function initialize(initializer: string | null, initargs: unknown[]): Promise<void> {
  try {
    if (initializer) await (await load(initializer))(...initargs);
    post({ type: 'ready', pid: process.pid, outLines, errLines });
    flush();
  } catch (error) {
    const parts = errorParts(error);
    process.stderr.write(`initializer failed: ${parts.stack || parts.message}\n`);
    post({ type: 'init-failed', ...parts });
    leave(1);
  }
}

function receive(batch: WireMessage[]): void {
  for (const wire of batch) {
    const message = decodeToWorker(wire);
    switch (message.type) {
      case 'task':
        inbox.push(message);
        break;
      case 'define':
        targets.set(message.index, message.target);
        break;
      case 'init':
        void initialize(message.initializer, message.initargs);
        break;
      case 'retire':
        exitWhenIdle = true;
        break;
      case 'give-back': {
        // Another worker is idle: what has not started here goes back to the engine.
        const taskIds = inbox.slice(head).map((task) => task.taskId);
        inbox.length = head;
        post({ type: 'given-back', taskIds });
        flush();
        break;
      }
    }
  }
  if (!busy) {
    if (head < inbox.length) pump();
    else if (exitWhenIdle) leave(0);
  }
}

control.setEncoding('utf8');
control.on(
  'data',
  splitLines((line) => receive(readBatch(line))),
);
// The engine went away: nobody is left to take results.
control.on('end', () => process.exit(0));
control.on('error', () => process.exit(0));
