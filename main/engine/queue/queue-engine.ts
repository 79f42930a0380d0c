import { EventEmitter } from 'node:events';
import { basename } from 'node:path';
import { ForkscopeError } from '../../../contract/errors';
import type {
  BlockedInfo,
  DepthSample,
  QueueInfo,
  QueueItem,
  QueueMark,
  WaitGraph,
} from '../../../contract/queues';
import type { RunRegistry } from '../registry';
import { QueueBroker } from './broker/broker';
import type { BoundPipeHandle, BoundQueueHandle, PipeHandleRef, QueueHandleRef } from './handles';
import { brokerPathEnv, brokerSecretEnv, brokerSpillEnv, isQueueHandle, mapHandles } from './handles';
import { decodeItem, encodeItem } from './wire';
import { ItemState } from './item-log';
import { ObservedQueue } from './observed-queue';
import { BrokeredQueue, type Holder, type PayloadKeeper } from './queue';
import { findCycles } from './wait-graph';

export interface QueueEngineEvents {
  /** A queue changed (depth, items, waiters): publishers read it at their own pace. */
  changed: [string];
}

interface Actor {
  key: string;
  label: string;
  connections: number;
}

interface PipeRecord {
  id: string;
  /** queues[0] carries end 0 → end 1; queues[1] carries end 1 → end 0. */
  queues: [BrokeredQueue, BrokeredQueue];
}

export interface Blocking {
  block?: boolean;
  timeoutMs?: number;
  /** Aborted when the caller goes away: its wait ends with a Cancelled error. */
  signal?: AbortSignal;
}

const mainActor = 0;

/**
 * Named queues and pipes brokered in the main process: children reach them through the broker's
 * socket; the engine (the API, the UI) uses them directly, as the actor `main`.
 */
export class QueueEngine extends EventEmitter<QueueEngineEvents> {
  private readonly queues = new Map<string, BrokeredQueue | ObservedQueue>();
  private readonly byRef: (BrokeredQueue | undefined)[] = [];
  private readonly pipes = new Map<string, PipeRecord>();
  private readonly actors: Actor[] = [{ key: 'main', label: 'Forkscope (main)', connections: 1 }];
  private readonly actorByKey = new Map<string, number>([['main', mainActor]]);
  private readonly dirty = new Set<string>();
  private broker: QueueBroker | null = null;
  private pipeCounter = 0;
  private readonly mainHolder: Holder = { actor: mainActor, leasing: false };
  /** Spilled items come only through the broker, so its spill folder keeps their segments. */
  private readonly keeper: PayloadKeeper = {
    retain: (item) => this.broker?.spill?.retain(item),
    release: (item) => this.broker?.spill?.release(item),
  };

  constructor(private readonly registry: RunRegistry) {
    super();
  }

  /** Settles when process `pid` has no queue connection left open: everything it put is in. */
  connectionsClosed(pid: number): Promise<void> {
    return this.broker?.closedFor(pid) ?? Promise.resolve();
  }

  private startBroker(): Promise<void> {
    this.broker ??= new QueueBroker({
      queueByRef: (ref) => this.byRef[ref],
      actorForPid: (pid) => this.actorForPid(pid),
      holderGone: (holder) => {
        const actor = this.actors[holder.actor];
        if (actor) actor.connections--;
        for (const queue of this.queues.values())
          if (queue instanceof BrokeredQueue) queue.holderGone(holder);
      },
    });
    return this.broker.listen();
  }

  private actorForPid(pid: number): number {
    const run = this.registry.all().find((candidate) => candidate.pid === pid && !candidate.ended);
    const key = run ? run.id : `pid:${pid}`;
    let index = this.actorByKey.get(key);
    if (index === undefined) {
      index = this.actors.length;
      const label = run ? `${run.id} · ${run.snapshot().label}`.slice(0, 80) : `pid ${pid}`;
      this.actors.push({ key, label, connections: 0 });
      this.actorByKey.set(key, index);
    }
    this.actors[index]!.connections++;
    return index;
  }

  /** A queue's display actor: a run, `main`, or a bare process (`pid:N`) seen through the Python lens. */
  actor(key: string, label: string): number {
    let index = this.actorByKey.get(key);
    if (index === undefined) {
      index = this.actors.length;
      this.actors.push({ key, label, connections: 0 });
      this.actorByKey.set(key, index);
    }
    return index;
  }

  /** A watched process is alive (holds its queues) or gone. */
  setAlive(index: number, alive: boolean): void {
    const actor = this.actors[index];
    if (actor) actor.connections = alive ? 1 : 0;
  }

  /**
   * A queue a program owns and Forkscope only watches (a Python program's, through the lens):
   * listed, drawn and in the wait graph like the brokered ones, refused to put, get or close.
   */
  observe(
    options: {
      name?: string;
      kind: 'queue' | 'joinable' | 'simple' | 'pipe';
      maxsize: number;
      pipeId?: string;
    },
    runId: string | null,
    t = Date.now(),
  ): ObservedQueue {
    const ref = this.byRef.length || 1;
    this.byRef[ref] = undefined;
    const queue = new ObservedQueue(
      {
        id: `q${ref}`,
        ref,
        name: options.name ?? `q${ref}`,
        kind: options.kind,
        maxsize: options.maxsize,
        pipeId: options.pipeId,
      },
      runId,
      t,
      (changed) => this.markDirty(changed.id),
    );
    this.queues.set(queue.id, queue);
    this.markDirty(queue.id);
    return queue;
  }

  private makeQueue(
    name: string,
    kind: 'queue' | 'joinable' | 'pipe',
    maxsize: number,
    pipeId?: string,
  ): BrokeredQueue {
    const ref = this.byRef.length || 1;
    const queue = new BrokeredQueue(
      { id: `q${ref}`, ref, name, kind, maxsize, pipeId },
      (changed) => this.markDirty(changed.id),
      this.keeper,
    );
    this.byRef[ref] = queue;
    this.queues.set(queue.id, queue);
    this.markDirty(queue.id);
    return queue;
  }

  private markDirty(id: string): void {
    if (this.dirty.has(id)) return;
    this.dirty.add(id);
    this.emit('changed', id);
  }

  /** Ids changed since the last call (the publisher's pull). */
  takeDirty(): string[] {
    const ids = [...this.dirty];
    this.dirty.clear();
    return ids;
  }

  async create(options: { name?: string; maxsize?: number; joinable?: boolean } = {}): Promise<QueueInfo> {
    await this.startBroker();
    const ref = this.byRef.length || 1;
    const queue = this.makeQueue(
      options.name ?? `q${ref}`,
      options.joinable ? 'joinable' : 'queue',
      options.maxsize ?? 0,
    );
    return this.info(queue.id);
  }

  async createPipe(options: { name?: string } = {}) {
    await this.startBroker();
    const pipeId = `p${++this.pipeCounter}`;
    const name = options.name ?? pipeId;
    const forward = this.makeQueue(`${name}: end 0 → end 1`, 'pipe', 0, pipeId);
    const backward = this.makeQueue(`${name}: end 1 → end 0`, 'pipe', 0, pipeId);
    this.pipes.set(pipeId, { id: pipeId, queues: [forward, backward] });
    return {
      pipeId,
      ends: [
        { $pipe: pipeId, end: 0 as const },
        { $pipe: pipeId, end: 1 as const },
      ] as [PipeHandleRef, PipeHandleRef],
      queueIds: [forward.id, backward.id] as [string, string],
    };
  }

  /** Any queue, brokered or watched: for reading. */
  queue(id: string): BrokeredQueue | ObservedQueue {
    const queue = this.queues.get(id);
    if (!queue)
      throw new ForkscopeError('not-found', `There is no queue ${id}. Create one with queues.create first.`);
    return queue;
  }

  /** A queue Forkscope brokers: for putting, getting, joining and closing. */
  private brokered(id: string): BrokeredQueue {
    const queue = this.queue(id);
    if (queue instanceof ObservedQueue) {
      throw new ForkscopeError(
        'refused',
        `Queue ${id} belongs to the Python program of run ${queue.runId ?? '?'}: Forkscope only watches it. ` +
          'Put and get from the program itself.',
      );
    }
    return queue;
  }

  private pipe(id: string): PipeRecord {
    const pipe = this.pipes.get(id);
    if (!pipe)
      throw new ForkscopeError(
        'not-found',
        `There is no pipe ${id}. Create one with queues.createPipe first.`,
      );
    return pipe;
  }

  /** Replaces `{ $queue }` / `{ $pipe, end }` in a Process's args by handles its queue client can connect with. */
  bindArgs<
    T extends { args: unknown[]; target: string; label?: string; env?: Record<string, string | null> },
  >(params: T): T {
    if (!this.broker) return params;
    let found = false;
    mapHandles(params.args, (handle) => {
      found = true;
      return handle;
    });
    if (!found) return params;
    const broker = this.broker.address;
    const [file, exportName] = params.target.split('#');
    // The label shows the args as the program wrote them, before binding.
    const label =
      params.label ??
      `${basename(file ?? '')}#${exportName}(${params.args.map((a) => JSON.stringify(a)).join(', ')})`.slice(
        0,
        120,
      );
    const args = mapHandles(params.args, (handle) => {
      if (isQueueHandle(handle)) {
        const queue = this.brokered((handle as QueueHandleRef).$queue);
        return {
          $queue: queue.id,
          ref: queue.options.ref,
          maxsize: queue.options.maxsize,
          joinable: queue.options.kind === 'joinable',
        } satisfies BoundQueueHandle;
      }
      const { $pipe, end } = handle as PipeHandleRef;
      if (end !== 0 && end !== 1)
        throw new ForkscopeError('invalid-argument', `A pipe end is 0 or 1, not ${String(end)}.`);
      const pipe = this.pipe($pipe);
      return {
        $pipe,
        end,
        sendRef: pipe.queues[end].options.ref,
        recvRef: pipe.queues[1 - end]!.options.ref,
      } satisfies BoundPipeHandle;
    }) as unknown[];
    const env: Record<string, string | null> = {
      ...params.env,
      [brokerPathEnv]: broker.path,
      [brokerSecretEnv]: broker.secret,
    };
    if (this.broker.spill) env[brokerSpillEnv] = this.broker.spill.dir;
    return { ...params, args, label, env };
  }

  private encode(item: unknown): Buffer {
    try {
      return encodeItem(item);
    } catch (error) {
      throw new ForkscopeError(
        'invalid-argument',
        `A queue item must be a JSON value: ${(error as Error).message}.`,
      );
    }
  }

  /** put(item, block, timeout) as Forkscope itself. */
  async put(id: string, item: unknown, options: Blocking = {}): Promise<number> {
    const queue = this.brokered(id);
    const bytes = this.encode(item);
    return new Promise((resolve, reject) =>
      queue.put(
        this.mainHolder,
        bytes,
        options.block ?? true,
        options.timeoutMs ?? -1,
        resolve,
        reject,
        options.signal,
      ),
    );
  }

  /** get(block, timeout) as Forkscope itself. */
  async get(id: string, options: Blocking = {}): Promise<{ itemId: number; item: unknown }> {
    const queue = this.brokered(id);
    return new Promise((resolve, reject) =>
      queue.get(
        this.mainHolder,
        options.block ?? true,
        options.timeoutMs ?? -1,
        1,
        (ids, items) => {
          // Called from whatever served the get (another process's put): a failure is this get's.
          try {
            resolve({ itemId: ids[0]!, item: decodeItem(items[0]!, this.broker?.spill?.readText) });
          } catch (error) {
            reject(new ForkscopeError('internal', `The item could not be read: ${(error as Error).message}`));
          }
        },
        reject,
        options.signal,
      ),
    );
  }

  qsize(id: string): number {
    return this.queue(id).depth;
  }

  taskDone(id: string): void {
    this.brokered(id).taskDone(mainActor);
  }

  async join(id: string, timeoutMs?: number, signal?: AbortSignal): Promise<void> {
    const queue = this.brokered(id);
    return new Promise((resolve, reject) =>
      queue.join(this.mainHolder, timeoutMs ?? -1, resolve, reject, signal),
    );
  }

  close(id: string): number {
    return this.brokered(id).close();
  }

  private actorInfo(index: number) {
    const actor = this.actors[index] ?? { key: `?${index}`, label: 'unknown', connections: 0 };
    return { actor: actor.key, label: actor.label, alive: index === mainActor || actor.connections > 0 };
  }

  private blockedOn(queue: BrokeredQueue | ObservedQueue): BlockedInfo[] {
    return queue.waiters.map((waiter) => ({
      ...this.actorInfo(waiter.holder.actor),
      queueId: queue.id,
      kind: waiter.kind,
      since: waiter.since,
      waitsFor: this.waitsFor(queue, waiter.holder.actor, waiter.kind),
    }));
  }

  /** Whom a blocked actor waits for: who could put (get, poll), who could get (full put) or finish tasks (join). */
  private waitsFor(queue: BrokeredQueue | ObservedQueue, self: number, kind: string): string[] {
    const out: string[] = [];
    const others = (
      q: BrokeredQueue | ObservedQueue,
      want: (p: { puts: number; gets: number; holdsHandle: boolean }) => boolean,
    ) => {
      for (const [actor, p] of q.participants) {
        if (actor === self || actor === mainActor || !this.actorInfo(actor).alive) continue;
        if (want(p)) out.push(this.actors[actor]!.key);
      }
    };
    if (queue.options.kind === 'pipe') {
      const pipe = this.pipes.get(queue.options.pipeId!);
      const other = pipe?.queues.find((q) => q !== queue);
      // The other end is whoever holds this pipe and is not me.
      others(queue, (p) => p.holdsHandle || p.puts > 0);
      if (other) others(other, (p) => p.holdsHandle);
    } else if (kind === 'get' || kind === 'poll')
      others(queue, (p) => p.puts > 0 || (p.holdsHandle && p.gets === 0));
    else others(queue, (p) => p.gets > 0 || (p.holdsHandle && p.puts === 0));
    return [...new Set(out)];
  }

  info(id: string): QueueInfo {
    const queue = this.queue(id);
    const { options } = queue;
    return {
      id: queue.id,
      name: options.name,
      kind: options.kind,
      pipeId: options.pipeId ?? null,
      maxsize: options.maxsize,
      createdAt: queue.createdAt,
      closedAt: queue.closedAt,
      depth: queue.depth,
      puts: queue.log.size,
      gets: queue.log.gotCount,
      lost: queue.lost,
      unfinished: options.kind === 'joinable' ? queue.unfinished : 0,
      participants: [...queue.participants].map(([actor, p]) => ({ ...this.actorInfo(actor), ...p })),
      blocked: this.blockedOn(queue),
      runId: queue instanceof ObservedQueue ? queue.runId : null,
    };
  }

  list(): QueueInfo[] {
    return [...this.queues.keys()].map((id) => this.info(id));
  }

  private item(queue: BrokeredQueue | ObservedQueue, id: number): QueueItem {
    const r = queue.log.record(id);
    const key = (actor: number) => (actor >= 0 ? (this.actors[actor]?.key ?? null) : null);
    return {
      id,
      state: r.state,
      putBy: key(r.putBy) ?? 'unknown',
      putAt: r.putAt,
      gotBy: key(r.gotBy),
      gotAt: r.gotAt,
      heldBy: key(r.heldBy),
      lostAt: r.lostAt,
      requeued: r.requeued,
      bytes: r.bytes,
      preview: r.preview,
    };
  }

  /** Items with their lineage, from an id; `never-got` skips what was got. */
  items(id: string, from = 1, limit = 500, filter: 'all' | 'never-got' = 'all') {
    const queue = this.queue(id);
    const items: QueueItem[] = [];
    let next = from;
    for (; next <= queue.log.size && items.length < limit; next++) {
      if (filter === 'never-got' && queue.log.stateOf(next) === ItemState.got) continue;
      items.push(this.item(queue, next));
    }
    return { items, total: queue.log.size, nextFrom: next <= queue.log.size ? next : null };
  }

  /** Put marks for items [fromPut, toPut) and get marks for gotOrder [fromGot, toGot), oldest first. */
  marks(
    id: string,
    fromPut: number,
    fromGot: number,
    limit: number,
  ): { marks: QueueMark[]; skipped: number } {
    const queue = this.queue(id);
    const { log } = queue;
    const puts = log.size - fromPut;
    const gets = log.gotCount - fromGot;
    const skipped = Math.max(0, puts + gets - limit);
    const share = puts + gets === 0 ? 0 : Math.round((limit * puts) / (puts + gets));
    const marks: QueueMark[] = [];
    for (let i = Math.max(fromPut, log.size - share); i < log.size; i++) {
      const r = log.record(i + 1);
      marks.push({
        kind: 'put',
        itemId: r.id,
        actor: this.actors[r.putBy]?.key ?? '?',
        t: r.putAt,
        preview: r.preview,
      });
    }
    for (let k = Math.max(fromGot, log.gotCount - (limit - Math.min(share, puts))); k < log.gotCount; k++) {
      const r = log.record(log.gotOrder[k]!);
      marks.push({
        kind: 'get',
        itemId: r.id,
        actor: this.actors[r.gotBy]?.key ?? '?',
        t: r.gotAt ?? 0,
        preview: r.preview,
      });
    }
    marks.sort((a, b) => a.t - b.t || (a.kind === b.kind ? 0 : a.kind === 'put' ? -1 : 1));
    return { marks, skipped };
  }

  depth(id: string, sinceT = 0): DepthSample[] {
    const queue = this.queue(id);
    const out: DepthSample[] = [];
    for (let k = 0; k < queue.depthT.length; k++) {
      if (queue.depthT[k]! >= sinceT) out.push({ t: queue.depthT[k]!, depth: queue.depthV[k]! });
    }
    return out;
  }

  actorsOf(id: string) {
    const queue = this.queue(id);
    const seen = new Set<number>([...queue.participants.keys()]);
    return [...seen].map((actor) => this.actorInfo(actor));
  }

  history(id: string, limit = 2000) {
    return { ...this.marks(id, 0, 0, limit), depth: this.depth(id), actors: this.actorsOf(id) };
  }

  waitGraph(): WaitGraph {
    const blocked = [...this.queues.values()].flatMap((queue) => this.blockedOn(queue));
    const edges = blocked.flatMap((b) => b.waitsFor.map((to) => ({ from: b.actor, to, queueId: b.queueId })));
    const blockedActors = new Set(blocked.map((b) => b.actor));
    // A cycle is a deadlock only when everyone in it is blocked.
    const cycles = findCycles(edges.filter((edge) => blockedActors.has(edge.to)));
    return { blocked, edges, cycles };
  }

  stop(): void {
    for (const queue of this.queues.values()) if (!queue.closed) queue.close();
    this.broker?.stop();
  }
}
