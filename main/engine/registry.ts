import { EventEmitter } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import type { Writable } from 'node:stream';
import {
  ForkscopeError,
  type ErrorInfo,
  type OutputLine,
  type RunKind,
  type RunRecord,
  type StreamName,
} from '../../contract';
import { Containment, type Placement, type Slot } from './containment/containment';
import { describeExit } from './exit-meaning';
import { findUncaught } from './uncaught';
import { LogBudget } from './output/log-budget';
import { OutputCapture } from './output/output-capture';

type StopCause = NonNullable<RunRecord['exit']>['stoppedBy'];
/** How far back the end of a run's output is read for an uncaught exception's report. */
const uncaughtTailLines = 400;

export interface EngineEvents {
  run: [RunRecord];
  /** New lines are ready in a run's capture: publishers read them at their own pace. */
  output: [string];
  message: [{ id: string; direction: 'to-child' | 'from-child'; data: unknown; t: number }];
}

export interface RunStart {
  kind: RunKind;
  label: string;
  argv: string[];
  cwd: string;
  shell?: boolean;
  parentId?: string | null;
  target?: string | null;
  /** Where its processes are kept (containment/): made before its first process starts, if it must be. */
  slot?: Slot;
}

/** One process Forkscope started: its public record, its captured output and its handles. */
export class Run {
  readonly capture: OutputCapture;
  /** Its processes' cgroup / process group / environment marker (main/engine/containment). */
  readonly slot: Slot;
  stdin: Writable | null = null;
  private stopCause: StopCause = null;
  private stopping: Promise<unknown> | null = null;
  private endWaiters: (() => void)[] = [];
  private record: RunRecord;

  constructor(
    private readonly registry: RunRegistry,
    id: string,
    start: RunStart,
  ) {
    this.slot = start.slot ?? registry.containment.allocate();
    this.capture = new OutputCapture(registry.logDir, id, registry.windowLines, () =>
      registry.emit('output', id),
    );
    // Looked up per chunk: a listener set before a launch sees the run's very first byte.
    this.capture.tap((stream, bytes) => registry.rawOutput?.(id, stream, bytes));
    this.capture.log.use(registry.logBudget, {
      changed: () => this.update({}),
      // The budget's "stop the run" choice: Terminate, saying why in the run's record.
      stopRun: (reason) => {
        this.update({ error: { code: 'refused', message: reason } });
        void this.stop('terminate', registry.logStopGraceMs).catch(() => {});
      },
    });
    this.record = {
      id,
      kind: start.kind,
      label: start.label,
      pid: null,
      ppid: null,
      parentId: start.parentId ?? null,
      argv: start.argv,
      cwd: start.cwd,
      shell: start.shell ?? false,
      startedAt: Date.now(),
      endedAt: null,
      state: 'running',
      exit: null,
      error: null,
      stdinOpen: false,
      output: this.capture.stats(),
      target: start.target ?? null,
      thrown: null,
    };
  }

  get id(): string {
    return this.record.id;
  }

  get pid(): number | null {
    return this.record.pid;
  }

  get ended(): boolean {
    return this.record.endedAt !== null;
  }

  snapshot(): RunRecord {
    return { ...this.record, output: this.capture.stats() };
  }

  update(patch: Partial<RunRecord>): void {
    this.record = { ...this.record, ...patch };
    this.registry.emit('run', this.snapshot());
  }

  /**
   * Its first process is running. `parent` is its OS parent where that is not Forkscope's own
   * process (a command's is the spawn helper, which forked it). `placed`: what its spawner
   * already did for containment.
   */
  started(
    pid: number,
    stdin: Writable | null,
    parent?: { pid: number; name: string },
    placed?: Placement,
  ): void {
    // First of all: a fork is moved into the run's cgroup before anything else happens.
    this.registry.containment.placed(this.slot, pid, placed);
    // A launch that was under way when shutdown began must not outlive it.
    if (this.registry.stopping) this.registry.containment.kill(this.slot);
    this.stdin = stdin;
    if (stdin) {
      // Writing to a child that has exited raises EPIPE on this stream: note it, never crash.
      stdin.on('error', () => this.update({ stdinOpen: false }));
      stdin.once('close', () => this.record.stdinOpen && this.update({ stdinOpen: false }));
    }
    this.update({
      pid,
      ppid: parent?.pid ?? process.pid,
      ppidName: parent?.name ?? 'Forkscope',
      stdinOpen: stdin !== null,
    });
  }

  /** The run could not start: it stays in the list with the reason. */
  failed(error: ErrorInfo): void {
    void this.capture.close();
    this.finish({ state: 'failed', error, stdinOpen: false });
  }

  /**
   * The leader has exited: the run ends once its pipes drain — or soon after, when a grandchild
   * still holds them; what it writes then is still captured and logged — and once every process
   * it started is gone too (its cgroup is empty; or its process group and marked processes are).
   */
  async leaderExited(
    code: number | null,
    signal: string | null,
    drained: Promise<unknown>,
    outcome: () => Partial<RunRecord> = () => ({}),
  ): Promise<void> {
    const drainedInTime = await Promise.race([drained.then(() => true), delay(250).then(() => false)]);
    if (drainedInTime) await this.capture.close();
    else void drained.then(() => this.capture.close());
    await this.registry.containment.whenEmpty(this.slot);
    this.exited(code, signal, outcome());
  }

  /** The process has exited and its pipes are drained. */
  exited(code: number | null, signal: string | null, extra: Partial<RunRecord> = {}): void {
    // An uncaught exception's report ends stderr: read from the newest lines held.
    const uncaught =
      code !== null && code !== 0 && !signal && !this.stopCause
        ? findUncaught(this.tail(uncaughtTailLines))
        : null;
    const exit = describeExit(code, signal, this.stopCause, uncaught);
    const error =
      this.stopCause === 'timeout'
        ? { code: 'timeout' as const, message: 'It ran past its timeout and was stopped.' }
        : this.record.error;
    this.finish({ state: signal ? 'signalled' : 'exited', exit, error, stdinOpen: false, ...extra });
  }

  /** The newest `count` lines held of both streams, at most 1 MiB of them (fewer when fewer are held). */
  private tail(count: number): OutputLine[] {
    const from = this.capture.newestWithin(Math.max(0, this.capture.nextSeq - count), 1024 * 1024);
    return this.capture.read(from, count, Infinity).lines;
  }

  private finish(patch: Partial<RunRecord>): void {
    if (this.ended) return;
    this.stdin?.destroy();
    this.registry.containment.release(this.slot);
    this.update({ ...patch, endedAt: Date.now() });
    for (const wake of this.endWaiters.splice(0)) wake();
  }

  whenEnded(timeoutMs?: number): Promise<void> {
    if (this.ended) return Promise.resolve();
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const wake = () => {
        clearTimeout(timer);
        const index = this.endWaiters.indexOf(wake);
        if (index !== -1) this.endWaiters.splice(index, 1);
        resolve();
      };
      this.endWaiters.push(wake);
      if (timeoutMs !== undefined) timer = setTimeout(wake, timeoutMs);
    });
  }

  writeStdin(text: string): void {
    if (!this.stdin || !this.record.stdinOpen || this.stdin.destroyed) {
      throw new ForkscopeError(
        'stdin-closed',
        this.ended
          ? `${this.record.label} has exited: its stdin is closed.`
          : `The stdin of ${this.record.label} is closed.`,
      );
    }
    this.stdin.write(text);
  }

  closeStdin(): void {
    if (this.stdin && this.record.stdinOpen) {
      this.stdin.end();
      this.update({ stdinOpen: false });
    }
  }

  /**
   * Terminate (SIGTERM, grace, SIGKILL) or kill the run's whole tree; a timeout kills, as Python's
   * `run(timeout=…)` does.
   */
  async stop(cause: NonNullable<StopCause>, graceMs: number): Promise<void> {
    const pid = this.record.pid;
    if (pid === null || this.ended) return;
    this.stopCause ??= cause;
    const containment = this.registry.containment;
    const outcome =
      cause === 'kill' || cause === 'timeout'
        ? containment.kill(this.slot)
        : await (this.stopping ??= containment
            .stop(this.slot, graceMs)
            .finally(() => (this.stopping = null)));
    if (outcome === 'refused') {
      throw new ForkscopeError(
        'permission-denied',
        `The system refused to signal ${this.record.label} (EPERM).`,
      );
    }
    await this.whenEnded(graceMs + 2000);
  }

  /**
   * SIGKILLs whatever is left of the tree (no waiting): for shutdown, so nothing outlives Forkscope.
   * A group id freed and reused since is someone else's and is left alone (containment checks
   * the leader's start time).
   */
  killTree(): void {
    if (this.record.pid !== null && !this.ended) this.registry.containment.kill(this.slot);
  }
}

/** Every process Forkscope starts, and the one event stream for all of them. */
export class RunRegistry extends EventEmitter<EngineEvents> {
  private readonly runs = new Map<string, Run>();
  private counter = 0;
  /** Set when shutdown begins: a child that starts after it is stopped at once. */
  stopping = false;
  /** The session's log budget, shared by every run (the engine sets it). */
  logBudget = new LogBudget(Number.POSITIVE_INFINITY);
  logStopGraceMs = 3000;
  /**
   * Every run's bytes as they arrive, unchanged (the command line's passthrough). `bytes` is only
   * valid during the call: copy what must outlive it.
   */
  rawOutput: ((runId: string, stream: StreamName, bytes: Buffer) => void) | null = null;

  constructor(
    readonly logDir: string,
    readonly windowLines: number,
    readonly containment: Containment = new Containment(),
  ) {
    super();
  }

  /** How many runs are listed (ended ones included): a cheap upper bound of the live ones. */
  get size(): number {
    return this.runs.size;
  }

  create(start: RunStart): Run {
    const run = new Run(this, `r${++this.counter}`, start);
    this.runs.set(run.id, run);
    this.emit('run', run.snapshot());
    return run;
  }

  get(id: string): Run {
    const run = this.runs.get(id);
    if (!run) throw new ForkscopeError('not-found', `There is no run ${id}.`);
    return run;
  }

  has(id: string): boolean {
    return this.runs.has(id);
  }

  all(): Run[] {
    return [...this.runs.values()];
  }

  forget(id: string): void {
    const run = this.runs.get(id);
    // A run forgotten before it ended (a launch refused after its record was made) frees its slot.
    if (run && !run.ended) this.containment.release(run.slot);
    run?.capture.release();
    this.runs.delete(id);
  }
}
