import { ForkscopeError, type PoolLane, type PoolRecord, type TaskDetail } from '../../../contract';
import { PoolBase } from '../pool/pool-base';
import { Task } from '../pool/task';
import { taskDetail } from '../pool/task-output';
import { TaskMode } from '../pool/worker-protocol';

export interface PythonPoolInfo {
  flavour: 'Pool' | 'ProcessPoolExecutor';
  size: number;
  initializer: string | null;
  maxTasks: number | null;
  startMethod: string | null;
  createdAt: number;
}

/** The most characters of a task's input a summary carries, as for the engine's own tasks. */
const inputChars = 100;

/** A Python program's task: its input is the lens's preview of its arguments (or chunk's items). */
class PythonTask extends Task {
  given: string | null = null;

  override input(): string | null {
    const text = this.given;
    if (text === null) return null;
    return text.length > inputChars ? `${text.slice(0, inputChars - 1)}…` : text;
  }
}

interface Lane {
  lane: number;
  pid: number;
  startedAt: number;
  endedAt: number | null;
  tasksDone: number;
  exit: string | null;
  replacedBy: number | null;
}

/**
 * A Python program's own Pool or ProcessPoolExecutor, drawn from what the lens reports: a lane per
 * worker pid, a task per submitted call (or map chunk), started and finished on the pid that
 * really ran it. Forkscope does not drive it: it cannot be given tasks or stopped from here.
 */
export class PythonPool extends PoolBase {
  readonly kind = 'python' as const;
  private readonly laneOf = new Map<number, Lane>();
  private readonly allLanes: Lane[] = [];
  private readonly byJob = new Map<string, PythonTask>();
  /** When the program called Pool.terminate(), or null. */
  private terminatedAt: number | null = null;

  constructor(
    id: string,
    readonly info: PythonPoolInfo,
    private readonly owner: { readonly runId: string | null },
  ) {
    super(id, poolLabel(info), info.size);
  }

  override get runId(): string | null {
    return this.owner.runId;
  }

  addWorker(pid: number, t: number): void {
    if (this.laneOf.has(pid)) return;
    const lane: Lane = {
      lane: this.allLanes.length,
      pid,
      startedAt: t,
      endedAt: null,
      tasksDone: 0,
      exit: null,
      replacedBy: null,
    };
    // A worker started while another has exited replaces it (maxtasksperchild, a crash).
    const replaced = this.allLanes.find((old) => old.endedAt !== null && old.replacedBy === null);
    if (replaced) replaced.replacedBy = lane.lane;
    this.allLanes.push(lane);
    this.laneOf.set(pid, lane);
    this.markDirty();
  }

  hasWorker(pid: number): boolean {
    return this.laneOf.has(pid);
  }

  workerExited(pid: number, t: number, code: number | null): void {
    const lane = this.laneOf.get(pid);
    if (!lane || lane.endedAt !== null) return;
    lane.endedAt = t;
    if (code !== null) lane.exit = code < 0 ? `stopped by signal ${-code}` : `exit code ${code}`;
    const running = this.tasks.find((task) => task.pid === pid && task.state === 'running');
    if (running && this.terminatedAt !== null) {
      running.endedAt = this.terminatedAt;
      this.settle(running, 'cancelled');
    } else if (running) {
      this.settle(running, 'failed', {
        code: 'worker-died',
        message: `Worker ${pid} exited (${lane.exit ?? 'exit status unknown'}) while running this task.`,
      });
    }
    this.cancelWhenWorkersGone();
    this.markDirty();
    this.maybeFinish();
  }

  private taskFor(
    job: number,
    index: number,
    t: number,
    fn: string | null,
    label: string | null,
    items = 1,
    input: string | null = null,
  ): PythonTask {
    const key = `${job}:${index}`;
    let task = this.byJob.get(key);
    if (!task) {
      const mode = items > 1 ? TaskMode.Map : TaskMode.Call;
      task = new PythonTask(
        this.tasks.length + 1,
        fn ?? '?',
        mode,
        mode === TaskMode.Map ? new Array(items) : [label],
        undefined,
      );
      task.queuedAt = t;
      if (label) task.setLabel(label);
      this.byJob.set(key, task);
      this.addTask(task);
    }
    // A map chunk's items are told only when a worker takes it.
    if (input !== null) task.given ??= input;
    return task;
  }

  /** Whether its program has told of this task (submitted, or a chunk of a map it told of). */
  knows(job: number, index: number): boolean {
    return this.byJob.has(`${job}:${index}`);
  }

  submitted(
    job: number,
    index: number,
    t: number,
    fn: string | null,
    label: string,
    items?: number | null,
    input: string | null = null,
  ): void {
    this.taskFor(job, index, t, fn, label, items ?? 1, input);
  }

  /** Pool.map and friends: one task per chunk, known up front when the iterable had a length. */
  mapSubmitted(
    job: number,
    t: number,
    fn: string | null,
    chunks: number,
    items: number,
    chunksize: number,
  ): void {
    for (let index = 0; index < chunks; index++) {
      const size = Math.min(chunksize, items - index * chunksize);
      this.taskFor(job, index, t, fn, `${fn ?? '?'} × ${size} (chunk ${index + 1} of ${chunks})`, size);
    }
  }

  started(
    job: number,
    index: number,
    pid: number,
    t: number,
    fn: string | null,
    label: string,
    items: number | null,
    input: string | null = null,
  ): void {
    this.addWorker(pid, t);
    const task = this.taskFor(job, index, t, fn, label, items ?? 1, input);
    if (task.state !== 'queued') return;
    task.pid = pid;
    task.lane = this.laneOf.get(pid)!.lane;
    task.startedAt = t;
    task.attempts = 1;
    this.setState(task, 'running');
  }

  finished(
    job: number,
    index: number,
    t: number,
    outcome: { ok: true; result: string } | { ok: false; type: string; message: string; traceback: string },
  ): void {
    const task = this.byJob.get(`${job}:${index}`);
    if (!task || task.settled) return;
    task.endedAt = t;
    const lane = task.pid === null ? undefined : this.laneOf.get(task.pid);
    if (lane) lane.tasksDone++;
    if (outcome.ok) {
      task.result = outcome.result;
      this.settle(task, 'done');
    } else {
      this.settle(task, 'failed', {
        code: 'task-failed',
        name: outcome.type,
        message: `${outcome.type}: ${outcome.message}`,
        stack: outcome.traceback,
      });
    }
    this.maybeFinish();
  }

  closed(): void {
    this.close();
  }

  /**
   * Pool.terminate(): Python drops the tasks that had not finished. Which those are is known once
   * every worker's stream has ended: each worker tells its tasks on its own connection, read apart
   * from the program's, so a task finished before the terminate may be read after it (under load,
   * all but 3 of 16 map chunks once showed as cancelled).
   */
  terminated(t: number): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    this.terminatedAt = t;
    this.cancelWhenWorkersGone();
    this.markDirty();
  }

  private cancelWhenWorkersGone(): void {
    if (this.terminatedAt === null || this.allLanes.some((lane) => lane.endedAt === null)) return;
    for (const task of this.tasks) {
      if (!task.settled) {
        task.endedAt = this.terminatedAt;
        this.settle(task, 'cancelled');
      }
    }
  }

  /** The program has ended: what never ran never will, and no worker is left. */
  programEnded(t: number): void {
    for (const lane of this.allLanes) lane.endedAt ??= t;
    for (const task of this.tasks) {
      if (task.settled) continue;
      task.endedAt = this.terminatedAt ?? t;
      if (task.state === 'running' && this.terminatedAt === null) {
        this.settle(task, 'failed', {
          code: 'worker-died',
          message: 'The program ended while this task was running.',
        });
      } else this.settle(task, 'cancelled');
    }
    if (this.state === 'running' || this.state === 'closing') this.state = 'done';
    this.ended();
  }

  protected maybeFinish(): void {
    if (this.state !== 'closing' && this.state !== 'terminated') return;
    if (this.tasks.some((task) => !task.settled)) return;
    if (this.state === 'closing') this.state = 'done';
    this.markDirty();
    if (this.allLanes.every((lane) => lane.endedAt !== null)) this.ended();
  }

  protected lanes(): PoolLane[] {
    return this.allLanes.map((lane) => ({
      lane: lane.lane,
      runId: null,
      pid: lane.pid,
      state: lane.endedAt === null ? 'ready' : 'exited',
      startedAt: lane.startedAt,
      endedAt: lane.endedAt,
      tasksDone: lane.tasksDone,
      exit: lane.exit,
      replacedBy: lane.replacedBy,
    }));
  }

  protected options(): PoolRecord['options'] {
    return {
      initializer: this.info.initializer,
      maxTasksPerChild: this.info.maxTasks,
      taskTimeoutMs: null,
      template: null,
      targets: [...new Set(this.tasks.slice(0, 1000).map((task) => task.target))],
      keepOrder: false,
      halt: 'never',
      retries: 0,
    };
  }

  detail(id: number): TaskDetail {
    const task = this.task(id);
    return taskDetail(task, task.target);
  }

  logOrder(): Task[] {
    return this.tasks.filter((task) => task.startedAt !== null);
  }

  terminate(): Promise<void> {
    return Promise.reject(
      new ForkscopeError(
        'refused',
        `${this.label} belongs to the Python program of run ${this.runId ?? '?'}: stop the run to stop it.`,
      ),
    );
  }
}

function poolLabel(info: PythonPoolInfo): string {
  const method = info.startMethod ? ` · ${info.startMethod}` : '';
  return info.flavour === 'Pool'
    ? `Pool(${info.size})${method}`
    : `ProcessPoolExecutor(max_workers=${info.size})${method}`;
}
