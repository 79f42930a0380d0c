import { z } from 'zod';
import { event, method } from './define';
import { envOverrides } from './env';
import { errorInfo } from './frames';
import { jsonValue } from './json';

export const runId = z.string().min(1).max(64);
const noNul = (what: string) =>
  z.string().refine((text) => !text.includes('\0'), { message: `${what} must not contain a NUL byte` });

export const runKind = z.enum(['command', 'fork', 'process', 'pool-worker', 'queue-process']);
export type RunKind = z.infer<typeof runKind>;

export const runState = z.enum(['running', 'exited', 'signalled', 'failed']);
export type RunState = z.infer<typeof runState>;

export const stopCause = z.enum(['terminate', 'kill', 'timeout', 'shutdown']);

export const exitInfo = z.object({
  code: z.number().int().nullable(),
  signal: z.string().nullable(),
  /**
   * As Python's `Popen.returncode` / `Process.exitcode`: the code, or minus the signal number;
   * null when the exit status could not be known (the spawn helper that waited for it died).
   */
  exitcode: z.number().int().nullable(),
  meaning: z.string(),
  stoppedBy: stopCause.nullable(),
  /**
   * The exception the program did not catch, read from its stderr when it ended (a Python
   * traceback, Node's uncaught-error report): its last line, and the seq where the report starts.
   */
  uncaught: z
    .object({ language: z.enum(['python', 'node']), error: z.string(), seq: z.number().int() })
    .optional(),
});
export type ExitInfo = z.infer<typeof exitInfo>;

export const streamName = z.enum(['stdout', 'stderr']);
export type StreamName = z.infer<typeof streamName>;

export const streamStats = z.object({
  /** Bytes received from the run. */
  bytes: z.number(),
  lines: z.number(),
  logPath: z.string(),
  /** Bytes of them on disk in `logPath`. */
  logged: z.number(),
  /** "log incomplete from byte N: <reason>" (a full disk, EIO, the log budget), else null. */
  logIncomplete: z.string().nullable(),
});

/** What a run does once the session's log budget is used up. */
export const logPolicy = z.enum(['keep-logging', 'stop-logging', 'stop-run']);
export type LogPolicy = z.infer<typeof logPolicy>;

export const logWarning = z.object({
  kind: z.enum(['fast', 'budget-80', 'budget-exceeded']),
  message: z.string(),
});
export type LogWarning = z.infer<typeof logWarning>;

export const thrownError = z.object({ name: z.string(), message: z.string(), stack: z.string() });
export type ThrownError = z.infer<typeof thrownError>;

export const runRecord = z.object({
  id: runId,
  kind: runKind,
  label: z.string(),
  pid: z.number().int().nullable(),
  /** The OS parent: Forkscope's spawn helper for commands, Forkscope itself for forks, Processes and pool workers. */
  ppid: z.number().int().nullable(),
  /** What the OS parent is ("spawn helper", "Forkscope"), to show beside the logical parent (`parentId`). */
  ppidName: z.string().nullable().optional(),
  /** The run that asked for this one (a Process started from another Process, a pool's worker…). */
  parentId: runId.nullable(),
  argv: z.array(z.string()),
  cwd: z.string(),
  shell: z.boolean(),
  startedAt: z.number(),
  endedAt: z.number().nullable(),
  state: runState,
  exit: exitInfo.nullable(),
  /** Why it could not start, or why it failed (timeout, a thrown error…). */
  error: errorInfo.nullable(),
  stdinOpen: z.boolean(),
  output: z.object({
    stdout: streamStats,
    stderr: streamStats,
    log: z.object({ policy: logPolicy, warning: logWarning.nullable() }),
  }),
  target: z.string().nullable(),
  result: z.json().optional(),
  thrown: thrownError.nullable(),
});
export type RunRecord = z.infer<typeof runRecord>;

export const outputLine = z.object({
  seq: z.number().int(),
  stream: streamName,
  t: z.number(),
  text: z.string(),
  /** A long line is held in memory as its head: this many more bytes of it are only in the log. */
  continuedBytes: z.number().int().min(1).optional(),
});
export type OutputLine = z.infer<typeof outputLine>;

const common = {
  cwd: noNul('the working directory').max(4096).optional(),
  env: envOverrides.optional(),
  label: z.string().max(200).optional(),
};

export const launchParams = z.object({
  program: z.string().min(1, 'say which program to run').max(4096),
  args: z.array(z.string().max(1_000_000)).max(100_000).default([]),
  ...common,
  /** Run through /bin/sh -c (or cmd.exe): off unless asked, as Python's `shell=False`. */
  shell: z.boolean().default(false),
  /** Text written to stdin at start (Python's `communicate(input)`). */
  input: z.string().optional(),
  /** Close stdin after `input` is written; otherwise it stays open for `writeStdin`. */
  closeStdin: z.boolean().default(false),
  /**
   * The Python lens (see contract/python.ts): `auto` turns it on when the program is a Python
   * interpreter (also behind a pyenv/asdf shim or in a venv), `on` for any program, `off` never.
   */
  lens: z.enum(['auto', 'on', 'off']).default('auto'),
  timeoutMs: z
    .number()
    .int()
    .positive()
    .max(7 * 24 * 3600_000)
    .optional(),
});
export type LaunchParams = z.input<typeof launchParams>;

export const forkParams = z.object({
  modulePath: z.string().min(1).max(4096),
  args: z.array(z.string().max(100_000)).max(10_000).default([]),
  ...common,
});
export type ForkParams = z.input<typeof forkParams>;

export const processParams = z.object({
  /** `path/to/module.js#exportName`, as Python's `Process(target=...)`. */
  target: z.string().regex(/^[^#]+#[A-Za-z_$][\w$]*$/, 'a target looks like path/to/module.js#exportName'),
  args: z.array(jsonValue).max(10_000).default([]),
  ...common,
  parentId: runId.optional(),
});
export type ProcessParams = z.input<typeof processParams>;

const byId = z.object({ id: runId });

/** Each stream's last line while it has no newline yet (a prompt, a progress bar), or null. */
export const unfinishedLines = z.object({ stdout: z.string().nullable(), stderr: z.string().nullable() });
export type UnfinishedLines = z.infer<typeof unfinishedLines>;

/**
 * The most line text (UTF-8 bytes) one `runs.readOutput` answer holds; `continueFrom` says where
 * to go on. Half a request frame's limit, so an answer leaves room in a connection's send budget
 * for the events that go out beside it.
 */
export const maxReadOutputBytes = 2 * 1024 * 1024;

export const readOutputResult = z.object({
  lines: z.array(outputLine),
  /**
   * From this sequence number on, every line of both streams is held in memory. Each stream keeps
   * its own window, so a quiet stream's older lines may still be held (a read from 0 gives them);
   * the rest are only in the logs on disk.
   */
  firstSeq: z.number().int(),
  nextSeq: z.number().int(),
  /**
   * When the answer stopped at `maxReadOutputBytes` before `limit` lines: the `fromSeq` that reads
   * on from there. Otherwise null.
   */
  continueFrom: z.number().int().nullable(),
  unfinished: unfinishedLines,
});
export type ReadOutputResult = z.infer<typeof readOutputResult>;

export const runMethods = {
  'runs.list': method(
    'Every run Forkscope started, oldest first.',
    z.object({}).default({}),
    z.array(runRecord),
  ),
  'runs.get': method('One run.', byId, runRecord),
  'runs.launch': method(
    'Start a command (Popen): argv without a shell unless asked, cwd, env, stdin text, timeout.',
    launchParams,
    runRecord,
  ),
  'runs.fork': method('child_process.fork of a module, with messages both ways.', forkParams, runRecord),
  'runs.startProcess': method(
    'Process(target, args): run an exported function in a forked child.',
    processParams,
    runRecord,
  ),
  'runs.send': method(
    'Send a message to a forked child.',
    z.object({ id: runId, message: jsonValue }),
    z.null(),
  ),
  'runs.writeStdin': method(
    'Write text to a run’s stdin.',
    z.object({ id: runId, text: z.string().max(1_000_000) }),
    z.null(),
  ),
  'runs.closeStdin': method('Close a run’s stdin (end of input).', byId, z.null()),
  'runs.terminate': method(
    'SIGTERM the run’s whole process group, then SIGKILL after the grace period.',
    z.object({ id: runId, graceMs: z.number().int().min(0).max(600_000).optional() }),
    runRecord,
  ),
  'runs.kill': method('SIGKILL the run’s whole process group.', byId, runRecord),
  'runs.join': method(
    'Wait until the run ends or the timeout passes (Process.join); the record tells whether it is alive.',
    z.object({ id: runId, timeoutMs: z.number().int().min(0).max(3600_000).optional() }),
    runRecord,
  ),
  'runs.readOutput': method(
    'Lines of a run’s output from a sequence number (back-fill after a reconnect or scroll-back).',
    z.object({
      id: runId,
      fromSeq: z.number().int().min(0).default(0),
      limit: z.number().int().min(1).max(10_000).default(1000),
    }),
    readOutputResult,
  ),
  'runs.clearFinished': method(
    'Forget runs that have ended; their logs stay on disk unless `deleteLogs`.',
    z.object({ deleteLogs: z.boolean().default(false) }).default({ deleteLogs: false }),
    z.number(),
  ),
  'runs.setLogPolicy': method(
    'What this run does once the log budget is used up: keep logging, stop logging (the in-memory window stays), or stop the run.',
    z.object({ id: runId, policy: logPolicy }),
    runRecord,
  ),
} as const;

export const runEvents = {
  'runs.updated': event('A run started, changed or ended.', runRecord),
  'runs.output': event(
    'New output lines of one run, coalesced; a flood sends only the newest lines and says how many it skipped.',
    z.object({
      id: runId,
      lines: z.array(outputLine),
      skipped: z.number().int(),
      unfinished: unfinishedLines,
      stdout: z.object({ bytes: z.number(), lines: z.number() }),
      stderr: z.object({ bytes: z.number(), lines: z.number() }),
    }),
  ),
  'runs.message': event(
    'A message between Forkscope and a forked child.',
    z.object({ id: runId, direction: z.enum(['to-child', 'from-child']), data: z.json(), t: z.number() }),
  ),
} as const;
