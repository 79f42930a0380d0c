import type { TaskError, TaskState, TaskSummary } from '../../../contract';
import type { Run } from '../registry';
import { TaskMode } from './worker-protocol';

/**
 * One task of a pool: a function call, a map chunk, or a command. Kept small and flat: a pool
 * may hold hundreds of thousands of them; labels are made only when someone looks.
 */
export class Task {
  state: TaskState = 'queued';
  lane: number | null = null;
  pid: number | null = null;
  /** The worker's run (function tasks) or the task's own run (command tasks). */
  run: Run | null = null;
  startedAt: number | null = null;
  endedAt: number | null = null;
  attempts = 0;
  exitcode: number | null = null;
  result: unknown = undefined;
  failure: TaskError | null = null;
  /** The worker's stdout/stderr line numbers [from, to) that this task printed. */
  outFrom = 0;
  outTo = 0;
  errFrom = 0;
  errTo = 0;
  /** The worker's index of the target; set on dispatch. */
  targetIndex = 0;
  /** When it was submitted (a Python task: when its program submitted it). */
  queuedAt = Date.now();
  /** Command tasks: each is a process of its own, with its own run. */
  command = false;
  private cachedLabel: string | null = null;

  constructor(
    readonly id: number,
    /** `module#export` for function tasks, the argv template for command tasks. */
    readonly target: string,
    readonly mode: TaskMode,
    /** The args (Call), the items of a chunk (Map/Star), or [input] for a command. */
    readonly payload: unknown[],
    readonly timeoutMs: number | undefined,
    /** Told once, when the task is done, failed or cancelled. */
    public onSettled: ((task: Task) => void) | null = null,
  ) {}

  get settled(): boolean {
    return this.state === 'done' || this.state === 'failed' || this.state === 'cancelled';
  }

  get items(): number {
    return this.mode === TaskMode.Call ? 1 : this.payload.length;
  }

  setLabel(text: string): void {
    this.cachedLabel = text.length > 100 ? `${text.slice(0, 99)}…` : text;
  }

  label(): string {
    if (this.cachedLabel !== null) return this.cachedLabel;
    const name = this.target.slice(this.target.lastIndexOf('#') + 1);
    let text: string;
    if (this.mode === TaskMode.Call) {
      const args = this.payload.map((arg) => JSON.stringify(arg) ?? 'undefined').join(', ');
      text = this.command ? String(this.payload[0]) : `${name}(${args})`;
    } else {
      text = `${this.mode === TaskMode.Star ? 'starmap' : 'map'} ${name} × ${this.payload.length}`;
    }
    this.cachedLabel = text.length > 100 ? `${text.slice(0, 99)}…` : text;
    return this.cachedLabel;
  }

  summary(): TaskSummary {
    return {
      id: this.id,
      label: this.label(),
      state: this.state,
      lane: this.lane,
      pid: this.pid,
      runId: this.command && this.run ? this.run.id : null,
      queuedAt: this.queuedAt,
      startedAt: this.startedAt,
      endedAt: this.endedAt,
      attempts: this.attempts,
      items: this.items,
      exitcode: this.exitcode,
      error: this.failure ? this.failure.message.slice(0, 300) : null,
    };
  }
}
