import { z } from 'zod';
import { event, method } from './define';
import { runId } from './runs';

/** `R` running, `S` sleeping, `D` disk wait, `Z` zombie, `T` stopped, `t` traced, `I` idle, `X` dead, `?` unknown. */
export const processState = z.string().max(2);

/** Which part of Forkscope a process belongs to, if any. */
export const ownership = z.enum([
  /** Forkscope itself or its machinery (spawn helper, Electron's own children): never killed from the UI. */
  'forkscope',
  /** A run's own process. */
  'run',
  /** A child (or grandchild…) of a run. */
  'descendant',
]);
export type Ownership = z.infer<typeof ownership>;

export const processRow = z.object({
  /** pid + start time: a pid reused by a new process is a new row. */
  key: z.string(),
  pid: z.number().int(),
  ppid: z.number().int(),
  name: z.string(),
  cmd: z.string(),
  user: z.string(),
  state: processState,
  /** Percent of one CPU since the previous snapshot (the first: since the process started, as ps). */
  cpu: z.number(),
  /** Resident memory in bytes. */
  memory: z.number(),
  /** Epoch ms; 0 where the system does not say. */
  start: z.number(),
  own: ownership.nullable(),
  /** The run it belongs to, for `run` and `descendant`. */
  runId: runId.nullable(),
});
export type ProcessRow = z.infer<typeof processRow>;

export const systemSettings = z.object({
  intervalMs: z.number().int().min(250).max(60_000),
  paused: z.boolean(),
});
export type SystemSettings = z.infer<typeof systemSettings>;

export const systemSnapshot = z.object({
  seq: z.number().int(),
  t: z.number(),
  rows: z.array(processRow),
  /** `proc` (Linux, /proc read directly) or `ps-list` (macOS, Windows). */
  source: z.enum(['proc', 'ps-list']),
  settings: systemSettings,
});
export type SystemSnapshot = z.infer<typeof systemSnapshot>;

export const systemDiff = z.object({
  /** Apply only on top of the snapshot numbered `baseSeq`; otherwise ask for a full snapshot. */
  baseSeq: z.number().int(),
  seq: z.number().int(),
  t: z.number(),
  added: z.array(processRow),
  /** Keys of rows that are gone. */
  removed: z.array(z.string()),
  /** Whole rows that changed (CPU, memory, state, name, command…). */
  changed: z.array(processRow),
});
export type SystemDiff = z.infer<typeof systemDiff>;

/** What a process waits for, as a category: the lane's colour. */
export const processWaitKind = z.enum([
  'running',
  /** waitpid / wait4 / waitid, Process.join, Popen.wait. */
  'child',
  /** read/recv on a pipe, socket or terminal; Queue.get. */
  'read',
  /** write/send (the pipe is full); Queue.put on a full queue. */
  'write',
  /** poll, select, epoll: several descriptors at once (an event loop). */
  'poll',
  /** futex, flock, a semaphore: a lock. */
  'lock',
  /** nanosleep, clock_nanosleep. */
  'sleep',
  /** pause, sigsuspend, sigtimedwait. */
  'signal',
  /** uninterruptible: disk or device. */
  'disk',
  /** SIGSTOP, job control or a debugger. */
  'stopped',
  'zombie',
  'other',
]);
export type ProcessWaitKind = z.infer<typeof processWaitKind>;

/** Why a process waits, in the kernel's own words (Linux) — or the Python lens's, where it knows more. */
export const waitInfo = z.object({
  kind: processWaitKind,
  /** In words: "waiting to read from a pipe (fd 3 ← pid 4567)". */
  text: z.string(),
  state: processState,
  /** /proc/PID/wchan: the kernel function it sleeps in; null where not readable. */
  wchan: z.string().nullable(),
  /** The current system call's name (or number), from /proc/PID/syscall; null when running or unreadable. */
  syscall: z.string().nullable(),
  /** The top of /proc/PID/stack where readable (details only). */
  stack: z.array(z.string()).nullable(),
  /** `kernel` (/proc) or `python` (the Python lens: Queue.get, Process.join…). */
  source: z.enum(['kernel', 'python']),
  /** Epoch ms since when it has waited like this (as far as seen). */
  since: z.number(),
});
export type WaitInfo = z.infer<typeof waitInfo>;

/** A process's most recent samples (oldest first), one per snapshot: CPU % and resident bytes. */
export const processHistory = z.object({
  t: z.array(z.number()),
  cpu: z.array(z.number()),
  memory: z.array(z.number()),
});
export type ProcessHistory = z.infer<typeof processHistory>;

export const processDetails = z.object({
  pid: z.number().int(),
  ppid: z.number().int(),
  key: z.string(),
  name: z.string(),
  cmd: z.string(),
  exe: z.string().nullable(),
  /** null where the system does not tell (another user's process, or not Linux); `cwdError` says why. */
  cwd: z.string().nullable(),
  cwdError: z.string().nullable(),
  user: z.string(),
  uid: z.number().int().nullable(),
  start: z.number(),
  state: processState,
  stateMeaning: z.string(),
  threads: z.number().int().nullable(),
  pgid: z.number().int().nullable(),
  sid: z.number().int().nullable(),
  parentName: z.string().nullable(),
  cpuSeconds: z.number().nullable(),
  memory: z.number(),
  own: ownership.nullable(),
  runId: runId.nullable(),
  history: processHistory,
  /** Why it waits (Linux; the Python lens's answer where it knows more); null elsewhere. */
  why: waitInfo.nullable().default(null),
});
export type ProcessDetails = z.infer<typeof processDetails>;

export const signalName = z.enum(['TERM', 'KILL', 'INT', 'HUP', 'STOP', 'CONT']);
export type SignalName = z.infer<typeof signalName>;

export const killParams = z.object({
  pid: z.number().int(),
  signal: signalName.default('TERM'),
  /** Signal its descendants too (parent first, so a pool cannot replace a worker). */
  tree: z.boolean().default(false),
  /** The start time seen in the snapshot: a pid reused since then is refused. */
  start: z.number().optional(),
});
export type KillParams = z.input<typeof killParams>;

export const killResult = z.object({
  signal: signalName,
  signalled: z.array(z.object({ pid: z.number().int(), name: z.string() })),
  failed: z.array(z.object({ pid: z.number().int(), code: z.string(), message: z.string() })),
});
export type KillResult = z.infer<typeof killResult>;

/** Who asked for a process, where that is not its OS parent. */
export const logicalParent = z.object({
  pid: z.number().int().nullable(),
  runId: runId.nullable(),
  /** "run r3 (label)", "pid 4567 (Process.start)", "Forkscope (launch form or API)". */
  label: z.string(),
});
export type LogicalParent = z.infer<typeof logicalParent>;

export const descendantLane = z.object({
  pid: z.number().int(),
  /** The OS parent, as the kernel says. */
  ppid: z.number().int(),
  name: z.string(),
  cmd: z.string(),
  /** Epoch ms, from the kernel's start time. */
  start: z.number(),
  /** Epoch ms of the first sample that found it exited (a zombie, or gone); null while it lives. */
  end: z.number().nullable(),
  /** The run's own process (the root of the tree). */
  root: z.boolean(),
  /** How far below the root: 0 for the root, 1 for its children… */
  depth: z.number().int(),
  /** Its exit was not collected (reaped) by its parent for longer than a moment (250 ms). */
  zombie: z.boolean(),
  /** Epoch ms of the first sample that found it gone after it was seen as a zombie; null when not seen. */
  reaped: z.number().nullable().default(null),
  /** The programs this pid ran before it exec'd the current one (a shim, `sh -c`, `env`), oldest first. */
  execs: z.array(z.object({ name: z.string(), cmd: z.string(), until: z.number() })).default([]),
  /** A short-lived helper of a process that then exec'd another program (a shim's readlink): folded. */
  folded: z.boolean().default(false),
  /** Who asked for it, where that differs from the OS parent (a run, a Python Process.start). */
  logicalParent: logicalParent.nullable().default(null),
  /** Why it waits now (or last waited, once ended). */
  why: waitInfo.nullable().default(null),
  /** What it waited for over time: one entry per change (the lane's colours), oldest first. */
  waits: z.array(z.object({ t: z.number(), kind: processWaitKind })).default([]),
});
export type DescendantLane = z.infer<typeof descendantLane>;

export const descendantsInfo = z.object({
  runId,
  rootPid: z.number().int().nullable(),
  label: z.string(),
  tracking: z.boolean(),
  sampleHz: z.number(),
  lanes: z.array(descendantLane),
});
export type DescendantsInfo = z.infer<typeof descendantsInfo>;

const byRun = z.object({ runId });

export const systemMethods = {
  'system.snapshot': method(
    'Every process of the machine now, with the sequence number that later diffs build on.',
    z.object({}).default({}),
    systemSnapshot,
  ),
  'system.watch': method(
    'Keep snapshots (and their diffs) coming for leaseMs; renew while the view is visible. Idle costs nothing.',
    z
      .object({ leaseMs: z.number().int().min(1000).max(120_000).default(15_000) })
      .default({ leaseMs: 15_000 }),
    systemSettings,
  ),
  'system.settings': method(
    'Read or change the refresh interval and pause.',
    systemSettings.partial().default({}),
    systemSettings,
  ),
  'system.details': method(
    'Details of one process: cmd, cwd, user, start time, state, threads, recent CPU and memory.',
    z.object({ pid: z.number().int().positive() }),
    processDetails,
  ),
  'system.kill': method(
    'Send a signal to a process (or its whole tree). pid 1, Forkscope itself and its parents are refused.',
    killParams,
    killResult,
  ),
  'system.track': method(
    'Watch a run’s descendants (every run is watched from its start; this is for a run started before) and keep each one’s lane.',
    byRun,
    descendantsInfo,
  ),
  'system.descendants': method('The lanes recorded for a run (tracked or not).', byRun, descendantsInfo),
  'system.tracked': method(
    'Every run whose descendants are or were tracked.',
    z.object({}).default({}),
    z.array(descendantsInfo),
  ),
} as const;

export const systemEvents = {
  'system.diff': event('What changed since the previous snapshot: rows added, removed, changed.', systemDiff),
  'system.settings': event('The refresh interval or pause changed.', systemSettings),
  'system.lanes': event(
    'Descendant lanes of a run that started, changed (exec, wait) or ended since the last event.',
    z.object({
      runId,
      rootPid: z.number().int().nullable(),
      tracking: z.boolean(),
      lanes: z.array(descendantLane),
    }),
  ),
} as const;
