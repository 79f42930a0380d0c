import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  ForkscopeError,
  type PoolLane,
  type PoolRecord,
  type TaskDetail,
  type TaskError,
} from '../../../contract';
import { describeExit } from '../exit-meaning';
import type { RunRegistry } from '../registry';
import { PoolBase } from './pool-base';
import { PoolWorker } from './pool-worker-handle';
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

export interface SubmitOptions {
  timeoutMs?: number | undefined;
}

/** A task's failure as an Error, as Python's Pool re-raises a worker's exception. */
export class TaskFailedError extends ForkscopeError {
  constructor(
    readonly taskId: number,
    readonly failure: TaskError,
  ) {
    super(
      failure.code === 'task-failed' ? 'task-failed' : failure.code,
      failure.code === 'task-failed'
        ? `Task ${taskId} failed: ${failure.name ?? 'Error'}: ${failure.message}`
        : failure.message,
    );
    if (failure.stack) this.stack = failure.stack;
  }
}

/** Python's AsyncResult: ready(), successful(), get(). */
export class AsyncResult {
  constructor(private readonly task: Task) {}
  get id(): number {
    return this.task.id;
  }
  ready(): boolean {
    return this.task.settled;
  }
  successful(): boolean {
    return this.task.state === 'done';
  }
  /** The value, or a rejection with the task's error (a timeout rejects with code 'timeout'). */
  get(): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const answer = (task: Task) =>
        task.state === 'done' ? resolve(task.result) : reject(new TaskFailedError(task.id, task.failure!));
      if (this.task.settled) answer(this.task);
      else chain(this.task, answer);
    });
  }
}

function chain(task: Task, next: (task: Task) => void): void {
  const before = task.onSettled;
  task.onSettled = before
    ? (settled) => {
        before(settled);
        next(settled);
      }
    : next;
}

function splitTarget(target: string, cwd: string): { file: string; name: string } {
  const hash = target.lastIndexOf('#');
  if (hash <= 0)
    throw new ForkscopeError('invalid-argument', 'A target looks like path/to/module.js#exportName.');
  return { file: resolve(cwd, target.slice(0, hash)), name: target.slice(hash + 1) };
}

/**
 * Checks a target before a pool is made for it, without running its code: the module must be a
 * file, and its text must name the export (unless it re-exports everything from elsewhere).
 */
export async function checkTarget(target: string, cwd: string): Promise<void> {
  const { file, name } = splitTarget(target, cwd);
  if (!existsSync(file)) {
    throw new ForkscopeError(
      'not-found',
      `The module ${file} does not exist (relative paths are resolved against ${cwd}).`,
    );
  }
  if (!statSync(file).isFile()) throw new ForkscopeError('invalid-argument', `${file} is not a file.`);
  const text = await readFile(file, 'utf8').catch(() => null);
  if (text === null || !name || /export\s*\*/.test(text)) return;
  if (!new RegExp(`(^|[^\\w$])${name.replaceAll('$', '\\$')}([^\\w$]|$)`).test(text)) {
    throw new ForkscopeError('not-found', `${file} has no exported function named "${name}".`);
  }
}

/** What the pool has measured of one target's tasks. */
interface TargetStats {
  /** Tasks finished. */
  count: number;
  /** Moving average of their durations (ms), quick to rise and slow to fall: a long task counts at once. */
  averageMs: number;
}

/** Tasks finished before a target's tasks count as measured. */
const measuredAfter = 3;

/**
 * How many tasks a worker may hold: deep for tiny tasks (throughput), one for long ones or for
 * tasks not yet measured (balance: a task must not wait behind a long one while a worker idles).
 */
function depthFor(stats: TargetStats | undefined): number {
  if (!stats || stats.count < measuredAfter) return 1;
  const averageMs = stats.averageMs;
  if (averageMs < 0.05) return 64;
  if (averageMs < 0.5) return 16;
  if (averageMs < 5) return 4;
  if (averageMs < 50) return 2;
  return 1;
}

/**
 * Python's multiprocessing.Pool over forked Node workers, minus its hangs: a worker that dies
 * fails the task it was running (naming pid, exit code and signal), its other tasks go back to
 * the queue, and a replacement starts; workers that crash before they are ready degrade the pool.
 */
export class FunctionPool extends PoolBase {
  readonly kind = 'function' as const;
  private readonly workers: PoolWorker[] = [];
  private readonly active = new Set<PoolWorker>();
  private queue: Task[] = [];
  private queueHead = 0;
  private readonly targets = new Map<string, { index: number; resolved: string }>();
  private readonly targetList: string[] = [];
  /** The targets tasks were submitted with, first first (the initializer is not one). */
  private readonly taskTargets = new Set<string>();
  private startCrashes = 0;
  private dispatchScheduled = false;
  /** Measured durations, by target index. */
  private readonly stats: TargetStats[] = [];
  private shuttingDown = false;

  constructor(
    id: string,
    label: string,
    private readonly registry: RunRegistry,
    private readonly script: string,
    private readonly opts: FunctionPoolOptions,
  ) {
    super(id, label, opts.workers);
    if (opts.initializer) this.resolveTarget(opts.initializer);
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
    const init = this.opts.initializer ? this.resolveTarget(this.opts.initializer).resolved : null;
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
          worker.state = 'ready';
          worker.wasReady = true;
          worker.outLines = message.outLines;
          worker.errLines = message.errLines;
          this.startCrashes = 0;
          this.markDirty();
          break;
        case 'init-failed':
          worker.initFailure = { name: message.name, message: message.message, stack: message.stack };
          break;
        case 'given-back':
          this.takeBack(worker, message.taskIds);
          break;
      }
    }
    this.dispatch();
    this.maybeFinish();
  }

  private onResult(worker: PoolWorker, message: Extract<FromWorker, { type: 'result' | 'error' }>): void {
    const task = worker.inflight.shift();
    if (!task || task.id !== message.taskId) return;
    const { t0, t1 } = message;
    task.startedAt = t0;
    task.endedAt = t1;
    task.outTo = worker.outLines = message.outLines;
    task.errTo = worker.errLines = message.errLines;
    worker.tasksDone++;
    this.measure(task.targetIndex, t1 - t0);
    if (worker.timer) clearTimeout(worker.timer);
    worker.timer = null;
    if (message.type === 'result') {
      task.result = message.value;
      this.settle(task, 'done');
    } else {
      const { name, stack } = message;
      this.settle(task, 'failed', { code: 'task-failed', name, message: message.message, stack });
    }
    const next = worker.inflight[0];
    if (next) this.begin(worker, next, t1);
  }

  private measure(targetIndex: number, took: number): void {
    const stats = this.stats[targetIndex];
    if (!stats) {
      this.stats[targetIndex] = { count: 1, averageMs: took };
      return;
    }
    stats.count++;
    stats.averageMs =
      took > stats.averageMs ? (stats.averageMs + took) / 2 : stats.averageMs * 0.8 + took * 0.2;
  }

  /** A worker gave back the tasks it held but had not started: they go back to the head of the queue. */
  private takeBack(worker: PoolWorker, ids: number[]): void {
    worker.recalling = false;
    if (ids.length === 0) return;
    const given = new Set(ids);
    const back: Task[] = [];
    worker.inflight = worker.inflight.filter((task) => {
      if (!given.has(task.id)) return true;
      back.push(task);
      return false;
    });
    for (const task of back) {
      worker.assigned--;
      task.attempts--;
      task.lane = null;
      task.pid = null;
      task.run = null;
      if (task.state !== 'queued') this.setState(task, 'queued');
      else this.touch(task);
    }
    this.queue = [...back, ...this.queue.slice(this.queueHead)];
    this.queueHead = 0;
  }

  /** The first task a worker holds is the one it runs. */
  private begin(worker: PoolWorker, task: Task, at = Date.now()): void {
    task.startedAt = at;
    // What the worker prints from now until the task's result belongs to the task.
    task.outFrom = worker.outLines;
    task.errFrom = worker.errLines;
    task.outTo = task.errTo = Number.POSITIVE_INFINITY;
    this.setState(task, 'running');
    const timeoutMs = task.timeoutMs ?? this.opts.taskTimeoutMs;
    if (timeoutMs !== undefined) {
      worker.timer = setTimeout(
        () => this.timedOut(worker, task, timeoutMs),
        Math.max(0, at + timeoutMs - Date.now()),
      );
    }
  }

  private timedOut(worker: PoolWorker, task: Task, timeoutMs: number): void {
    if (worker.inflight[0] !== task || task.settled) return;
    worker.timedOut = task;
    task.failure = {
      code: 'timeout',
      message: `Task ${task.id} ran past its timeout of ${timeoutMs} ms: its worker (pid ${worker.pid}) was killed and replaced.`,
    };
    void worker.run.stop('timeout', 0).catch(() => {});
  }

  private onExit(worker: PoolWorker, code: number | null, signal: NodeJS.Signals | null): void {
    worker.state = 'exited';
    this.active.delete(worker);
    if (worker.timer) clearTimeout(worker.timer);
    if (worker.run.snapshot().exit?.stoppedBy === 'shutdown') this.shuttingDown = true;
    const stopping = this.shuttingDown || this.state === 'terminated' || worker.terminating;
    const how = describeExit(code, signal, null).meaning;
    const [running, ...unstarted] = worker.inflight;
    worker.inflight = [];
    if (running) {
      if (stopping) {
        this.settle(running, 'cancelled', {
          code: 'cancelled',
          message: `Task ${running.id} was cancelled: the pool was terminated while it ran.`,
        });
      } else if (worker.timedOut === running) {
        this.settle(running, 'failed', running.failure);
      } else {
        const detail = signal ? `signal ${signal}` : `exit code ${code}`;
        this.settle(running, 'failed', {
          code: 'worker-died',
          message: `Worker pid ${worker.pid} died (${detail}: ${how}) while running task ${running.id}; a new worker takes its place.`,
        });
      }
    }
    // Tasks it held but never started go back to the front of the queue.
    for (const task of unstarted) {
      task.lane = null;
      task.pid = null;
      task.run = null;
      if (stopping)
        this.settle(task, 'cancelled', { code: 'cancelled', message: `Task ${task.id} was cancelled.` });
      else this.setState(task, 'queued');
    }
    if (!stopping && unstarted.length > 0) {
      this.queue = [...unstarted, ...this.queue.slice(this.queueHead)];
      this.queueHead = 0;
    }

    // A worker that never said ready crashed on start.
    if (!worker.wasReady && !stopping) {
      this.startCrashes++;
      const max = this.opts.maxStartCrashes ?? 3;
      if (this.startCrashes >= max) {
        const cause = worker.initFailure
          ? `${worker.initFailure.name}: ${worker.initFailure.message}`
          : signal
            ? `signal ${signal}`
            : `exit code ${code}`;
        this.degrade(
          `Pool ${this.id} is degraded: its workers crashed on start ${this.startCrashes} times in a row (last: ${cause}). ` +
            'Fix the initializer or the module, then create a new pool.',
        );
      }
    }
    const needed =
      this.state === 'running' || (this.state === 'closing' && this.queueHead < this.queue.length);
    if (!stopping && needed && this.active.size < this.size) {
      worker.replacedBy = this.spawnWorker().lane;
    }
    this.markDirty();
    this.dispatch();
    this.maybeFinish();
  }

  private degrade(problem: string): void {
    this.state = 'degraded';
    this.problem = problem;
    for (let i = this.queueHead; i < this.queue.length; i++) {
      this.settle(this.queue[i]!, 'failed', { code: 'degraded', message: problem });
    }
    this.queue = [];
    this.queueHead = 0;
    for (const worker of this.active) void worker.run.stop('terminate', this.opts.graceMs).catch(() => {});
    this.markDirty();
  }

  // ---- dispatch -----------------------------------------------------------------------------

  private resolveTarget(target: string): { index: number; resolved: string } {
    let known = this.targets.get(target);
    if (!known) {
      const { file, name } = splitTarget(target, this.opts.cwd);
      if (!existsSync(file)) throw new ForkscopeError('not-found', `The module ${file} does not exist.`);
      known = { index: this.targetList.length, resolved: `${file}#${name}` };
      this.targetList.push(known.resolved);
      this.targets.set(target, known);
    }
    return known;
  }

  private enqueue(target: string, mode: TaskMode, payload: unknown[], timeoutMs?: number): Task {
    const { index } = this.resolveTarget(target);
    this.taskTargets.add(this.targetList[index]!);
    const task = new Task(this.tasks.length + 1, this.targetList[index]!, mode, payload, timeoutMs);
    task.targetIndex = index;
    this.addTask(task);
    // Nothing queued and a worker idle: this task goes out now, one line in this very tick (the
    // round trip of a lone `await pool.apply` pays for no microtask and no dispatch pass).
    if (this.queueHead >= this.queue.length && !this.dispatchScheduled) {
      const idle = this.idleWorker();
      if (idle) {
        this.assign(idle, task);
        this.retireIfSpent(idle);
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
    const max = this.opts.maxTasksPerChild;
    for (const worker of this.active) {
      if (worker.state !== 'ready' || worker.retiring || worker.inflight.length > 0) continue;
      if (max !== undefined && worker.assigned >= max) continue;
      return worker;
    }
    return null;
  }

  /** maxTasksPerChild: a worker that was given its last task exits after it, and is replaced then. */
  private retireIfSpent(worker: PoolWorker): void {
    const max = this.opts.maxTasksPerChild;
    if (max !== undefined && worker.assigned >= max && !worker.retiring) {
      worker.retiring = true;
      worker.send({ type: 'retire' });
    }
  }

  /**
   * Hands queued tasks out, in order, each to the ready worker holding the fewest: a worker gets
   * a second task only when every other one is busy, and only as deep as its target's measured
   * duration allows (unmeasured: one). A worker left idle with nothing queued recalls the tasks
   * another holds but has not started, so the next task runs on the first worker that frees.
   */
  private dispatch(): void {
    this.dispatchScheduled = false;
    const max = this.opts.maxTasksPerChild;
    const ready = [...this.active].filter((worker) => worker.state === 'ready' && !worker.retiring);
    const open = (worker: PoolWorker) => max === undefined || worker.assigned < max;
    while (this.queueHead < this.queue.length) {
      const task = this.queue[this.queueHead]!;
      if (task.state !== 'queued') {
        this.queueHead++;
        continue;
      }
      let best: PoolWorker | null = null;
      for (const worker of ready) {
        if (!open(worker)) continue;
        if (!best || worker.inflight.length < best.inflight.length) best = worker;
        if (best.inflight.length === 0) break;
      }
      if (!best || best.inflight.length >= depthFor(this.stats[task.targetIndex])) break;
      this.queueHead++;
      this.assign(best, task);
    }
    if (this.queueHead > 4096 && this.queueHead * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.queueHead);
      this.queueHead = 0;
    }
    if (this.queueHead >= this.queue.length) this.recallForIdle(ready.filter(open));
    for (const worker of ready) {
      this.retireIfSpent(worker);
      worker.flush();
    }
  }

  /** Idle workers and nothing queued: the workers holding unstarted tasks give them back. */
  private recallForIdle(candidates: PoolWorker[]): void {
    let idle = candidates.filter((worker) => worker.inflight.length === 0).length;
    if (idle === 0) return;
    const holders = [...this.active]
      .filter((worker) => worker.state === 'ready' && !worker.recalling && worker.inflight.length > 1)
      .sort((a, b) => b.inflight.length - a.inflight.length);
    for (const holder of holders) {
      if (idle-- <= 0) break;
      holder.recalling = true;
      holder.send({ type: 'give-back' });
      holder.flush();
    }
  }

  private assign(worker: PoolWorker, task: Task): void {
    if (!worker.definedTargets.has(task.targetIndex)) {
      worker.definedTargets.add(task.targetIndex);
      worker.send({ type: 'define', index: task.targetIndex, target: task.target });
    }
    worker.send({
      type: 'task',
      taskId: task.id,
      targetIndex: task.targetIndex,
      mode: task.mode,
      payload: task.payload,
    });
    worker.inflight.push(task);
    worker.assigned++;
    task.lane = worker.lane;
    task.pid = worker.pid;
    task.run = worker.run;
    task.attempts++;
    if (worker.inflight.length === 1) this.begin(worker, task);
  }

  protected maybeFinish(): void {
    if (this.state === 'closing' && this.queueHead >= this.queue.length) {
      for (const worker of this.active) {
        if (worker.state === 'ready' && !worker.retiring) {
          worker.retiring = true;
          worker.send({ type: 'retire' });
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

  /** Pool.map: results in input order; the first failed chunk rejects, as Python raises. */
  async map(target: string, items: unknown[], options: { chunksize?: number } = {}): Promise<unknown[]> {
    const chunks = await Promise.all(
      this.submit(target, items, options).map((task) => this.chunkResults(task)),
    );
    return chunks.flat();
  }

  async starmap(
    target: string,
    items: unknown[][],
    options: { chunksize?: number } = {},
  ): Promise<unknown[]> {
    const chunks = await Promise.all(
      this.submit(target, items, { ...options, star: true }).map((task) => this.chunkResults(task)),
    );
    return chunks.flat();
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
      chain(task, (settled) => {
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
    for (let i = this.queueHead; i < this.queue.length; i++) {
      this.settle(this.queue[i]!, 'cancelled', {
        code: 'cancelled',
        message: `Task ${this.queue[i]!.id} was cancelled: the pool was terminated.`,
      });
    }
    this.queue = [];
    this.queueHead = 0;
    const stops = [...this.active].map((worker) => {
      worker.terminating = true;
      return worker.run.stop('terminate', this.opts.graceMs).catch(() => {});
    });
    this.markDirty();
    await Promise.all(stops);
    await this.join(this.opts.graceMs + 3000);
  }

  // ---- views --------------------------------------------------------------------------------

  protected lanes(): PoolLane[] {
    return this.workers.map((worker) => {
      const run = worker.run.snapshot();
      return {
        lane: worker.lane,
        runId: run.id,
        pid: run.pid,
        state: worker.state,
        startedAt: run.startedAt,
        endedAt: run.endedAt,
        tasksDone: worker.tasksDone,
        exit: run.exit?.meaning ?? (worker.state === 'exited' ? 'exited' : null),
        replacedBy: worker.replacedBy,
      };
    });
  }

  protected options(): PoolRecord['options'] {
    return {
      initializer: this.opts.initializer ?? null,
      maxTasksPerChild: this.opts.maxTasksPerChild ?? null,
      taskTimeoutMs: this.opts.taskTimeoutMs ?? null,
      template: null,
      targets: [...this.taskTargets],
      keepOrder: true,
      halt: 'never',
      retries: 0,
    };
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
