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
 * 'pool-worker', its output captured like any other), a batched control channel on fd 3,
 * and the tasks it holds, in the order it will run them (the first one is running).
 */
export class PoolWorker {
  readonly run: Run;
  readonly lane: number;
  readonly child: ChildProcess;
  state: 'starting' | 'ready' | 'exited' = 'starting';
  wasReady = false;
  inflight: Task[] = [];
  /** Asked to give back its unstarted tasks ('give-back'), answer ('given-back') not yet here. */
  recalling = false;
  assigned = 0;
  tasksDone = 0;
  /** Told to exit once its tasks are done (close, maxTasksPerChild). */
  retiring = false;
  /** The task whose timeout made the engine kill this worker. */
  timedOut: Task | null = null;
  terminating = false;
  timer: NodeJS.Timeout | null = null;
  replacedBy: number | null = null;
  initFailure: { name: string; message: string; stack: string } | null = null;
  /** Cumulative line counts already given to tasks. */
  outLines = 0;
  errLines = 0;
  readonly definedTargets = new Set<number>();
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
