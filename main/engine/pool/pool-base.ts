import { EventEmitter } from 'node:events';
import {
  ForkscopeError,
  type PoolCounts,
  type PoolKind,
  type PoolLane,
  type PoolRecord,
  type PoolState,
  type TaskDetail,
  type TaskError,
  type TaskState,
  type TaskSummary,
} from '../../../contract';
import type { Task } from './task';

export interface PoolEvents {
  /** The pool changed since the last `drain()`: emitted once, then not again until drained. */
  changed: [];
}

/**
 * What function pools and command pools share: the task list, the counts, the state machine
 * (running → closing → done; terminated; degraded), join, and change tracking for publishers.
 * Change tracking costs nothing until someone observes the pool: a benchmark pays no event tax.
 */
export abstract class PoolBase extends EventEmitter<PoolEvents> {
  abstract readonly kind: PoolKind;
  state: PoolState = 'running';
  readonly createdAt = Date.now();
  endedAt: number | null = null;
  problem: string | null = null;
  readonly tasks: Task[] = [];
  protected readonly counts: PoolCounts = {
    total: 0,
    queued: 0,
    running: 0,
    done: 0,
    failed: 0,
    cancelled: 0,
  };
  private dirty = false;
  private changedTasks: Set<Task> | null = null;
  private endWaiters: (() => void)[] = [];

  constructor(
    readonly id: string,
    readonly label: string,
    readonly size: number,
  ) {
    super();
  }

  /** Publishers call this once: from then on, changed tasks are remembered until drained. */
  observe(): void {
    this.changedTasks ??= new Set(this.tasks);
    // Changes before anyone listened were flagged to nobody: flag them again.
    this.dirty = false;
    this.markDirty();
  }

  protected markDirty(): void {
    if (this.dirty) return;
    this.dirty = true;
    this.emit('changed');
  }

  protected touch(task: Task): void {
    this.changedTasks?.add(task);
    this.markDirty();
  }

  /** What changed since the last drain. */
  drain(): { record: PoolRecord; tasks: TaskSummary[] } {
    this.dirty = false;
    const tasks = this.changedTasks ? [...this.changedTasks].map((task) => task.summary()) : [];
    this.changedTasks?.clear();
    return { record: this.record(), tasks };
  }

  protected addTask(task: Task): void {
    this.tasks.push(task);
    this.counts.total++;
    this.counts.queued++;
    this.touch(task);
  }

  protected setState(task: Task, state: TaskState): void {
    this.counts[task.state]--;
    this.counts[state]++;
    task.state = state;
    this.touch(task);
  }

  /** Ends a task once: its state, its failure, then whoever waits on it. */
  protected settle(
    task: Task,
    state: 'done' | 'failed' | 'cancelled',
    failure: TaskError | null = null,
  ): void {
    if (task.settled) return;
    if (failure) task.failure = failure;
    task.endedAt ??= Date.now();
    this.setState(task, state);
    const callback = task.onSettled;
    task.onSettled = null;
    callback?.(task);
  }

  task(id: number): Task {
    const task = this.tasks[id - 1];
    if (!task) throw new ForkscopeError('not-found', `Pool ${this.id} has no task ${id}.`);
    return task;
  }

  summaries(fromId: number, limit: number): TaskSummary[] {
    return this.tasks.slice(fromId - 1, fromId - 1 + limit).map((task) => task.summary());
  }

  /** The run whose program made this pool (Python pools); Forkscope's own pools have none. */
  get runId(): string | null {
    return null;
  }

  protected abstract lanes(): PoolLane[];
  protected abstract options(): PoolRecord['options'];
  abstract detail(id: number): TaskDetail;
  /** Settles the pool once it is closing and nothing is left to run. */
  protected abstract maybeFinish(): void;

  /** Python's close(): no new tasks; the pool finishes when the queued ones are done. */
  close(): void {
    if (this.state !== 'running') return;
    this.state = 'closing';
    this.markDirty();
    this.maybeFinish();
  }
  abstract terminate(): Promise<void>;
  /** Tasks in the order the job log lists them. */
  abstract logOrder(): Task[];

  record(): PoolRecord {
    return {
      id: this.id,
      kind: this.kind,
      label: this.label,
      state: this.state,
      size: this.size,
      createdAt: this.createdAt,
      endedAt: this.endedAt,
      counts: { ...this.counts },
      lanes: this.lanes(),
      options: this.options(),
      problem: this.problem,
      runId: this.runId,
    };
  }

  protected ended(): void {
    if (this.endedAt !== null) return;
    this.endedAt = Date.now();
    this.markDirty();
    for (const wake of this.endWaiters.splice(0)) wake();
  }

  /** Pool.join: resolves when every worker has exited (or the timeout passed; the record says which). */
  async join(timeoutMs?: number): Promise<void> {
    if (this.state === 'running') {
      throw new ForkscopeError(
        'refused',
        `Pool ${this.id} is still running: close or terminate it before joining (join waits for its workers to exit).`,
      );
    }
    if (this.endedAt !== null) return;
    await new Promise<void>((resolve) => {
      this.endWaiters.push(resolve);
      if (timeoutMs !== undefined) setTimeout(resolve, timeoutMs).unref();
    });
  }

  protected checkOpen(): void {
    if (this.state === 'running') return;
    if (this.state === 'degraded')
      throw new ForkscopeError('degraded', this.problem ?? `Pool ${this.id} is degraded.`);
    throw new ForkscopeError(
      'closed',
      `Pool ${this.id} is ${this.state === 'terminated' ? 'terminated' : 'closed'}: it takes no more tasks. Create a new pool.`,
    );
  }
}
