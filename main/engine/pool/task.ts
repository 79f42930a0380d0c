import type { TaskError, TaskState, TaskSummary } from '../../../contract';
import type { Run } from '../registry';
import { TaskMode } from './worker-protocol';

/** The most characters of a task's input or output a summary carries. */
const previewChars = 100;

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
  /** What it gave back, made once when it settled (see `output()`). */
  private cachedOutput: string | null = null;

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

  /**
   * What it was given, short: a command task's input (the `{}`), a function call's arguments, a
   * chunk's items. Null where the task does not know (a Python program's task tells its label).
   */
  input(): string | null {
    let text: string;
    if (this.command) text = String(this.payload[0]);
    else if (!this.target.includes('#')) return null;
    else text = this.payload.map((arg) => JSON.stringify(arg) ?? 'undefined').join(', ');
    return text.length > previewChars ? `${text.slice(0, previewChars - 1)}…` : text;
  }

  /**
   * What it gave back, short, once it settled: a command's last line on stdout, a function's
   * result, a failure's message. Null before.
   */
  output(): string | null {
    if (!this.settled) return null;
    if (this.cachedOutput !== null) return this.cachedOutput;
    let text: string;
    if (this.state !== 'done') text = this.failure?.message ?? this.state;
    else if (this.command) text = this.lastStdoutLine() ?? '';
    else if (typeof this.result === 'string' && !this.target.includes('#')) text = this.result;
    else text = JSON.stringify(this.result) ?? 'undefined';
    text = text.length > previewChars ? `${text.slice(0, previewChars - 1)}…` : text;
    this.cachedOutput = text;
    return text;
  }

  private lastStdoutLine(): string | null {
    const capture = this.run?.capture;
    if (!capture) return null;
    const { lines } = capture.read(Math.max(0, capture.nextSeq - 50), 50, 64 * 1024);
    for (let index = lines.length - 1; index >= 0; index--) {
      if (lines[index]!.stream === 'stdout') return lines[index]!.text;
    }
    return null;
  }

  summary(): TaskSummary {
    return {
      id: this.id,
      label: this.label(),
      input: this.input(),
      output: this.output(),
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
