import type { PoolLane, PoolRecord, TaskDetail } from '../../../contract';
import { describeExit } from '../exit-meaning';
import { Fifo } from '../fifo';
import type { RunRegistry } from '../registry';
import { AsyncResult, whenSettled } from './async-result';
import { functionPoolOptions, workerLanes } from './function-pool-views';
import { PoolBase } from './pool-base';
import { PoolWorker } from './pool-worker-handle';
import { PoolTargets } from './targets';
import { Task } from './task';
import { taskDetail } from './task-output';
import { TaskMode, type FromWorker } from './worker-protocol';

export interface FunctionPoolOptions {
  workers: number;
  initializer?: string | undefined;
  initargs?: unknown[];
  maxTasksPerChild?: number | undefined;
  taskTimeoutMs?: number | undefined;
  cwd: string;
  env: Record<string, string>;
  /** A worker that exits before it is ready this many times in a row degrades the pool. */
  maxStartCrashes?: number;
  graceMs: number;
}

/** The most arrays joined by one `concat` spread. */
const spreadLimit = 4096;

export interface SubmitOptions {
  timeoutMs?: number | undefined;
}

/**
 * Python's multiprocessing.Pool over forked Node workers, minus its hangs: a worker that dies
 * fails the task it was running (naming pid, exit code and signal), its other tasks go back to
 * the queue, and a replacement starts; workers that crash before they are ready degrade the pool.
 *
 * This is the front: it decides who runs what. The parts each keep one job — `targets.ts` (what
 * a target is, its number, how deep a worker may hold its tasks), `pool-worker-handle.ts` (one
 * worker's process, channel and life),
 * `async-result.ts` (results as Python's), `function-pool-views.ts` (what the UI shows).
 */
export class FunctionPool extends PoolBase {
  readonly kind = 'function' as const;
  private readonly workers: PoolWorker[] = [];
  private readonly active = new Set<PoolWorker>();
  /** Tasks waiting for a worker, in order; given-back ones go to the front. */
  private readonly queue = new Fifo<Task>();
  private readonly targets: PoolTargets;
  private startCrashes = 0;
  private dispatchScheduled = false;
  private shuttingDown = false;

  constructor(
    id: string,
    label: string,
    private readonly registry: RunRegistry,
    private readonly script: string,
    private readonly opts: FunctionPoolOptions,
  ) {
    super(id, label, opts.workers);
    this.targets = new PoolTargets(opts.cwd);
    if (opts.initializer) this.targets.number(opts.initializer);
    for (let i = 0; i < opts.workers; i++) this.spawnWorker();
  }

  // ---- workers ------------------------------------------------------------------------------

  private spawnWorker(): PoolWorker {
    const worker = new PoolWorker(
      {
        registry: this.registry,
        script: this.script,
        poolId: this.id,
        label: this.label,
        lane: this.workers.length,
        cwd: this.opts.cwd,
        env: this.opts.env,
      },
      {
        onMessages: (w, batch) => this.onMessages(w, batch),
        onExit: (w, code, signal) => this.onExit(w, code, signal),
      },
    );
    this.workers.push(worker);
    this.active.add(worker);
    const { initializer } = this.opts;
    const init = initializer ? this.targets.path(this.targets.number(initializer)) : null;
    worker.send({ type: 'init', initializer: init, initargs: this.opts.initargs ?? [] });
    worker.flush();
    this.markDirty();
    return worker;
  }

  private onMessages(worker: PoolWorker, batch: FromWorker[]): void {
    for (const message of batch) {
      switch (message.type) {
        case 'result':
        case 'error':
          this.onResult(worker, message);
          break;
        case 'ready':
          worker.ready(message);
          this.startCrashes = 0;
          this.markDirty();
          break;
        case 'init-failed':
          worker.initFailed(message);
          break;
        case 'given-back':
          this.requeue(worker.gaveBack(message.taskIds));
          break;
      }
    }
    this.dispatch();
    this.maybeFinish();
  }

  private onResult(worker: PoolWorker, message: Extract<FromWorker, { type: 'result' | 'error' }>): void {
    const task = worker.finished(message);
    if (!task) return;
    this.targets.measure(task.targetIndex, message.t1 - message.t0);
    if (message.type === 'result') {
      task.result = message.value;
      this.settle(task, 'done');
    } else {
      const { name, stack } = message;
      this.settle(task, 'failed', { code: 'task-failed', name, message: message.message, stack });
    }
    const next = worker.running;
    if (next) this.begin(worker, next, message.t1);
  }

  /** Tasks no worker holds any more go back to the head of the queue. */
  private requeue(tasks: Task[]): void {
    for (const task of tasks) {
      if (task.state !== 'queued') this.setState(task, 'queued');
      else this.touch(task);
    }
    this.queue.unshift(tasks);
  }

  /** The first task a worker holds is the one it runs. */
  private begin(worker: PoolWorker, task: Task, at = Date.now()): void {
    const timeoutMs = task.timeoutMs ?? this.opts.taskTimeoutMs;
    worker.begin(task, at, timeoutMs, () => this.timedOut(worker, task, timeoutMs!));
    this.setState(task, 'running');
  }

  private timedOut(worker: PoolWorker, task: Task, timeoutMs: number): void {
    if (worker.running !== task || task.settled) return;
    task.failure = {
      code: 'timeout',
      message: `Task ${task.id} ran past its timeout of ${timeoutMs} ms: its worker (pid ${worker.pid}) was killed and replaced.`,
    };
    worker.killFor(task);
  }

  private onExit(worker: PoolWorker, code: number | null, signal: NodeJS.Signals | null): void {
    this.active.delete(worker);
    if (worker.run.snapshot().exit?.stoppedBy === 'shutdown') this.shuttingDown = true;
    const { running, unstarted, timedOut, terminated } = worker.exited();
    const stopping = this.shuttingDown || this.state === 'terminated' || terminated;
    if (running) {
      if (stopping) {
        this.settle(running, 'cancelled', {
          code: 'cancelled',
          message: `Task ${running.id} was cancelled: the pool was terminated while it ran.`,
        });
      } else if (timedOut) {
        this.settle(running, 'failed', running.failure);
      } else {
        const how = describeExit(code, signal, null).meaning;
        const detail = signal ? `signal ${signal}` : `exit code ${code}`;
        this.settle(running, 'failed', {
          code: 'worker-died',
          message: `Worker pid ${worker.pid} died (${detail}: ${how}) while running task ${running.id}; a new worker takes its place.`,
        });
      }
    }
    // Tasks it held but never started go back to the front of the queue.
    if (stopping) {
      for (const task of unstarted)
        this.settle(task, 'cancelled', { code: 'cancelled', message: `Task ${task.id} was cancelled.` });
    } else {
      for (const task of unstarted) this.setState(task, 'queued');
      this.queue.unshift(unstarted);
    }
    if (!worker.wasReady && !stopping) this.crashedOnStart(worker, code, signal);
    const needed = this.state === 'running' || (this.state === 'closing' && !this.queue.empty);
    if (!stopping && needed && this.active.size < this.size) worker.replacedWith(this.spawnWorker().lane);
    this.markDirty();
    this.dispatch();
    this.maybeFinish();
  }

  /** A worker that never said ready crashed on start: so many in a row degrade the pool. */
  private crashedOnStart(worker: PoolWorker, code: number | null, signal: NodeJS.Signals | null): void {
    this.startCrashes++;
    if (this.startCrashes < (this.opts.maxStartCrashes ?? 3)) return;
    const failure = worker.initFailure;
    const cause = failure
      ? `${failure.name}: ${failure.message}`
      : signal
        ? `signal ${signal}`
        : `exit code ${code}`;
    this.degrade(
      `Pool ${this.id} is degraded: its workers crashed on start ${this.startCrashes} times in a row (last: ${cause}). ` +
        'Fix the initializer or the module, then create a new pool.',
    );
  }

  private degrade(problem: string): void {
    this.state = 'degraded';
    this.problem = problem;
    for (const task of this.queue.drain())
      this.settle(task, 'failed', { code: 'degraded', message: problem });
    for (const worker of this.active) void worker.stop(this.opts.graceMs);
    this.markDirty();
  }

  // ---- dispatch -----------------------------------------------------------------------------

  private enqueue(target: string, mode: TaskMode, payload: unknown[], timeoutMs?: number): Task {
    const index = this.targets.forTask(target);
    const task = new Task(this.tasks.length + 1, this.targets.path(index), mode, payload, timeoutMs);
    task.targetIndex = index;
    this.addTask(task);
    // Nothing queued and a worker idle: this task goes out now, one line in this very tick (the
    // round trip of a lone `await pool.apply` pays for no microtask and no dispatch pass).
    if (this.queue.empty && !this.dispatchScheduled) {
      const idle = this.idleWorker();
      if (idle) {
        this.assign(idle, task);
        idle.retireIfSpent(this.opts.maxTasksPerChild);
        idle.flush();
        return task;
      }
    }
    this.queue.push(task);
    if (!this.dispatchScheduled) {
      this.dispatchScheduled = true;
      queueMicrotask(() => this.dispatch());
    }
    return task;
  }

  /** A ready worker holding no task, that may take one more (maxTasksPerChild). */
  private idleWorker(): PoolWorker | null {
    for (const worker of this.active) {
      if (worker.holding === 0 && worker.open(this.opts.maxTasksPerChild)) return worker;
    }
    return null;
  }

  /**
   * Hands queued tasks out, in order, each to the ready worker holding the fewest: a worker gets
   * a second task only when every other one is busy, and only as deep as its target's measured
   * duration allows (unmeasured: one). A worker left idle with nothing queued recalls the tasks
   * another holds but has not started, so the next task runs on the first worker that frees.
   */
  private dispatch(): void {
    this.dispatchScheduled = false;
    // The common case after a result (a lone apply's round trip): nothing to hand out or recall.
    if (this.queue.empty && !this.holdsUnstarted()) return;
    const max = this.opts.maxTasksPerChild;
    const ready = [...this.active].filter((worker) => worker.state === 'ready' && worker.open(undefined));
    for (let task = this.queue.peek(); task; task = this.queue.peek()) {
      if (task.state !== 'queued') {
        this.queue.shift();
        continue;
      }
      let best: PoolWorker | null = null;
      for (const worker of ready) {
        if (!worker.open(max)) continue;
        if (!best || worker.holding < best.holding) best = worker;
        if (best.holding === 0) break;
      }
      if (!best || best.holding >= this.targets.depth(task.targetIndex)) break;
      this.queue.shift();
      this.assign(best, task);
    }
    if (this.queue.empty) this.recallForIdle(ready.filter((worker) => worker.open(max)));
    for (const worker of ready) {
      worker.retireIfSpent(max);
      worker.flush();
    }
  }

  /** Some ready worker holds a task it has not started (one a recall could give to an idle one). */
  private holdsUnstarted(): boolean {
    for (const worker of this.active) if (worker.state === 'ready' && worker.holding > 1) return true;
    return false;
  }

  /** Idle workers and nothing queued: the workers holding unstarted tasks give them back. */
  private recallForIdle(candidates: PoolWorker[]): void {
    let idle = candidates.filter((worker) => worker.holding === 0).length;
    if (idle === 0) return;
    const holders = [...this.active]
      .filter((worker) => worker.state === 'ready' && !worker.recalling && worker.holding > 1)
      .sort((a, b) => b.holding - a.holding);
    for (const holder of holders) {
      if (idle-- <= 0) break;
      holder.recall();
    }
  }

  private assign(worker: PoolWorker, task: Task): void {
    if (worker.hold(task, task.target)) this.begin(worker, task);
  }

  protected maybeFinish(): void {
    if (this.state === 'closing' && this.queue.empty) {
      for (const worker of this.active) {
        if (worker.open(undefined)) {
          worker.retire();
          worker.flush();
        }
      }
    }
    if (this.state === 'running' || this.active.size > 0) return;
    if (this.state === 'closing') this.state = 'done';
    this.ended();
  }

  // ---- the Pool API -------------------------------------------------------------------------

  applyAsync(target: string, args: unknown[], options: SubmitOptions = {}): AsyncResult {
    this.checkOpen();
    return new AsyncResult(this.enqueue(target, TaskMode.Call, args, options.timeoutMs));
  }

  apply(target: string, args: unknown[], options: SubmitOptions = {}): Promise<unknown> {
    return this.applyAsync(target, args, options).get();
  }

  /** Queues items in chunks; each chunk is one task. Python's default chunksize: len / (4 × workers). */
  submit(target: string, items: unknown[], options: { chunksize?: number; star?: boolean } = {}): Task[] {
    this.checkOpen();
    const mode = options.star ? TaskMode.Star : TaskMode.Map;
    const chunksize = options.chunksize ?? Math.max(1, Math.ceil(items.length / (this.size * 4)));
    const tasks: Task[] = [];
    if (chunksize === 1) {
      // One item per task: a plain call, labelled as such.
      for (const item of items)
        tasks.push(this.enqueue(target, TaskMode.Call, options.star ? (item as unknown[]) : [item]));
      return tasks;
    }
    for (let at = 0; at < items.length; at += chunksize) {
      tasks.push(this.enqueue(target, mode, items.slice(at, at + chunksize)));
    }
    return tasks;
  }

  private chunkResults(task: Task): Promise<unknown[]> {
    return new AsyncResult(task)
      .get()
      .then((value) => (task.mode === TaskMode.Call ? [value] : (value as unknown[])));
  }

  /**
   * Pool.map: results in input order; the first failed chunk rejects, as Python raises (async: a
   * refused submit, to a closed pool, rejects too rather than throws).
   */
  async map(target: string, items: unknown[], options: { chunksize?: number } = {}): Promise<unknown[]> {
    return this.gather(this.submit(target, items, options));
  }

  async starmap(
    target: string,
    items: unknown[][],
    options: { chunksize?: number } = {},
  ): Promise<unknown[]> {
    return this.gather(this.submit(target, items, { ...options, star: true }));
  }

  /**
   * The chunks' results joined in order. `concat` copies each chunk as a block; `Array.flat` on a
   * map of millions of items took longer than all the workers' work together (~150 ns an item).
   */
  private async gather(tasks: Task[]): Promise<unknown[]> {
    let parts = await Promise.all(tasks.map((task) => this.chunkResults(task)));
    // A spread is bounded by the stack: many small chunks are joined in groups first.
    while (parts.length > spreadLimit) {
      const groups: unknown[][] = [];
      for (let at = 0; at < parts.length; at += spreadLimit)
        groups.push(([] as unknown[]).concat(...parts.slice(at, at + spreadLimit)));
      parts = groups;
    }
    return ([] as unknown[]).concat(...parts);
  }

  /** Pool.imap: results in input order, each as soon as it and those before it are ready. */
  async *imap(
    target: string,
    items: unknown[],
    options: { chunksize?: number } = {},
  ): AsyncGenerator<unknown> {
    const pending = this.submit(target, items, { chunksize: options.chunksize ?? 1 }).map((task) =>
      this.chunkResults(task),
    );
    for (const chunk of pending) yield* await chunk;
  }

  /** Pool.imap_unordered: results as they come. */
  async *imapUnordered(
    target: string,
    items: unknown[],
    options: { chunksize?: number } = {},
  ): AsyncGenerator<unknown> {
    const tasks = this.submit(target, items, { chunksize: options.chunksize ?? 1 });
    const ready: Task[] = [];
    let wake: (() => void) | null = null;
    for (const task of tasks) {
      whenSettled(task, (settled) => {
        ready.push(settled);
        wake?.();
      });
    }
    for (let seen = 0; seen < tasks.length; seen++) {
      while (ready.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      wake = null;
      const task = ready.shift()!;
      yield* await this.chunkResults(task);
    }
  }

  async terminate(): Promise<void> {
    if (this.state === 'done' || this.state === 'terminated') return;
    if (this.state !== 'degraded') this.state = 'terminated';
    for (const task of this.queue.drain()) {
      this.settle(task, 'cancelled', {
        code: 'cancelled',
        message: `Task ${task.id} was cancelled: the pool was terminated.`,
      });
    }
    const stops = [...this.active].map((worker) => worker.terminate(this.opts.graceMs));
    this.markDirty();
    await Promise.all(stops);
    await this.join(this.opts.graceMs + 3000);
  }

  // ---- views --------------------------------------------------------------------------------

  protected lanes(): PoolLane[] {
    return workerLanes(this.workers);
  }

  protected options(): PoolRecord['options'] {
    return functionPoolOptions(this.opts, this.targets.taskTargets);
  }

  detail(id: number): TaskDetail {
    const task = this.task(id);
    return taskDetail(task, task.target);
  }

  logOrder(): Task[] {
    return this.tasks.filter((task) => task.endedAt !== null).sort((a, b) => a.endedAt! - b.endedAt!);
  }

  get workerPids(): number[] {
    return [...this.active].map((worker) => worker.pid).filter((pid): pid is number => pid !== null);
  }

  get allWorkers(): readonly PoolWorker[] {
    return this.workers;
  }
}
