import { ForkscopeError, type TaskError } from '../../../contract';
import type { Task } from './task';

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
      else whenSettled(this.task, answer);
    });
  }
}

/** Calls `next` once the task settles, after whoever asked before. */
export function whenSettled(task: Task, next: (task: Task) => void): void {
  const before = task.onSettled;
  task.onSettled = before
    ? (settled) => {
        before(settled);
        next(settled);
      }
    : next;
}
