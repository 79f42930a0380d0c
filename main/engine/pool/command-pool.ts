import {
  ForkscopeError,
  type PoolLane,
  type PoolRecord,
  type TaskDetail,
  type TaskError,
} from '../../../contract';
import type { Engine } from '../engine';
import { PoolBase } from './pool-base';
import { shellJoin } from './shell-quote';
import { Task } from './task';
import { taskDetail } from './task-output';
import { TaskMode } from './worker-protocol';

export interface CommandPoolOptions {
  template: string[];
  concurrency: number;
  keepOrder: boolean;
  halt: 'never' | 'soon' | 'now';
  retries: number;
  taskTimeoutMs?: number | undefined;
  cwd?: string | undefined;
  env?: Record<string, string | null> | undefined;
}

/** GNU parallel's replacement: every `{}` becomes the input; with no `{}`, the input is appended. */
export function expandTemplate(template: readonly string[], input: string): string[] {
  if (!template.some((arg) => arg.includes('{}'))) return [...template, input];
  return template.map((arg) => arg.replaceAll('{}', input));
}

/** A command task over one input: the template is its target, the expanded argv its label. */
export function commandTask<T extends Task>(
  Kind: new (...args: ConstructorParameters<typeof Task>) => T,
  id: number,
  template: readonly string[],
  input: string,
  timeoutMs: number | undefined,
): T {
  const task = new Kind(id, shellJoin(template), TaskMode.Call, [input], timeoutMs);
  task.command = true;
  task.setLabel(shellJoin(expandTemplate(template, input)));
  return task;
}

interface Slot {
  task: Task | null;
  startedAt: number;
  tasksDone: number;
}

/**
 * Command tasks, as GNU parallel or `xargs -P`: an argv template over inputs, at most K at a
 * time, each task a real run (its own process, output and exit code) started through the
 * engine's spawn path. Options: keep-order (results released in input order), halt on the
 * first failure (soon: start no more; now: also stop the running ones), retries.
 */
export class CommandPool extends PoolBase {
  readonly kind = 'command' as const;
  private queue: Task[] = [];
  private readonly slots: Slot[];
  /** Tasks in the order their results were released (input order with keepOrder). */
  readonly released: Task[] = [];
  private nextToRelease = 1;
  private halted = false;
  private readonly haltKilled = new WeakSet<Task>();
  private readonly releaseListeners = new Set<(task: Task) => void>();

  constructor(
    id: string,
    label: string,
    private readonly engine: Engine,
    private readonly opts: CommandPoolOptions,
  ) {
    super(id, label, opts.concurrency);
    this.slots = Array.from({ length: opts.concurrency }, () => ({
      task: null,
      startedAt: Date.now(),
      tasksDone: 0,
    }));
  }

  /** Called with each task as its result is released (in input order with keepOrder). */
  onRelease(listener: (task: Task) => void): () => void {
    this.releaseListeners.add(listener);
    return () => this.releaseListeners.delete(listener);
  }

  add(inputs: readonly string[]): Task[] {
    this.checkOpen();
    const tasks = inputs.map((input) => {
      const task = commandTask(
        Task,
        this.tasks.length + 1,
        this.opts.template,
        input,
        this.opts.taskTimeoutMs,
      );
      this.addTask(task);
      this.queue.push(task);
      return task;
    });
    this.pump();
    return tasks;
  }

  private pump(): void {
    const starting = !this.halted && this.state !== 'terminated';
    for (let lane = 0; starting && lane < this.slots.length && this.queue.length > 0; lane++) {
      const slot = this.slots[lane]!;
      if (slot.task) continue;
      const task = this.queue.shift()!;
      slot.task = task;
      void this.runTask(task, lane, slot);
    }
    this.maybeFinish();
  }

  private async runTask(task: Task, lane: number, slot: Slot): Promise<void> {
    task.attempts++;
    task.lane = lane;
    task.startedAt = Date.now();
    task.endedAt = null;
    task.failure = null;
    task.exitcode = null;
    this.setState(task, 'running');
    const argv = expandTemplate(this.opts.template, String(task.payload[0]));
    let failure: TaskError | null = null;
    try {
      const record = await this.engine.launch(
        {
          program: argv[0]!,
          args: argv.slice(1),
          shell: false,
          closeStdin: true,
          cwd: this.opts.cwd,
          env: this.opts.env,
          timeoutMs: this.opts.taskTimeoutMs,
          label: `${this.label} · ${task.label()}`,
        },
        this.id,
      );
      const run = this.engine.run(record.id);
      task.run = run;
      task.pid = record.pid;
      this.touch(task);
      if (record.state === 'failed') {
        failure = {
          code: record.error?.code ?? 'internal',
          message: record.error?.message ?? 'It could not start.',
        };
      } else {
        await run.whenEnded();
        const ended = run.snapshot();
        task.exitcode = ended.exit?.exitcode ?? null;
        if (ended.exit?.stoppedBy === 'timeout') {
          failure = {
            code: 'timeout',
            message: `Task ${task.id} ran past its timeout of ${this.opts.taskTimeoutMs} ms and was stopped.`,
          };
        } else if (ended.state !== 'exited' || ended.exit?.code !== 0) {
          failure = {
            code: 'task-failed',
            message: `${task.label()} ${ended.exit?.meaning ?? 'failed'} (exit ${task.exitcode}).`,
          };
        }
      }
    } catch (error) {
      const code = error instanceof ForkscopeError ? error.code : 'internal';
      failure = { code, message: (error as Error).message };
    }
    task.endedAt = Date.now();
    slot.task = null;
    slot.tasksDone++;

    if (!failure) {
      task.result = { exitcode: task.exitcode ?? 0 };
      this.settle(task, 'done');
    } else if (this.haltKilled.has(task) || this.state === 'terminated') {
      this.settle(task, 'cancelled', {
        code: 'cancelled',
        message: `Task ${task.id} was stopped: ${this.problem ?? 'the pool was terminated.'}`,
      });
    } else if (task.attempts <= this.opts.retries && !this.halted) {
      // Retried: back to the front of the queue, its attempts counted.
      task.failure = failure;
      this.setState(task, 'queued');
      this.queue.unshift(task);
    } else {
      this.settle(task, 'failed', failure);
      if (this.opts.halt !== 'never' && !this.halted) this.halt(task);
    }
    if (task.settled) this.release(task);
    this.pump();
  }

  private halt(cause: Task): void {
    this.halted = true;
    this.problem = `Halted after task ${cause.id} failed (${this.opts.halt === 'now' ? 'running tasks were stopped' : 'running tasks were let finish'}).`;
    for (const task of this.queue.splice(0)) {
      this.settle(task, 'cancelled', {
        code: 'cancelled',
        message: `Task ${task.id} was not started: ${this.problem}`,
      });
      this.release(task);
    }
    if (this.opts.halt === 'now') {
      for (const slot of this.slots) {
        if (!slot.task?.run) continue;
        this.haltKilled.add(slot.task);
        void slot.task.run.stop('terminate', this.engine.graceMs).catch(() => {});
      }
    }
    this.markDirty();
  }

  private release(task: Task): void {
    if (!this.opts.keepOrder) {
      this.emitRelease(task);
      return;
    }
    while (this.nextToRelease <= this.tasks.length && this.tasks[this.nextToRelease - 1]!.settled) {
      this.emitRelease(this.tasks[this.nextToRelease - 1]!);
      this.nextToRelease++;
    }
  }

  private emitRelease(task: Task): void {
    this.released.push(task);
    for (const listener of this.releaseListeners) listener(task);
  }

  protected maybeFinish(): void {
    if (this.slots.some((slot) => slot.task !== null)) return;
    if (this.state === 'terminated' || this.halted || (this.state === 'closing' && this.queue.length === 0)) {
      if (this.state !== 'terminated') this.state = 'done';
      this.ended();
    }
  }

  async terminate(): Promise<void> {
    if (this.state === 'done' || this.state === 'terminated') return;
    this.state = 'terminated';
    this.problem ??= 'The pool was terminated.';
    for (const task of this.queue.splice(0)) {
      this.settle(task, 'cancelled', {
        code: 'cancelled',
        message: `Task ${task.id} was cancelled: the pool was terminated.`,
      });
      this.release(task);
    }
    await Promise.all(
      this.slots.map((slot) => slot.task?.run?.stop('terminate', this.engine.graceMs).catch(() => {})),
    );
    this.markDirty();
    this.maybeFinish();
    await this.join(this.engine.graceMs + 3000);
  }

  protected lanes(): PoolLane[] {
    return this.slots.map((slot, lane) => ({
      lane,
      runId: slot.task?.run?.id ?? null,
      pid: slot.task?.pid ?? null,
      state: this.endedAt !== null ? 'exited' : 'ready',
      startedAt: slot.startedAt,
      endedAt: this.endedAt,
      tasksDone: slot.tasksDone,
      exit: null,
      replacedBy: null,
    }));
  }

  protected options(): PoolRecord['options'] {
    return {
      initializer: null,
      maxTasksPerChild: null,
      taskTimeoutMs: this.opts.taskTimeoutMs ?? null,
      template: this.opts.template,
      targets: [],
      keepOrder: this.opts.keepOrder,
      halt: this.opts.halt,
      retries: this.opts.retries,
    };
  }

  detail(id: number): TaskDetail {
    const task = this.task(id);
    return taskDetail(task, task.label());
  }

  logOrder(): Task[] {
    return this.released.filter((task) => task.startedAt !== null);
  }
}
