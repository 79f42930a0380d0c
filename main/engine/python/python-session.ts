import { EventEmitter } from 'node:events';
import type { LensDetail, LensStatus, PythonProcess, PythonSignal, PythonWait } from '../../../contract';
import type { PoolManager } from '../pool/pool-manager';
import type { ObservedQueue } from '../queue/observed-queue';
import type { QueueEngine } from '../queue/queue-engine';
import type { HelloEvent, LensEvent, LensEventOf } from './lens-protocol';
import { PythonPool } from './python-pool';

interface Process extends PythonProcess {
  connected: boolean;
  stats: { lost: number; errors: number };
  actor: number | null;
}

interface PipeEnds {
  /** ends[0] receives what ends[1] sends (a one-way Pipe has one inode for both ends). */
  ends: [number | null, number | null];
  duplex: boolean;
  /** [end 0 → end 1, end 1 → end 0] */
  queues: [ObservedQueue, ObservedQueue];
}

const maxSignals = 1000;
const maxProcesses = 10_000;
/** Worker events that arrive before their parent has told of the pool (two streams race). */
const maxPending = 10_000;
/**
 * How long a worker's word on a task waits for the parent's word on its submission (the parent
 * batches its events, the workers send theirs at once): tasks then keep their submission order.
 */
const submitGraceMs = 100;

/**
 * Everything the Python lens told about one run, turned into the records the views already draw:
 * pools (PythonPool, in the pool manager), queues and pipes (ObservedQueue, in the queue engine),
 * processes with how they started and ended, signals, and what each process waits for.
 */
export class PythonSession extends EventEmitter<{ changed: [] }> {
  runId: string | null = null;
  state: LensStatus['state'] = 'waiting';
  reason: string | null = null;
  private events = 0;
  private malformed = 0;
  private readonly processes = new Map<number, Process>();
  private readonly signals: PythonSignal[] = [];
  private readonly pools = new Map<number, PythonPool>();
  private readonly pending = new Map<number, { pid: number; event: LensEvent }[]>();
  private pendingCount = 0;
  /** Worker task events waiting for their submission, by pool inode and job. */
  private readonly early = new Map<string, { pid: number; event: LensEvent }[]>();
  private earlyTimer: NodeJS.Timeout | null = null;
  /** imap jobs: their chunks are never announced one by one, so their tasks are made when they start. */
  private readonly streamed = new Set<string>();
  private readonly queues = new Map<number, ObservedQueue>();
  private readonly pipes: PipeEnds[] = [];
  private readonly lockHolders = new Map<string | number, number>();
  /** Exits collected by a parent before the child's own connection was read (two streams race). */
  private readonly reapedEarly = new Map<number, { t: number; code: number }>();
  private ended = false;

  /** The run has ended and every last event is in. */
  get finished(): boolean {
    return this.ended;
  }

  constructor(
    private readonly queueEngine: QueueEngine,
    private readonly poolManager: PoolManager,
  ) {
    super();
  }

  private changed(): void {
    this.emit('changed');
  }

  /** A Python process connected. */
  connected(hello: HelloEvent): void {
    if (this.state !== 'on') {
      this.state = 'on';
      this.reason = null;
    }
    const known = this.processes.get(hello.pid);
    const process: Process = known ?? {
      pid: hello.pid,
      ppid: hello.ppid,
      via: hello.via === 'fork' ? 'os.fork' : this.processes.size === 0 ? 'the program' : 'started',
      name: null,
      target: null,
      argv: hello.argv,
      startedAt: hello.t,
      endedAt: null,
      exitcode: null,
      error: null,
      waiting: null,
      connected: true,
      stats: { lost: 0, errors: 0 },
      actor: null,
      starter: null,
    };
    process.connected = true;
    process.ppid = hello.ppid;
    process.argv = hello.argv;
    const reaped = this.reapedEarly.get(hello.pid);
    // Only a process that started before the reap is that child (not a later one with its pid).
    if (reaped && reaped.t >= hello.t) this.childExited(process, reaped.t, reaped.code);
    this.reapedEarly.delete(hello.pid);
    if (!known && this.processes.size < maxProcesses) this.processes.set(hello.pid, process);
    this.changed();
  }

  /** Its connection closed: the process has exited (or exec'd something else). */
  disconnected(pid: number): void {
    const process = this.processes.get(pid);
    if (!process) return;
    process.connected = false;
    process.endedAt ??= Date.now();
    this.endWait(process, process.endedAt);
    if (process.actor !== null) this.queueEngine.setAlive(process.actor, false);
    for (const pool of this.pools.values()) pool.workerExited(pid, process.endedAt, process.exitcode);
    this.changed();
  }

  malformedLine(): void {
    this.malformed++;
  }

  private process(pid: number, t: number): Process {
    let process = this.processes.get(pid);
    if (!process) {
      process = {
        pid,
        ppid: 0,
        via: 'started',
        name: null,
        target: null,
        argv: [],
        startedAt: t,
        endedAt: null,
        exitcode: null,
        error: null,
        waiting: null,
        connected: false,
        stats: { lost: 0, errors: 0 },
        actor: null,
        starter: null,
      };
      if (this.processes.size < maxProcesses) this.processes.set(pid, process);
    }
    return process;
  }

  /** Its parent collected its exit status: the first word on it stands. */
  private childExited(child: Process, t: number, code: number): void {
    child.exitcode ??= code;
    child.endedAt ??= t;
  }

  private actorOf(process: Process): number {
    if (process.actor === null) {
      const label = `pid ${process.pid}${process.name ? ` · ${process.name}` : ''}${process.target ? ` (${process.target})` : ''}`;
      process.actor = this.queueEngine.actor(`pid:${process.pid}`, label);
      this.queueEngine.setAlive(process.actor, process.endedAt === null);
    }
    return process.actor;
  }

  private queue(
    inode: number,
    t: number,
    kind: 'queue' | 'joinable' | 'simple' = 'queue',
    maxsize = 0,
    managed = false,
  ): ObservedQueue {
    let queue = this.queues.get(inode);
    if (!queue) {
      const names = { queue: 'Queue', joinable: 'JoinableQueue', simple: 'SimpleQueue' };
      const owner = managed ? 'Manager().' : '';
      // Python stores "no maxsize" as the semaphore's maximum.
      const bounded = maxsize > 0 && maxsize < 2 ** 31 - 1 ? maxsize : 0;
      queue = this.queueEngine.observe({ kind, maxsize: bounded }, this.runId, t);
      queue.options.name = `${owner}${names[kind]}${bounded ? `(maxsize=${bounded})` : ''} · ${queue.id}`;
      this.queues.set(inode, queue);
    }
    return queue;
  }

  private pipeOf(end: number): { pipe: PipeEnds; index: 0 | 1 } | null {
    for (const pipe of this.pipes) {
      const index = pipe.ends.indexOf(end);
      if (index === 0 || index === 1) return { pipe, index };
    }
    return null;
  }

  /** One event from the process `pid`. */
  apply(pid: number, event: LensEvent): void {
    this.events++;
    const process = this.process(pid, event.t);
    switch (event.e) {
      case 'stats':
        process.stats = { lost: event.lost, errors: event.errors };
        break;
      case 'fork':
      case 'exec':
      case 'posix_spawn':
        break;
      case 'signal':
        if (this.signals.length < maxSignals) {
          this.signals.push({ t: event.t, from: pid, to: event.target, signal: event.sig, via: event.via });
        }
        break;
      case 'proc.start': {
        const child = this.process(event.child, event.t);
        child.via = `Process${event.method ? ` (${event.method})` : ''}`;
        child.name = event.name;
        child.target = event.target;
        child.starter = pid;
        break;
      }
      case 'proc.run':
        process.name = event.name;
        process.target = event.target;
        break;
      case 'proc.end':
        if (event.code !== null) process.exitcode ??= event.code;
        break;
      case 'proc.exit':
      case 'popen.exit':
      case 'worker.exit': {
        const child = this.process(event.child, event.t);
        child.exitcode = event.code;
        child.endedAt ??= event.t;
        // A worker still connected has not told everything yet (its last task's end may be on
        // its way, on its own stream): its disconnection settles its lane. One that never
        // connected (no lens in it) is settled on its parent's word.
        if (event.e === 'worker.exit' && !child.connected) {
          for (const pool of this.pools.values()) pool.workerExited(event.child, event.t, event.code);
        }
        break;
      }
      case 'reaped': {
        const child = this.processes.get(event.child);
        if (child) this.childExited(child, event.t, event.code);
        else if (this.reapedEarly.size < maxPending) this.reapedEarly.set(event.child, event);
        break;
      }
      case 'popen': {
        const child = this.process(event.child, event.t);
        child.via = 'subprocess.Popen';
        child.argv = event.argv;
        child.starter = pid;
        break;
      }
      case 'popen.fail': {
        // No process came of it: kept as a record of the attempt, with Python's exception.
        const failed = this.process(-(this.processes.size + 1), event.t);
        failed.via = 'subprocess.Popen (failed)';
        failed.argv = event.argv;
        failed.starter = pid;
        failed.endedAt = event.t;
        failed.error = `${event.error.type}: ${event.error.message}`;
        break;
      }
      case 'wait':
        this.startWait(process, event);
        break;
      case 'wait.end':
        this.endWait(process, event.t);
        break;
      case 'lock.held':
        this.lockHolders.set(event.lock, pid);
        break;
      case 'lock.released':
        if (this.lockHolders.get(event.lock) === pid) this.lockHolders.delete(event.lock);
        break;
      case 'pool.new':
        this.poolCreated(event);
        break;
      case 'queue.handle':
        this.queue(event.q, event.t, event.kind, event.maxsize, event.managed).holds(
          this.actorOf(process),
          event.t,
        );
        break;
      case 'put':
        this.queue(event.q, event.t).put(this.actorOf(process), event.t, event.item);
        this.endWait(process, event.t);
        break;
      case 'get':
        this.queue(event.q, event.t).got(this.actorOf(process), event.t, event.item);
        this.endWait(process, event.t);
        break;
      case 'items':
        this.items(process, event);
        break;
      case 'task_done':
        this.queue(event.q, event.t).taskDone(this.actorOf(process), event.t);
        break;
      case 'pipe.new':
        this.pipeCreated(event);
        break;
      case 'send': {
        const found = this.pipeOf(event.end);
        if (!found) break;
        const { pipe, index } = found;
        const direction = pipe.duplex ? index : 1;
        pipe.queues[direction].put(this.actorOf(process), event.t, event.item);
        break;
      }
      case 'recv': {
        const found = this.pipeOf(event.end);
        if (!found) break;
        const { pipe, index } = found;
        const direction = (pipe.duplex ? 1 - index : 1) as 0 | 1;
        pipe.queues[direction].got(this.actorOf(process), event.t, event.item);
        this.endWait(process, event.t);
        break;
      }
      default:
        this.poolEvent(pid, event);
    }
    this.changed();
  }

  /** A run of puts or gets that did not wait: each item as its own put or get, in order. */
  private items(process: Process, event: LensEventOf<'items'>): void {
    // The line counts as one event already; each further item is one more.
    this.events += event.item.length - 1;
    const queue = this.queue(event.q, event.t);
    const actor = this.actorOf(process);
    const { us, item } = event;
    if (event.kind === 'put')
      for (let i = 0; i < item.length; i++) queue.put(actor, event.t + us[i]! / 1000, item[i]!);
    else for (let i = 0; i < item.length; i++) queue.got(actor, event.t + us[i]! / 1000, item[i]!);
    this.endWait(process, event.t);
  }

  private poolCreated(event: LensEventOf<'pool.new'>): void {
    if (this.pools.has(event.pool)) return;
    const pool = this.poolManager.adopt(
      (id) =>
        new PythonPool(
          id,
          {
            flavour: event.kind,
            size: event.size,
            initializer: event.initializer,
            maxTasks: event.maxtasks,
            startMethod: event.method,
            createdAt: event.t,
          },
          this,
        ),
    );
    this.pools.set(event.pool, pool);
    for (const worker of event.workers) pool.addWorker(worker, event.t);
    const waiting = this.pending.get(event.pool) ?? [];
    this.pending.delete(event.pool);
    this.pendingCount -= waiting.length;
    for (const { pid, event: later } of waiting) this.poolEvent(pid, later);
  }

  private poolEvent(pid: number, event: LensEvent): void {
    if (!('pool' in event)) return;
    const pool = this.pools.get(event.pool);
    if (!pool) {
      if (this.pendingCount >= maxPending) return;
      const list = this.pending.get(event.pool) ?? [];
      list.push({ pid, event });
      this.pending.set(event.pool, list);
      this.pendingCount++;
      return;
    }
    if ((event.e === 'task.start' || event.e === 'task.end') && !pool.knows(event.job, event.i)) {
      const key = `${event.pool}:${event.job}`;
      if (!this.streamed.has(key) && this.pendingCount < maxPending) {
        const list = this.early.get(key) ?? [];
        list.push({ pid, event });
        this.early.set(key, list);
        this.pendingCount++;
        this.earlyTimer ??= setTimeout(() => this.releaseEarly(), submitGraceMs);
        return;
      }
    }
    switch (event.e) {
      case 'pool.workers':
        for (const worker of event.added) pool.addWorker(worker, event.t);
        break;
      case 'worker.ready':
        pool.addWorker(pid, event.t);
        break;
      case 'pool.close':
        pool.closed();
        break;
      case 'pool.terminate':
        pool.terminated(event.t);
        break;
      case 'task.submit':
        pool.submitted(event.job, event.i, event.t, event.fn, event.args, event.items, event.input ?? null);
        this.releaseEarly(`${event.pool}:${event.job}`);
        break;
      case 'map.submit':
        if (event.chunks !== null && event.items !== null && event.chunksize !== null) {
          pool.mapSubmitted(event.job, event.t, event.fn, event.chunks, event.items, event.chunksize);
        } else this.streamed.add(`${event.pool}:${event.job}`);
        this.releaseEarly(`${event.pool}:${event.job}`);
        break;
      case 'task.start':
        pool.started(
          event.job,
          event.i,
          pid,
          event.t,
          event.fn,
          event.args,
          event.items,
          event.input ?? null,
        );
        break;
      case 'task.end':
        pool.finished(
          event.job,
          event.i,
          event.t,
          event.ok
            ? { ok: true, result: event.result ?? '' }
            : { ok: false, ...(event.error ?? { type: 'Exception', message: '', traceback: '' }) },
        );
        break;
      default:
        break;
    }
  }

  /** Applies worker events that were waiting for their submission: one job's, or (time is up) all. */
  private releaseEarly(key?: string): void {
    const keys = key === undefined ? [...this.early.keys()] : [key];
    if (key === undefined) this.earlyTimer = null;
    for (const each of keys) {
      const list = this.early.get(each);
      if (!list) continue;
      this.early.delete(each);
      this.pendingCount -= list.length;
      // Past the grace period a task is made from what its worker said.
      if (key === undefined) this.streamed.add(each);
      for (const { pid, event } of list) this.poolEvent(pid, event);
    }
    if (key === undefined) this.changed();
  }

  private pipeCreated(event: LensEventOf<'pipe.new'>): void {
    const n = this.pipes.length + 1;
    const forward = this.queueEngine.observe(
      { name: `Pipe ${n}: end 0 → end 1`, kind: 'pipe', maxsize: 0, pipeId: `py${n}` },
      this.runId,
      event.t,
    );
    const backward = this.queueEngine.observe(
      { name: `Pipe ${n}: end 1 → end 0`, kind: 'pipe', maxsize: 0, pipeId: `py${n}` },
      this.runId,
      event.t,
    );
    this.pipes.push({
      ends: [event.ends[0]!, event.ends[1]!],
      duplex: event.duplex,
      queues: [forward, backward],
    });
  }

  private startWait(process: Process, event: LensEventOf<'wait'>): void {
    const on = this.waitTarget(event);
    process.waiting = { pid: process.pid, what: event.what, since: event.t, on };
    const queueWait =
      event.kind === 'get' || event.kind === 'put' || (event.kind === 'join' && event.q !== undefined);
    if (queueWait && event.q !== undefined) {
      this.queue(event.q, event.t).waitStarted(
        this.actorOf(process),
        event.kind as 'get' | 'put' | 'join',
        event.t,
      );
    } else if (event.kind === 'recv' && event.end !== undefined) {
      const found = this.pipeOf(event.end);
      if (found) {
        const direction = (found.pipe.duplex ? 1 - found.index : 1) as 0 | 1;
        found.pipe.queues[direction].waitStarted(this.actorOf(process), 'get', event.t);
      }
    }
  }

  private waitTarget(event: LensEventOf<'wait'>): string | null {
    if (event.on !== undefined) {
      const pids = Array.isArray(event.on) ? event.on : [event.on];
      return pids.length === 0 ? null : `pid ${pids.join(', ')}`;
    }
    if (event.q !== undefined) return this.queues.get(event.q)?.id ?? null;
    if (event.lock !== undefined) {
      const holder = this.lockHolders.get(event.lock);
      return holder === undefined ? null : `pid ${holder} (holds it)`;
    }
    return null;
  }

  private endWait(process: Process, t: number): void {
    if (!process.waiting) return;
    process.waiting = null;
    if (process.actor === null) return;
    for (const queue of this.queues.values()) queue.waitEnded(process.actor, t);
    for (const pipe of this.pipes) for (const queue of pipe.queues) queue.waitEnded(process.actor, t);
  }

  /** The run has ended: its queues are closed (what is left was never got), its pools end. */
  runEnded(t: number, exitcode: number | null = null): void {
    if (this.ended) return;
    this.ended = true;
    if (this.state === 'waiting') {
      this.state = 'off';
      this.reason =
        'No Python process connected: the interpreter ran with -I, -E or -S, or could not reach Forkscope.';
    }
    for (const process of this.processes.values()) {
      // The program itself has no Python parent to tell its exit: the run's is its own.
      if (process.via === 'the program') process.exitcode ??= exitcode;
      process.endedAt ??= t;
      process.waiting = null;
      if (process.actor !== null) this.queueEngine.setAlive(process.actor, false);
    }
    for (const queue of this.queues.values()) queue.close(t);
    for (const pipe of this.pipes) for (const queue of pipe.queues) queue.close(t);
    if (this.earlyTimer) clearTimeout(this.earlyTimer);
    this.releaseEarly();
    for (const pool of this.pools.values()) pool.programEnded(t);
    this.changed();
  }

  status(): LensStatus {
    let lost = 0;
    let errors = 0;
    for (const process of this.processes.values()) {
      lost += process.stats.lost;
      errors += process.stats.errors;
    }
    return {
      runId: this.runId ?? '',
      state: this.state,
      reason: this.reason,
      events: this.events,
      lost,
      errors: errors + this.malformed,
      processes: [...this.processes.values()].filter((process) => process.pid > 0).length,
      pools: [...this.pools.values()].map((pool) => pool.id),
      queues: [
        ...[...this.queues.values()].map((queue) => queue.id),
        ...this.pipes.flatMap((pipe) => pipe.queues.map((queue) => queue.id)),
      ].sort((a, b) => Number(a.slice(1)) - Number(b.slice(1))),
      unseen: this.unseen(),
    };
  }

  /** What the lens can tell it did not see. */
  private unseen(): string | null {
    const forked = [...this.processes.values()].filter((process) => process.via === 'os.fork').length;
    if (forked > 0 && this.pools.size === 0) {
      return `${forked} process(es) came from a bare os.fork: the lens sees them start and end, not what they do between.`;
    }
    return null;
  }

  detail(): LensDetail {
    const processes = [...this.processes.values()].map(
      ({ connected: _connected, stats: _stats, actor: _actor, ...rest }) => rest,
    );
    return { status: this.status(), processes, signals: [...this.signals] };
  }

  /** Current waits (for the System view and the run's tree). */
  waits(): PythonWait[] {
    return [...this.processes.values()].flatMap((process) => (process.waiting ? [process.waiting] : []));
  }
}
