import { EventEmitter } from 'node:events';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { ForkscopeError, type CreateCommandPool, type CreateFunctionPool } from '../../../contract';
import type { Engine } from '../engine';
import { checkCwd, mergeEnv } from '../validate';
import { CommandPool } from './command-pool';
import { FunctionPool } from './function-pool';
import { checkTarget } from './targets';
import { shellJoin } from './shell-quote';
import type { PoolBase } from './pool-base';

type FunctionPoolParams = Omit<CreateFunctionPool, 'kind' | 'initargs' | 'target'> & {
  initargs?: unknown[];
  target?: string | undefined;
};
type CommandPoolParams = Omit<
  CreateCommandPool,
  'kind' | 'inputs' | 'concurrency' | 'keepOrder' | 'halt' | 'retries'
> &
  Partial<Pick<CreateCommandPool, 'inputs' | 'concurrency' | 'keepOrder' | 'halt' | 'retries'>>;

/** Every pool of one engine, and one "changed" stream for publishers. */
export class PoolManager extends EventEmitter<{ changed: [PoolBase]; created: [PoolBase] }> {
  private readonly pools = new Map<string, PoolBase>();
  private counter = 0;

  constructor(readonly engine: Engine) {
    super();
    // Pools stop before the runs: a worker stopped by the engine first would be replaced.
    engine.beforeShutdown(() => this.shutdown());
  }

  /** Where relative module paths and working directories are resolved. */
  get workingDir(): string {
    return this.baseDir();
  }

  private baseDir(): string {
    return this.engine.options.baseDir ?? process.cwd();
  }

  private add<P extends PoolBase>(pool: P): P {
    this.pools.set(pool.id, pool);
    pool.on('changed', () => this.emit('changed', pool));
    this.emit('created', pool);
    return pool;
  }

  /** A pool made elsewhere (a Python program's, seen through the lens): listed and published like ours. */
  adopt<P extends PoolBase>(make: (id: string) => P): P {
    return this.add(make(`p${++this.counter}`));
  }

  async createFunctionPool(params: FunctionPoolParams): Promise<FunctionPool> {
    this.engine.live();
    const cwd = await checkCwd(params.cwd, this.baseDir());
    // A pool made for tasks that cannot run is not made: the module (and export) are checked first.
    if (params.initializer) await checkTarget(params.initializer, cwd);
    if (params.target) await checkTarget(params.target, cwd);
    const workers = params.workers ?? availableParallelism();
    const id = `p${++this.counter}`;
    const label = params.label ?? `Pool(${workers})`;
    return this.add(
      new FunctionPool(
        id,
        label,
        this.engine.registry,
        join(this.engine.options.childDir, 'pool-worker.js'),
        {
          workers,
          initializer: params.initializer,
          initargs: params.initargs ?? [],
          maxTasksPerChild: params.maxTasksPerChild,
          taskTimeoutMs: params.taskTimeoutMs,
          cwd,
          env: mergeEnv(params.env),
          graceMs: this.engine.graceMs,
        },
      ),
    );
  }

  async createCommandPool(params: CommandPoolParams): Promise<CommandPool> {
    this.engine.live();
    await checkCwd(params.cwd, this.baseDir());
    const concurrency = params.concurrency ?? 4;
    const id = `p${++this.counter}`;
    const label = params.label ?? `parallel -j${concurrency} ${shellJoin(params.template)}`.slice(0, 120);
    const pool = this.add(
      new CommandPool(id, label, this.engine, {
        template: params.template,
        concurrency,
        keepOrder: params.keepOrder ?? false,
        halt: params.halt ?? 'never',
        retries: params.retries ?? 0,
        taskTimeoutMs: params.taskTimeoutMs,
        cwd: params.cwd,
        env: params.env,
      }),
    );
    if (params.inputs && params.inputs.length > 0) pool.add(params.inputs);
    return pool;
  }

  /**
   * A pool of a kind built outside this folder (main/engine/fleet): made with the next id, listed
   * only once `ready` resolved, so one that cannot start leaves nothing behind.
   */
  async register<P extends PoolBase>(make: (id: string) => P, ready: (pool: P) => Promise<void>): Promise<P> {
    const pool = make(`p${++this.counter}`);
    await ready(pool);
    return this.add(pool);
  }

  get(id: string): PoolBase {
    const pool = this.pools.get(id);
    if (!pool) throw new ForkscopeError('not-found', `There is no pool ${id}.`);
    return pool;
  }

  functionPool(id: string): FunctionPool {
    const pool = this.get(id);
    if (!(pool instanceof FunctionPool)) {
      throw new ForkscopeError(
        'invalid-argument',
        `Pool ${id} runs commands: give it inputs (pools.addInputs), not functions.`,
      );
    }
    return pool;
  }

  commandPool(id: string): CommandPool {
    const pool = this.get(id);
    if (!(pool instanceof CommandPool)) {
      throw new ForkscopeError(
        'invalid-argument',
        `Pool ${id} runs functions: submit function tasks, not command inputs.`,
      );
    }
    return pool;
  }

  list(): PoolBase[] {
    return [...this.pools.values()];
  }

  /** Terminates every pool (workers and command tasks): nothing is replaced from here on. */
  async shutdown(): Promise<void> {
    await Promise.all(this.list().map((pool) => pool.terminate().catch(() => {})));
  }
}

const managers = new WeakMap<Engine, PoolManager>();

/** The pools of an engine, made on first use: the engine itself knows nothing of pools. */
export function poolsOf(engine: Engine): PoolManager {
  let manager = managers.get(engine);
  if (!manager) managers.set(engine, (manager = new PoolManager(engine)));
  return manager;
}
