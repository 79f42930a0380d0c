import type { Task } from './task';

/**
 * The tasks of a pool waiting for a worker, in order. Taking from the head moves an index, not
 * the array (a map of a million items queues a million tasks); tasks given back go to the front.
 */
export class TaskQueue {
  private tasks: Task[] = [];
  private head = 0;

  get empty(): boolean {
    return this.head >= this.tasks.length;
  }

  push(task: Task): void {
    this.tasks.push(task);
  }

  /** The next task, still queued. */
  peek(): Task | undefined {
    return this.tasks[this.head];
  }

  shift(): void {
    this.head++;
  }

  /** Back to the front, before everything still queued (a dead worker's or a recall's tasks). */
  unshift(tasks: Task[]): void {
    if (tasks.length === 0) return;
    this.tasks = [...tasks, ...this.tasks.slice(this.head)];
    this.head = 0;
  }

  /** Everything still queued, taken out (a pool that ends). */
  drain(): Task[] {
    const rest = this.tasks.slice(this.head);
    this.tasks = [];
    this.head = 0;
    return rest;
  }

  /** Lets go of the tasks already taken, once they are most of the array. */
  compact(): void {
    if (this.head > 4096 && this.head * 2 > this.tasks.length) {
      this.tasks = this.tasks.slice(this.head);
      this.head = 0;
    }
  }
}
