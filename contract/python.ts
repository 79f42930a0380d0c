import { z } from 'zod';
import { event, method } from './define';
import { runId } from './runs';

/**
 * The Python lens (main/engine/python/): what a Python program's own multiprocessing,
 * concurrent.futures and subprocess calls did, reported from inside its processes.
 */
export const lensState = z.enum(['on', 'waiting', 'off']);

export const lensStatus = z.object({
  runId,
  /** on: connected; waiting: asked for, no process has connected yet; off: see reason. */
  state: lensState,
  /** Why it is off, in a sentence ("not a Python program", "could not connect", "turned off"). */
  reason: z.string().nullable(),
  events: z.number().int(),
  /** Events the program's processes dropped because Forkscope could not read them fast enough. */
  lost: z.number().int(),
  /** Exceptions inside the lens, swallowed so the program never sees them. */
  errors: z.number().int(),
  processes: z.number().int(),
  pools: z.array(z.string()),
  queues: z.array(z.string()),
  /** What the lens cannot see in this program (C extensions, raw os.fork pools…), when it knows. */
  unseen: z.string().nullable(),
});
export type LensStatus = z.infer<typeof lensStatus>;

export const pythonSignal = z.object({
  t: z.number(),
  from: z.number().int(),
  to: z.number().int(),
  signal: z.number().int(),
  /** Process.terminate, Process.kill, or null for a plain os.kill. */
  via: z.string().nullable(),
});
export type PythonSignal = z.infer<typeof pythonSignal>;

export const pythonWait = z.object({
  pid: z.number().int(),
  /** What it is blocked in: "Queue.get", "Process.join", "Lock.acquire"… */
  what: z.string(),
  since: z.number(),
  /** Whom it waits for, where knowable: pids, or a queue id. */
  on: z.string().nullable(),
});
export type PythonWait = z.infer<typeof pythonWait>;

export const pythonProcess = z.object({
  pid: z.number().int(),
  /** The OS parent as the process saw it at start. */
  ppid: z.number().int(),
  /** The logical parent: the process that asked for it (Process.start, Popen), where the lens saw that. */
  starter: z.number().int().nullable(),
  /** How it came to be: the program itself, os.fork, a Process (and its start method), Popen. */
  via: z.string(),
  name: z.string().nullable(),
  target: z.string().nullable(),
  argv: z.array(z.string()),
  startedAt: z.number(),
  endedAt: z.number().nullable(),
  /** As Python reports it: negative for a signal. */
  exitcode: z.number().int().nullable(),
  /** Popen of a program that could not start: the exception Python raised. */
  error: z.string().nullable(),
  waiting: pythonWait.nullable(),
});
export type PythonProcess = z.infer<typeof pythonProcess>;

export const lensDetail = z.object({
  status: lensStatus,
  processes: z.array(pythonProcess),
  signals: z.array(pythonSignal),
});
export type LensDetail = z.infer<typeof lensDetail>;

export const pythonMethods = {
  'python.lens': method(
    'What the Python lens saw in a run: its status, every Python process (how it started, how it ended, what it waits for) and the signals between them.',
    z.object({ runId }),
    lensDetail,
  ),
} as const;

export const pythonEvents = {
  'python.lens': event('A run’s Python lens saw something new (coalesced): its status.', lensStatus),
} as const;
