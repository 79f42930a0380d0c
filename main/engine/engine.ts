import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  ForkscopeError,
  type ForkParams,
  type LaunchParams,
  type LogPolicy,
  type ProcessParams,
  type ReadOutputResult,
  type RunRecord,
  type StreamName,
} from '../../contract';
import { createDispatcher, type Answer } from '../../contract/dispatcher';
import { childCallMethods, type ChildCallMethod } from './process/runner-protocol';
import { Containment, type ContainmentInfo } from './containment/containment';
import { forkModule, sendToChild, startProcess, type ForkContext } from './process/forked';
import { defaultLogBudget, LogBudget } from './output/log-budget';
import type { OutputCursor, OutputSince } from './output/output-capture';
import { RunRegistry, type EngineEvents, type Run } from './registry';
import { FdBudget } from './spawn/fd-budget';
import { SpawnHelperClient } from './spawn/spawn-helper-client';
import { launchCommand } from './subprocess';
import { QueueEngine } from './queue/queue-engine';
import { poolsOf } from './pool';
import { PythonLens } from './python/python-lens';
import { createSystemMonitor, type SystemMonitor } from './system/monitor';

export interface EngineOptions {
  /** Where each run's output is logged in full. */
  logDir: string;
  /** The built child scripts (process-runner.js, spawn-helper.js). */
  childDir: string;
  /** Relative paths (cwd, modules) are resolved against this. */
  baseDir?: string;
  /** How many lines of each stream of each run are kept in memory (stdout and stderr each have their own window). */
  windowLines?: number;
  /** Terminate's grace period before SIGKILL. */
  graceMs?: number;
  /** The Python lens's package (sitecustomize.py, forkscope_lens/); default: beside the sources. */
  lensDir?: string;
  /** Bytes all logs of this session may take (default: the smaller of 5 GB and 20 % of the free space). */
  logBudgetBytes?: number;
  /** What a run does once the budget is used up, unless told otherwise (default: stop logging it). */
  logPolicy?: LogPolicy;
}

type Parsed<T, Defaults extends keyof T> = T & Required<Pick<T, Defaults>>;

/** In a packaged app, files other programs read (Python reads the lens) are beside the asar archive. */
function unpacked(path: string): string {
  return path.replace(/app\.asar(?=[\\/])/, 'app.asar.unpacked');
}

/** The process engine: everything Forkscope starts goes through here. Pure Node: no Electron. */
export class Engine {
  readonly registry: RunRegistry;
  readonly graceMs: number;
  /** Queues and pipes brokered in this process (main/engine/queue). */
  readonly queues: QueueEngine;
  private readonly spawner: SpawnHelperClient;
  private readonly forks: ForkContext;
  private readonly baseDir: string;
  private stopped = false;
  /** Guards launches against running out of file descriptors. */
  readonly fds: FdBudget;
  /** The machine's processes and the descendants of runs (main/engine/system). */
  readonly system: SystemMonitor;
  /** What Python programs' own multiprocessing does, from inside them (main/engine/python). */
  readonly python: PythonLens;

  constructor(readonly options: EngineOptions) {
    // Logs are other people's output: the folder is the owner's alone (mode applies only if created here).
    mkdirSync(options.logDir, { recursive: true, mode: 0o700 });
    // Raised first (the spawn helper and the watchdog inherit it), then the watchdog.
    this.fds = new FdBudget(
      () => this.registry.size,
      () => this.registry.all().filter((run) => !run.ended).length,
    );
    const watchdogPath = join(options.childDir, 'watchdog.js');
    const containment = new Containment({
      watchdogPath: existsSync(watchdogPath) ? watchdogPath : undefined,
    });
    this.registry = new RunRegistry(options.logDir, options.windowLines ?? 5_000, containment);
    this.queues = new QueueEngine(this.registry);
    this.graceMs = options.graceMs ?? 3000;
    this.registry.logBudget = new LogBudget(
      options.logBudgetBytes ?? defaultLogBudget(options.logDir),
      options.logPolicy,
    );
    this.registry.logStopGraceMs = this.graceMs;
    this.baseDir = options.baseDir ?? process.cwd();
    this.spawner = new SpawnHelperClient(join(options.childDir, 'spawn-helper.js'), containment, this.fds);
    this.forks = {
      registry: this.registry,
      baseDir: this.baseDir,
      runnerPath: join(options.childDir, 'process-runner.js'),
      onChildCall: (caller, method, params) => this.answerChild(caller, method, params),
      queueConnectionsClosed: (pid) => this.queues.connectionsClosed(pid),
    };
    this.system = createSystemMonitor(this);
    this.python = new PythonLens(
      options.lensDir ?? unpacked(join(options.childDir, '..', '..', 'main', 'engine', 'python', 'lens')),
      this.registry,
      this.queues,
      () => poolsOf(this),
    );
  }

  /** The pids that are Forkscope's own machinery (not runs): the spawn helper and the watchdog. */
  get helperPids(): number[] {
    return [this.spawner.pid, this.registry.containment.watchdogPid].filter((pid) => pid !== undefined);
  }

  /** How runs are kept together (cgroups or process groups) and the descriptor limit, for the UI. */
  hostInfo(): { containment: ContainmentInfo; files: ReturnType<FdBudget['info']> } {
    return { containment: this.registry.containment.info(), files: this.fds.info() };
  }

  /** Runs a start under the descriptor budget: refused at once when it could not get its pipes. */
  private budgeted<T>(start: () => Promise<T>): Promise<T> {
    const release = this.fds.reserve();
    return start().finally(release);
  }

  private readonly shutdownHooks: (() => Promise<void>)[] = [];

  /** Areas built on the engine (pools) stop their own machinery first, before any run is stopped. */
  beforeShutdown(hook: () => Promise<void>): void {
    this.shutdownHooks.push(hook);
  }

  /** Throws once shutdown has begun: nothing new starts after that. */
  live(): void {
    if (this.stopped) throw new ForkscopeError('unavailable', 'Forkscope is shutting down.');
  }

  async launch(
    params: Parsed<LaunchParams, 'args' | 'shell' | 'closeStdin'>,
    parentId?: string,
  ): Promise<RunRecord> {
    this.live();
    // The lens listens before the program starts: its first process connects at interpreter start.
    const lens = await this.python.prepare(params);
    const withLens =
      Object.keys(lens.env).length > 0 ? { ...params, env: { ...params.env, ...lens.env } } : params;
    let record: RunRecord;
    try {
      record = await this.budgeted(() =>
        launchCommand(this.registry, this.spawner, withLens, {
          baseDir: this.baseDir,
          graceMs: this.graceMs,
          parentId,
        }),
      );
    } catch (error) {
      lens.discard();
      throw error;
    }
    lens.attach(record.id);
    return record;
  }

  fork(params: Parsed<ForkParams, 'args'>, parentId?: string): Promise<RunRecord> {
    this.live();
    return this.budgeted(() => forkModule(this.forks, params, parentId));
  }

  startProcess(params: Parsed<ProcessParams, 'args'>): Promise<RunRecord> {
    this.live();
    return this.budgeted(() => startProcess(this.forks, this.queues.bindArgs(params)));
  }

  run(id: string): Run {
    return this.registry.get(id);
  }

  list(): RunRecord[] {
    return this.registry.all().map((run) => run.snapshot());
  }

  send(id: string, message: unknown): void {
    sendToChild(this.forks, this.run(id), message);
  }

  writeStdin(id: string, text: string): void {
    this.run(id).writeStdin(text);
  }

  closeStdin(id: string): void {
    this.run(id).closeStdin();
  }

  async terminate(id: string, graceMs = this.graceMs): Promise<RunRecord> {
    const run = this.run(id);
    this.system.tracker.sampleNow();
    await run.stop('terminate', graceMs);
    return run.snapshot();
  }

  async kill(id: string): Promise<RunRecord> {
    const run = this.run(id);
    this.system.tracker.sampleNow();
    await run.stop('kill', this.graceMs);
    return run.snapshot();
  }

  async join(id: string, timeoutMs?: number): Promise<RunRecord> {
    const run = this.run(id);
    await run.whenEnded(timeoutMs);
    return run.snapshot();
  }

  /** Held lines from `fromSeq`, both streams merged in order (one stream's only when `stream` says so). */
  readOutput(id: string, fromSeq: number, limit: number, stream?: StreamName): ReadOutputResult {
    return this.run(id).capture.read(fromSeq, limit, undefined, stream);
  }

  /**
   * A run's output since a reader's cursor (see OutputCapture.since); null when nothing is new or
   * the run is gone. Publishers keep one cursor per run and read at their own pace.
   */
  outputSince(
    id: string,
    cursor: OutputCursor | undefined,
    maxLines: number,
    maxBytes: number,
  ): OutputSince | null {
    return this.registry.has(id) ? this.run(id).capture.since(cursor, maxLines, maxBytes) : null;
  }

  /** Where a run's full log of one stream is, or null when there is no such run. */
  logPath(id: string, stream: 'stdout' | 'stderr'): string | null {
    return this.registry.has(id) ? this.run(id).capture.stats()[stream].logPath : null;
  }

  /**
   * The runs' change feed: a record whenever a run starts, changes or ends; a run's id when new
   * output is ready (read it with outputSince); a message to or from a forked child. Returns the
   * way to stop listening.
   */
  watchRuns(listeners: {
    changed(record: RunRecord): void;
    output(id: string): void;
    message(message: EngineEvents['message'][0]): void;
  }): () => void {
    const { changed, output, message } = listeners;
    this.registry.on('run', changed);
    this.registry.on('output', output);
    this.registry.on('message', message);
    return () => {
      this.registry.off('run', changed);
      this.registry.off('output', output);
      this.registry.off('message', message);
    };
  }

  /** Forgets the runs that have ended; with `deleteLogs`, deletes their log files too. */
  clearFinished(deleteLogs = false): number {
    const ended = this.registry.all().filter((run) => run.ended);
    for (const run of ended) {
      if (deleteLogs) {
        const { stdout, stderr } = run.capture.stats();
        for (const path of [stdout.logPath, stderr.logPath]) rmSync(path, { force: true });
      }
      this.registry.forget(run.id);
    }
    return ended.length;
  }

  setLogPolicy(id: string, policy: LogPolicy): RunRecord {
    const run = this.run(id);
    run.capture.log.setPolicy(policy);
    return run.snapshot();
  }

  /**
   * A forked child's requests go through the contract's dispatcher, as the UI's do (the same
   * schemas, the same `{code, message}` errors), but it answers only the allow-listed methods.
   */
  private readonly childDispatcher = createDispatcher<(typeof childCallMethods)[ChildCallMethod]>(
    {
      'runs.startProcess': (params, { caller }) => this.startProcess({ ...params, parentId: caller }),
      'runs.fork': (params, { caller }) => this.fork(params, caller),
      'runs.join': ({ id, timeoutMs }) => this.join(id, timeoutMs),
      'runs.terminate': ({ id, graceMs }) => this.terminate(id, graceMs),
    },
    {
      allow: Object.values(childCallMethods),
      onInternalError: (method, error) => console.error(`[forkscope] a child's ${method} failed:`, error),
    },
  );

  private answerChild(caller: Run, method: string, params: unknown): Promise<Answer> {
    // The child's own names only: a contract name is not a way around the allow-list.
    if (!Object.hasOwn(childCallMethods, method)) {
      const refused = new ForkscopeError('unknown-method', `A child cannot ask for "${method}".`);
      return Promise.resolve({ ok: false, error: refused.toJSON() });
    }
    const name = childCallMethods[method as ChildCallMethod];
    return this.childDispatcher.answer(name, params, { signal: this.childSignal.signal, caller: caller.id });
  }

  /** Aborted at shutdown: the context of every child's call, as a connection's is when it closes. */
  private readonly childSignal = new AbortController();

  /**
   * Stops every process tree Forkscope started (SIGTERM, grace, SIGKILL) and the spawn helper:
   * quitting the app or serve mode leaves nothing behind.
   */
  async shutdown(graceMs = Math.min(this.graceMs, 2000)): Promise<void> {
    this.stopped = true;
    this.childSignal.abort();
    await Promise.all(this.shutdownHooks.map((hook) => hook().catch(() => {})));
    this.registry.stopping = true;
    this.system.stop();
    const runs = this.registry.all();
    await Promise.all(
      runs.filter((run) => !run.ended).map((run) => run.stop('shutdown', graceMs).catch(() => {})),
    );
    for (const run of this.registry.all()) run.killTree();
    this.queues.stop();
    await this.python.stop();
    this.spawner.stop();
    // What escaped every group, the helper's cgroup, the cgroup tree; the watchdog is let go.
    await this.registry.containment.dispose();
  }
}
