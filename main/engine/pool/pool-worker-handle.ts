import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import type { Socket } from 'node:net';
import type { Run, RunRegistry } from '../registry';
import type { Task } from './task';
import {
  decodeFromWorker,
  encodeBatch,
  encodeToWorker,
  readBatch,
  splitLines,
  type FromWorker,
  type ErrorParts,
  type TaskEnd,
  type ToWorker,
  type WireMessage,
} from './worker-protocol';

export interface WorkerEvents {
  onMessages(worker: PoolWorker, batch: FromWorker[]): void;
  /** Called once the process has exited and its control channel is read to the end. */
  onExit(worker: PoolWorker, code: number | null, signal: NodeJS.Signals | null): void;
}

export interface WorkerSpawn {
  registry: RunRegistry;
  script: string;
  poolId: string;
  label: string;
  lane: number;
  cwd: string;
  env: Record<string, string>;
}

/**
 * One worker process of a function pool, seen from the engine: a registered run (kind
 * 'pool-worker', its output captured like any other), a batched control channel on fd 3, and the
 * tasks it holds, in the order it will run them (the first one is running). Its life (starting →
 * ready → exited; retiring, recalling, timed out) changes only through its methods; the pool
 * decides, the worker keeps the books.
 */
export class PoolWorker {
  readonly run: Run;
  readonly lane: number;
  private readonly child: ChildProcess;
  private current: 'starting' | 'ready' | 'exited' = 'starting';
  private everReady = false;
  /** The tasks it holds, in the order it runs them: the first is running. */
  private held: Task[] = [];
  /** Asked to give back its unstarted tasks ('give-back'), answer ('given-back') not yet here. */
  private recallPending = false;
  /** Tasks ever given to it (maxTasksPerChild counts these). */
  private assigned = 0;
  private done = 0;
  /** Told to exit once its tasks are done (close, maxTasksPerChild). */
  private leaving = false;
  /** The task whose timeout made the engine kill this worker. */
  private killedFor: Task | null = null;
  /** Stopped by the pool's terminate: its tasks are cancelled, not failed. */
  private terminated = false;
  private timer: NodeJS.Timeout | null = null;
  private successor: number | null = null;
  private initError: ErrorParts | null = null;
  /** Cumulative line counts already given to tasks. */
  private outLines = 0;
  private errLines = 0;
  private readonly definedTargets = new Set<number>();
  private outbox: WireMessage[] = [];
  private readonly control: Socket | null;

  constructor(options: WorkerSpawn, events: WorkerEvents) {
    this.lane = options.lane;
    this.run = options.registry.create({
      kind: 'pool-worker',
      label: `${options.label} · worker ${options.lane + 1}`,
      argv: [process.execPath, options.script],
      cwd: options.cwd,
      parentId: options.poolId,
    });
    // Electron's binary is Node only with this variable; plain Node ignores it.
    this.child = spawn(process.execPath, [options.script], {
      cwd: options.cwd,
      env: { ...options.env, ELECTRON_RUN_AS_NODE: '1' },
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
      // Its own process group: terminate stops whatever the task started too.
      detached: process.platform !== 'win32',
      windowsHide: true,
    });
    this.control = (this.child.stdio[3] as Socket | null) ?? null;
    const run = this.run;
    const drained = Promise.all([
      run.capture.attach('stdout', this.child.stdout),
      run.capture.attach('stderr', this.child.stderr),
    ]);

    let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
    let controlClosed = this.control === null;
    let told = false;
    const tell = () => {
      if (told || !exit) return;
      if (!controlClosed) return;
      told = true;
      events.onExit(this, exit.code, exit.signal);
    };
    if (this.control) {
      this.control.setEncoding('utf8');
      this.control.on(
        'data',
        splitLines((line) => {
          let messages: FromWorker[];
          try {
            messages = readBatch(line).map(decodeFromWorker);
          } catch {
            // Task code that writes to fd 3 itself breaks the channel: the worker cannot be
            // trusted any more; its exit fails its tasks as any death does.
            this.child.kill('SIGKILL');
            return;
          }
          events.onMessages(this, messages);
        }),
      );
      // A worker gone mid-write must not crash the engine.
      this.control.on('error', () => {});
      this.control.once('close', () => {
        controlClosed = true;
        tell();
      });
    }
    this.child.on('error', () => {
      if (this.child.pid !== undefined) return;
      exit = { code: null, signal: null };
      controlClosed = true;
      tell();
    });
    this.child.once('exit', (code, signal) => {
      exit = { code, signal };
      tell();
      // A grandchild may hold fd 3 open: the worker's death is what counts.
      void delay(200).then(() => {
        controlClosed = true;
        tell();
      });
      void run.leaderExited(code, signal, drained);
    });
    if (this.child.pid === undefined) {
      run.failed({ code: 'internal', message: 'The pool worker could not start.' });
    } else {
      run.started(this.child.pid, null);
    }
  }

  get pid(): number | null {
    return this.run.pid;
  }

  get state(): 'starting' | 'ready' | 'exited' {
    return this.current;
  }

  /** It said ready once (a worker that never did crashed on start). */
  get wasReady(): boolean {
    return this.everReady;
  }

  get tasksDone(): number {
    return this.done;
  }

  get replacedBy(): number | null {
    return this.successor;
  }

  get initFailure(): ErrorParts | null {
    return this.initError;
  }

  /** How many tasks it holds (the running one included). */
  get holding(): number {
    return this.held.length;
  }

  get recalling(): boolean {
    return this.recallPending;
  }

  /** Ready, not leaving, and under `maxTasksPerChild`: it may be given another task. */
  open(maxTasksPerChild: number | undefined): boolean {
    return (
      this.current === 'ready' &&
      !this.leaving &&
      (maxTasksPerChild === undefined || this.assigned < maxTasksPerChild)
    );
  }

  ready(lines: { outLines: number; errLines: number }): void {
    this.current = 'ready';
    this.everReady = true;
    this.outLines = lines.outLines;
    this.errLines = lines.errLines;
  }

  initFailed(error: ErrorParts): void {
    this.initError = { name: error.name, message: error.message, stack: error.stack };
  }

  /**
   * Gives it a task (its target is defined first, once per worker). True when the task is the
   * first it holds, that is, the one it runs now.
   */
  hold(task: Task, targetPath: string): boolean {
    if (!this.definedTargets.has(task.targetIndex)) {
      this.definedTargets.add(task.targetIndex);
      this.send({ type: 'define', index: task.targetIndex, target: targetPath });
    }
    const { id: taskId, targetIndex, mode, payload } = task;
    this.send({ type: 'task', taskId, targetIndex, mode, payload });
    this.held.push(task);
    this.assigned++;
    task.lane = this.lane;
    task.pid = this.pid;
    task.run = this.run;
    task.attempts++;
    return this.held.length === 1;
  }

  /** Its first task starts (now, or when the one before ended): what it prints from here is the task's. */
  begin(task: Task, at: number, timeoutMs: number | undefined, onTimeout: () => void): void {
    task.startedAt = at;
    task.outFrom = this.outLines;
    task.errFrom = this.errLines;
    task.outTo = task.errTo = Number.POSITIVE_INFINITY;
    if (timeoutMs !== undefined) this.timer = setTimeout(onTimeout, Math.max(0, at + timeoutMs - Date.now()));
  }

  /** Its running task ended: that task with its times and lines, or null if the answer is not for it. */
  finished(end: TaskEnd): Task | null {
    const task = this.held.shift();
    if (!task || task.id !== end.taskId) return null;
    task.startedAt = end.t0;
    task.endedAt = end.t1;
    task.outTo = this.outLines = end.outLines;
    task.errTo = this.errLines = end.errLines;
    this.done++;
    this.clearTimer();
    return task;
  }

  /** The task it runs now, if any. */
  get running(): Task | undefined {
    return this.held[0];
  }

  /** Asks for the tasks it holds but has not started (another worker is idle). */
  recall(): void {
    this.recallPending = true;
    this.send({ type: 'give-back' });
    this.flush();
  }

  /** The answer to `recall`: the tasks it gave back, no longer its own. */
  gaveBack(taskIds: number[]): Task[] {
    this.recallPending = false;
    if (taskIds.length === 0) return [];
    const given = new Set(taskIds);
    const back: Task[] = [];
    this.held = this.held.filter((task) => {
      if (!given.has(task.id)) return true;
      back.push(task);
      return false;
    });
    for (const task of back) {
      this.assigned--;
      task.attempts--;
      release(task);
    }
    return back;
  }

  /** Exit once the tasks it holds are done (close); the message goes with the next flush. */
  retire(): void {
    if (this.leaving) return;
    this.leaving = true;
    this.send({ type: 'retire' });
  }

  /** maxTasksPerChild: a worker given its last task exits after it (and is replaced then). */
  retireIfSpent(maxTasksPerChild: number | undefined): void {
    if (maxTasksPerChild !== undefined && this.assigned >= maxTasksPerChild) this.retire();
  }

  /** Its running task ran past its timeout: the worker is killed (and replaced). */
  killFor(task: Task): boolean {
    if (this.held[0] !== task || task.settled) return false;
    this.killedFor = task;
    void this.run.stop('timeout', 0).catch(() => {});
    return true;
  }

  /** The pool is terminated: its tasks are cancelled when it exits. */
  terminate(graceMs: number): Promise<void> {
    this.terminated = true;
    return this.stop(graceMs);
  }

  stop(graceMs: number): Promise<void> {
    return this.run.stop('terminate', graceMs).then(
      () => {},
      () => {},
    );
  }

  /**
   * It exited: the task it was running, whether that task's timeout killed it, and the tasks it
   * held but never started (no longer its own).
   */
  exited(): { running: Task | undefined; unstarted: Task[]; timedOut: boolean; terminated: boolean } {
    this.current = 'exited';
    this.clearTimer();
    const [running, ...unstarted] = this.held;
    this.held = [];
    for (const task of unstarted) release(task);
    return {
      running,
      unstarted,
      timedOut: running !== undefined && this.killedFor === running,
      terminated: this.terminated,
    };
  }

  replacedWith(lane: number): void {
    this.successor = lane;
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  send(message: ToWorker): void {
    this.outbox.push(encodeToWorker(message));
  }

  flush(): void {
    if (this.outbox.length === 0) return;
    const line = encodeBatch(this.outbox);
    this.outbox = [];
    if (this.control && !this.control.destroyed) this.control.write(line);
  }
}

/** A task no worker holds any more. */
function release(task: Task): void {
  task.lane = null;
  task.pid = null;
  task.run = null;
}
