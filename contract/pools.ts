import { z } from 'zod';
import { event, method } from './define';
import { envOverrides } from './env';
import { errorCodes } from './errors';
import { jsonValue } from './json';
import { outputLine, runId } from './runs';

export const poolId = z.string().min(1).max(64);
const taskId = z.number().int().min(1);
const target = z
  .string()
  .regex(/^[^#]+#[A-Za-z_$][\w$]*$/, 'a target looks like path/to/module.js#exportName');
const timeoutMs = z
  .number()
  .int()
  .positive()
  .max(7 * 24 * 3600_000);
const noNul = (what: string) =>
  z.string().refine((text) => !text.includes('\0'), { message: `${what} must not contain a NUL byte` });

/**
 * python: a Python program's own multiprocessing.Pool or ProcessPoolExecutor, seen through the lens.
 * distributed: command tasks as BullMQ jobs in a Redis, run by worker agents on any host (main/engine/fleet).
 */
export const poolKind = z.enum(['function', 'command', 'python', 'distributed']);
export type PoolKind = z.infer<typeof poolKind>;

/** running → closing (closed, still working) → done; or terminated; or degraded (workers crash on start). */
export const poolState = z.enum(['running', 'closing', 'done', 'terminated', 'degraded']);
export type PoolState = z.infer<typeof poolState>;

export const taskState = z.enum(['queued', 'running', 'done', 'failed', 'cancelled']);
export type TaskState = z.infer<typeof taskState>;

export const taskError = z.object({
  code: z.enum(errorCodes),
  message: z.string(),
  name: z.string().optional(),
  stack: z.string().optional(),
});
export type TaskError = z.infer<typeof taskError>;

/** A lane of the Gantt chart: a worker process (function pools) or a job slot (command pools). */
export const poolLane = z.object({
  lane: z.number().int(),
  runId: runId.nullable(),
  pid: z.number().int().nullable(),
  state: z.enum(['starting', 'ready', 'exited']),
  startedAt: z.number(),
  endedAt: z.number().nullable(),
  tasksDone: z.number().int(),
  /** Why it ended, e.g. "killed outright (SIGKILL cannot be caught)". */
  exit: z.string().nullable(),
  /** The lane of the worker that replaced it. */
  replacedBy: z.number().int().nullable(),
  /** Distributed pools: the worker agent's host name (its --name); the lane is one of its job slots. */
  host: z.string().optional(),
});
export type PoolLane = z.infer<typeof poolLane>;

export const poolCounts = z.object({
  total: z.number().int(),
  queued: z.number().int(),
  running: z.number().int(),
  done: z.number().int(),
  failed: z.number().int(),
  cancelled: z.number().int(),
});
export type PoolCounts = z.infer<typeof poolCounts>;

/** A worker agent of a distributed pool, as its last heartbeat in Redis told. */
export const fleetAgent = z.object({
  /** `name:pid`, unique per agent process. */
  id: z.string(),
  /** Its --name (the host name by default). */
  name: z.string(),
  pid: z.number().int(),
  concurrency: z.number().int(),
  /** working; stopping (finishing its jobs after a signal); stopped (said goodbye); lost (no heartbeat). */
  state: z.enum(['working', 'stopping', 'stopped', 'lost']),
  /** The jobs it runs now, as task labels. */
  running: z.array(z.string()),
  done: z.number().int(),
  failed: z.number().int(),
  lastError: z.string().nullable(),
  startedAt: z.number(),
  heartbeatAt: z.number(),
});
export type FleetAgent = z.infer<typeof fleetAgent>;

export const poolRecord = z.object({
  id: poolId,
  kind: poolKind,
  label: z.string(),
  state: poolState,
  /** Workers (function pools) or concurrency K (command pools). */
  size: z.number().int(),
  createdAt: z.number(),
  endedAt: z.number().nullable(),
  counts: poolCounts,
  lanes: z.array(poolLane),
  options: z.object({
    initializer: z.string().nullable(),
    maxTasksPerChild: z.number().int().nullable(),
    taskTimeoutMs: z.number().int().nullable(),
    template: z.array(z.string()).nullable(),
    /** The functions its tasks call (module#export, module resolved), in the order first used. */
    targets: z.array(z.string()),
    keepOrder: z.boolean(),
    halt: z.enum(['never', 'soon', 'now']),
    retries: z.number().int(),
  }),
  /** Why the pool is degraded or halted, in a sentence. */
  problem: z.string().nullable(),
  /** The run whose program made this pool (python pools), or null for Forkscope's own. */
  runId: runId.nullable(),
  /** Distributed pools: the worker agents that serve its queue, with their health. */
  agents: z.array(fleetAgent).optional(),
});
export type PoolRecord = z.infer<typeof poolRecord>;

/** An attempt of a distributed task that did not succeed: drawn as a failed bar on its lane. */
export const taskTry = z.object({
  lane: z.number().int().nullable(),
  host: z.string().nullable(),
  pid: z.number().int().nullable(),
  startedAt: z.number().nullable(),
  endedAt: z.number(),
  exitcode: z.number().int().nullable(),
  error: z.string(),
});
export type TaskTry = z.infer<typeof taskTry>;

export const taskSummary = z.object({
  id: taskId,
  label: z.string(),
  state: taskState,
  lane: z.number().int().nullable(),
  pid: z.number().int().nullable(),
  /** The run of a command task (each is its own process). */
  runId: runId.nullable(),
  queuedAt: z.number(),
  startedAt: z.number().nullable(),
  endedAt: z.number().nullable(),
  attempts: z.number().int(),
  /** Items in this task (a map chunk holds several). */
  items: z.number().int(),
  exitcode: z.number().int().nullable(),
  error: z.string().nullable(),
  /** What it was given, short (a command task's input, a call's arguments); null when unknown. */
  input: z.string().nullable().optional(),
  /** What it gave back once settled, short (a command's last stdout line, a result, a failure). */
  output: z.string().nullable().optional(),
  /** Distributed pools: the host of the agent that ran (or runs) it. */
  host: z.string().nullable().optional(),
  /** Distributed pools: the earlier attempts that failed or were lost with their agent, oldest first. */
  tries: z.array(taskTry).optional(),
});
export type TaskSummary = z.infer<typeof taskSummary>;

export const taskDetail = taskSummary.extend({
  target: z.string(),
  args: z.json(),
  result: z.json().optional(),
  failure: taskError.nullable(),
  output: z.array(outputLine),
  /** True when the task wrote more lines than are shown (or older than the in-memory window). */
  outputTruncated: z.boolean(),
});
export type TaskDetail = z.infer<typeof taskDetail>;

const common = {
  label: z.string().max(200).optional(),
  cwd: noNul('the working directory').max(4096).optional(),
  env: envOverrides.optional(),
};

export const createFunctionPool = z.object({
  kind: z.literal('function'),
  /** Default: the number of CPUs. */
  workers: z.number().int().min(1).max(256).optional(),
  initializer: target.optional(),
  initargs: z.array(jsonValue).max(1000).default([]),
  maxTasksPerChild: z.number().int().min(1).optional(),
  taskTimeoutMs: timeoutMs.optional(),
  /** The function the first tasks will call: checked (module exists, names the export) before any worker starts. */
  target: target.optional(),
  ...common,
});

export const createCommandPool = z.object({
  kind: z.literal('command'),
  /** argv template: each `{}` is replaced by the input; without `{}`, the input is appended. */
  template: z.array(noNul('an argument').max(100_000)).min(1, 'say which program to run').max(10_000),
  concurrency: z.number().int().min(1).max(256).default(4),
  keepOrder: z.boolean().default(false),
  halt: z.enum(['never', 'soon', 'now']).default('never'),
  retries: z.number().int().min(0).max(100).default(0),
  taskTimeoutMs: timeoutMs.optional(),
  inputs: z.array(noNul('an input').max(100_000)).max(100_000).default([]),
  ...common,
});

/** redis:// or rediss:// (TLS), as ioredis reads it: redis://[:password@]host[:port][/db]. */
export const redisUrl = z
  .string()
  .max(2000)
  .refine((text) => /^rediss?:\/\/[^\s]+$/.test(text), {
    message: 'a Redis URL looks like redis://host:6379 (or rediss:// for TLS)',
  });
/** A BullMQ queue name: BullMQ refuses ':' in it. */
export const fleetQueueName = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9_.-]+$/, 'a queue name is letters, digits, _ . or -');

export const createDistributedPool = z
  .object({
    kind: z.literal('distributed'),
    /** The Redis (or Valkey) the worker agents (`forkscope worker --redis URL`) take jobs from. */
    redis: redisUrl,
    queue: fleetQueueName.default('forkscope'),
    /** argv template, as for command pools; the program must exist on the agents' hosts. */
    template: z
      .array(noNul('an argument').max(100_000))
      .min(1, 'say which program to run')
      .max(10_000)
      .optional(),
    /**
     * Function tasks instead of commands: `path/to/module.js#export` as found on each agent's host
     * (the module must be there; a relative path is the agent's working directory's), called once
     * per item of `items` with that item as its one argument, each call a Process on the agent.
     */
    target: target.optional(),
    items: z.array(jsonValue).max(100_000).default([]),
    /** Attempts after the first when a task exits non-zero (BullMQ retries, with backoff). */
    retries: z.number().int().min(0).max(100).default(0),
    /** The first retry's delay; each next one doubles (BullMQ's exponential backoff). */
    backoffMs: z.number().int().min(0).max(3600_000).default(1000),
    taskTimeoutMs: timeoutMs.optional(),
    inputs: z.array(noNul('an input').max(100_000)).max(100_000).default([]),
    ...common,
  })
  .refine((pool) => (pool.template === undefined) !== (pool.target === undefined), {
    message: 'a distributed pool runs either a command template or a function target: give one of them',
  });

export const createPoolParams = z.discriminatedUnion('kind', [
  createFunctionPool,
  createCommandPool,
  createDistributedPool,
]);
export type CreatePoolParams = z.input<typeof createPoolParams>;
export type CreateDistributedPool = z.output<typeof createDistributedPool>;
export type CreateFunctionPool = z.output<typeof createFunctionPool>;
export type CreateCommandPool = z.output<typeof createCommandPool>;

const byId = z.object({ id: poolId });
const callParams = z.object({
  id: poolId,
  target,
  args: z.array(jsonValue).max(10_000).default([]),
  timeoutMs: timeoutMs.optional(),
});
const mapParams = z.object({
  id: poolId,
  target,
  items: z.array(jsonValue).max(10_000_000),
  chunksize: z.number().int().min(1).optional(),
});

export const taskOutcome = z.object({
  taskId,
  ok: z.boolean(),
  result: z.json().optional(),
  failure: taskError.nullable(),
});
export type TaskOutcome = z.infer<typeof taskOutcome>;

export const poolMethods = {
  'pools.list': method('Every pool, oldest first.', z.object({}).default({}), z.array(poolRecord)),
  'pools.get': method('One pool.', byId, poolRecord),
  'pools.create': method(
    'Start a pool: N forked workers for function tasks, or command tasks with concurrency K (like GNU parallel).',
    createPoolParams,
    poolRecord,
  ),
  'pools.workingDir': method(
    'The directory relative module paths and working directories are resolved against.',
    z.object({}).default({}),
    z.object({ cwd: z.string() }),
  ),
  'pools.apply': method(
    'Pool.apply: run one function task and wait for its outcome.',
    callParams,
    taskOutcome,
  ),
  'pools.applyAsync': method(
    'Pool.apply_async: queue one function task; its outcome comes as pools.tasks events.',
    callParams,
    z.object({ taskId }),
  ),
  'pools.map': method(
    'Pool.map: call the target on every item (in chunks) and return the results in input order.',
    mapParams,
    z.object({ results: z.array(z.json()) }),
  ),
  'pools.starmap': method(
    'Pool.starmap: like map, each item being the argument list.',
    mapParams.extend({ items: z.array(z.array(jsonValue)).max(10_000_000) }),
    z.object({ results: z.array(z.json()) }),
  ),
  'pools.submit': method(
    'Queue one task per item (or per chunk) without waiting: the UI’s “add tasks”.',
    mapParams.extend({ star: z.boolean().default(false) }),
    z.object({ taskIds: z.array(taskId) }),
  ),
  'pools.addInputs': method(
    'Queue command tasks: one per input, through the pool’s argv template.',
    z.object({ id: poolId, inputs: z.array(noNul('an input').max(100_000)).min(1).max(100_000) }),
    z.object({ taskIds: z.array(taskId) }),
  ),
  'pools.close': method(
    'Pool.close: accept no more tasks; workers exit once the queue is done.',
    byId,
    poolRecord,
  ),
  'pools.join': method(
    'Pool.join: wait until the workers have exited (close or terminate first), or the timeout passes.',
    z.object({ id: poolId, timeoutMs: z.number().int().min(0).max(3600_000).optional() }),
    poolRecord,
  ),
  'pools.terminate': method(
    'Pool.terminate: stop every worker tree now; unfinished tasks are cancelled.',
    byId,
    poolRecord,
  ),
  'pools.tasks': method(
    'Task summaries by id (for a first load or after a reconnect).',
    z.object({
      id: poolId,
      fromId: z.number().int().min(1).default(1),
      limit: z.number().int().min(1).max(100_000).default(10_000),
    }),
    z.object({ tasks: z.array(taskSummary), total: z.number().int() }),
  ),
  'pools.task': method(
    'One task in full: args, result or error with its stack, and its own output.',
    z.object({ id: poolId, taskId }),
    taskDetail,
  ),
  'pools.export': method(
    'The pool’s job log (TSV like GNU parallel --joblog) or its timeline as a Chrome trace (Perfetto opens it).',
    z.object({ id: poolId, format: z.enum(['joblog', 'trace']) }),
    z.object({ filename: z.string(), mime: z.string(), text: z.string() }),
  ),
} as const;

export const poolEvents = {
  'pools.updated': event('A pool was created or changed: state, counts, lanes.', poolRecord),
  'pools.tasks': event(
    'Tasks that changed (queued, started on a worker, finished, failed, retried, cancelled), coalesced.',
    z.object({ poolId, tasks: z.array(taskSummary) }),
  ),
} as const;
