import { z } from 'zod';
import { event, method } from './define';
import { runId } from './runs';
import { jsonValue } from './json';

export const queueId = z.string().min(1).max(64);
const timeoutMs = z.number().int().min(0).max(3600_000);

/** simple: multiprocessing.SimpleQueue (seen in Python programs through the lens). */
export const queueKind = z.enum(['queue', 'joinable', 'simple', 'pipe']);
export const waitKind = z.enum(['get', 'put', 'join', 'poll']);
export const itemState = z.enum(['queued', 'leased', 'got', 'lost-closed', 'lost-holder-died']);
export type ItemStateName = z.infer<typeof itemState>;

/** Who used a queue: a run (its id), `main` (Forkscope itself, the API or the UI) or a bare pid. */
export const actorInfo = z.object({ actor: z.string(), label: z.string(), alive: z.boolean() });
export type ActorInfo = z.infer<typeof actorInfo>;

export const participant = actorInfo.extend({
  puts: z.number().int(),
  gets: z.number().int(),
  holdsHandle: z.boolean(),
  firstAt: z.number(),
  lastAt: z.number(),
});
export type Participant = z.infer<typeof participant>;

export const blockedInfo = actorInfo.extend({
  queueId,
  kind: waitKind,
  since: z.number(),
  /** Whom it waits for: the processes that could put (for a get), get (for a full put) or finish tasks (join). */
  waitsFor: z.array(z.string()),
});
export type BlockedInfo = z.infer<typeof blockedInfo>;

export const queueInfo = z.object({
  id: queueId,
  name: z.string(),
  kind: queueKind,
  /** For the two one-way queues of a Pipe: the pipe they belong to. */
  pipeId: z.string().nullable(),
  maxsize: z.number().int(),
  createdAt: z.number(),
  closedAt: z.number().nullable(),
  depth: z.number().int(),
  puts: z.number().int(),
  gets: z.number().int(),
  lost: z.number().int(),
  /** JoinableQueue: items put whose taskDone() has not come yet. */
  unfinished: z.number().int(),
  participants: z.array(participant),
  blocked: z.array(blockedInfo),
  /** The run whose Python program owns this queue (seen through the lens; Forkscope only watches it), or null. */
  runId: runId.nullable(),
});
export type QueueInfo = z.infer<typeof queueInfo>;

export const queueItem = z.object({
  id: z.number().int(),
  state: itemState,
  putBy: z.string(),
  putAt: z.number(),
  gotBy: z.string().nullable(),
  gotAt: z.number().nullable(),
  /** Leased: handed in a batch to this process, not yet taken by its program. */
  heldBy: z.string().nullable(),
  lostAt: z.number().nullable(),
  /** Given back to the queue once, because its holder died before handing it out. */
  requeued: z.boolean(),
  bytes: z.number().int(),
  /** The item's JSON text, shortened. */
  preview: z.string(),
});
export type QueueItem = z.infer<typeof queueItem>;

export const queueMark = z.object({
  kind: z.enum(['put', 'get']),
  itemId: z.number().int(),
  actor: z.string(),
  t: z.number(),
  preview: z.string(),
});
export type QueueMark = z.infer<typeof queueMark>;

export const depthSample = z.object({ t: z.number(), depth: z.number().int() });
export type DepthSample = z.infer<typeof depthSample>;

export const waitGraph = z.object({
  blocked: z.array(blockedInfo),
  edges: z.array(z.object({ from: z.string(), to: z.string(), queueId })),
  /** Each cycle of processes that wait on one another (a deadlock), as actor ids. */
  cycles: z.array(z.array(z.string())),
});
export type WaitGraph = z.infer<typeof waitGraph>;

export const pipeHandle = z.object({ $pipe: z.string(), end: z.union([z.literal(0), z.literal(1)]) });

const byId = z.object({ id: queueId });
const blocking = { block: z.boolean().default(true), timeoutMs: timeoutMs.optional() };

export const queueMethods = {
  'queues.list': method('Every queue and pipe, oldest first.', z.object({}).default({}), z.array(queueInfo)),
  'queues.get': method('One queue.', byId, queueInfo),
  'queues.create': method(
    'A new queue brokered by Forkscope; pass { "$queue": id } in a Process’s args to hand it over.',
    z.object({
      name: z.string().max(100).optional(),
      maxsize: z.number().int().min(0).max(1_000_000_000).default(0),
      joinable: z.boolean().default(false),
    }),
    queueInfo,
  ),
  'queues.createPipe': method(
    'Pipe(): two connected ends; pass { "$pipe": id, "end": 0 } to one process and end 1 to another.',
    z.object({ name: z.string().max(100).optional() }),
    z.object({
      pipeId: z.string(),
      ends: z.tuple([pipeHandle, pipeHandle]),
      queueIds: z.tuple([queueId, queueId]),
    }),
  ),
  'queues.put': method(
    'Put a JSON item, as Forkscope itself (block and timeout as Python’s put).',
    z.object({ id: queueId, item: jsonValue, ...blocking }),
    z.object({ itemId: z.number().int() }),
  ),
  'queues.take': method(
    'Get one item, as Forkscope itself (block and timeout as Python’s get; Empty after the timeout).',
    z.object({ id: queueId, ...blocking }),
    z.object({ itemId: z.number().int(), item: z.json() }),
  ),
  'queues.taskDone': method('JoinableQueue.task_done(), as Forkscope itself.', byId, z.null()),
  'queues.join': method(
    'JoinableQueue.join(timeout): wait until every item put has had its taskDone().',
    z.object({ id: queueId, timeoutMs: timeoutMs.optional() }),
    z.null(),
  ),
  'queues.close': method(
    'Close a queue: waiters get a Closed error; items never got are recorded as lost.',
    byId,
    z.object({ lost: z.number().int() }),
  ),
  'queues.items': method(
    'Items of a queue with their lineage, by id; `never-got` lists what was put and never got.',
    z.object({
      id: queueId,
      from: z.number().int().min(1).default(1),
      limit: z.number().int().min(1).max(5000).default(500),
      filter: z.enum(['all', 'never-got']).default('all'),
    }),
    z.object({ items: z.array(queueItem), total: z.number().int(), nextFrom: z.number().int().nullable() }),
  ),
  'queues.history': method(
    'The newest put/get marks and the depth over time of a queue (the lanes and the chart).',
    z.object({ id: queueId, limit: z.number().int().min(1).max(20_000).default(2000) }),
    z.object({ marks: z.array(queueMark), depth: z.array(depthSample), actors: z.array(actorInfo) }),
  ),
  'queues.waitGraph': method(
    'Who is blocked on what, whom each waits for, and every wait-for cycle.',
    z.object({}).default({}),
    waitGraph,
  ),
} as const;

export const queueEvents = {
  'queues.updated': event(
    'A queue changed (coalesced): depth, counts, participants, blocked processes.',
    queueInfo,
  ),
  'queues.activity': event(
    'New put/get marks and depth samples of a queue, batched every ~50 ms; a flood sends the newest marks.',
    z.object({
      id: queueId,
      marks: z.array(queueMark),
      skipped: z.number().int(),
      depth: z.array(depthSample),
      actors: z.array(actorInfo),
    }),
  ),
  'queues.waitGraph': event('The wait-for graph changed.', waitGraph),
} as const;
