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
  /** The most recent samples (oldest first), one per snapshot: CPU % and resident bytes. */
  history: z.object({ t: z.array(z.number()), cpu: z.array(z.number()), memory: z.array(z.number()) }),
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

export const descendantLane = z.object({
  pid: z.number().int(),
  ppid: z.number().int(),
  name: z.string(),
  cmd: z.string(),
  /** Epoch ms, from the kernel's start time. */
  start: z.number(),
  /** Epoch ms of the first sample that found it gone (or a zombie); null while it lives. */
  end: z.number().nullable(),
  /** The run's own process (the root of the tree). */
  root: z.boolean(),
  /** How far below the root: 0 for the root, 1 for its children… */
  depth: z.number().int(),
  /** It ended as a zombie nobody reaped (yet). */
  zombie: z.boolean(),
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
    'Watch a run’s descendants (≥ 10 samples a second) and keep each one’s lane: start, end, command.',
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
    'Descendant lanes of a tracked run that started or ended since the last event.',
    z.object({
      runId,
      rootPid: z.number().int().nullable(),
      tracking: z.boolean(),
      lanes: z.array(descendantLane),
    }),
  ),
} as const;
