import type { Handlers } from '../../contract/dispatcher';
import type { TaskOutcome } from '../../contract';
import { join } from 'node:path';
import type { Engine } from '../engine/engine';
import type { ExampleDirs } from '../engine/examples/catalog';
import { createDistributedPool, DistributedPool } from '../engine/fleet';
import { chromeTrace, jobLog, poolsOf, TaskFailedError } from '../engine/pool';

type PoolHandlers = Pick<Handlers, Extract<keyof Handlers, `pools.${string}`>>;

/** Built-in task modules are named `@examples/pool-tasks.js#square`: the UI need not know where the app lives. */
export const builtinPrefix = '@examples/';

/** One thin function per pool method: the engine's PoolManager does the work. */
export function createPoolHandlers(engine: Engine, dirs: ExampleDirs): PoolHandlers {
  const pools = poolsOf(engine);
  const t = (target: string) =>
    target.startsWith(builtinPrefix) ? join(dirs.programs, target.slice(builtinPrefix.length)) : target;
  return {
    'pools.list': () => pools.list().map((pool) => pool.record()),
    'pools.get': ({ id }) => pools.get(id).record(),
    'pools.workingDir': () => ({ cwd: pools.workingDir }),
    'pools.create': async (params) => {
      const pool =
        params.kind === 'function'
          ? await pools.createFunctionPool({
              ...params,
              initializer: params.initializer && t(params.initializer),
              target: params.target && t(params.target),
            })
          : params.kind === 'distributed'
            ? await createDistributedPool(pools, params)
            : await pools.createCommandPool(params);
      return pool.record();
    },
    'pools.apply': async ({ id, target, args, timeoutMs }) => {
      const handle = pools.functionPool(id).applyAsync(t(target), args, { timeoutMs });
      try {
        return {
          taskId: handle.id,
          ok: true,
          result: (await handle.get()) as TaskOutcome['result'],
          failure: null,
        };
      } catch (error) {
        if (!(error instanceof TaskFailedError)) throw error;
        return { taskId: handle.id, ok: false, failure: error.failure };
      }
    },
    'pools.applyAsync': ({ id, target, args, timeoutMs }) => ({
      taskId: pools.functionPool(id).applyAsync(t(target), args, { timeoutMs }).id,
    }),
    'pools.map': async ({ id, target, items, chunksize }) => ({
      results: (await pools.functionPool(id).map(t(target), items, { chunksize })) as NonNullable<
        TaskOutcome['result']
      >[],
    }),
    'pools.starmap': async ({ id, target, items, chunksize }) => ({
      results: (await pools.functionPool(id).starmap(t(target), items, { chunksize })) as NonNullable<
        TaskOutcome['result']
      >[],
    }),
    'pools.submit': ({ id, target, items, chunksize, star }) => {
      const pool = pools.get(id);
      // A distributed pool calls its one target on the agents' hosts, one item per task.
      if (pool instanceof DistributedPool)
        return { taskIds: pool.submit(target, items, { chunksize, star }) };
      return {
        taskIds: pools
          .functionPool(id)
          .submit(t(target), items, { chunksize: chunksize ?? 1, star })
          .map((task) => task.id),
      };
    },
    'pools.addInputs': ({ id, inputs }) => {
      const pool = pools.get(id);
      const target = pool instanceof DistributedPool ? pool : pools.commandPool(id);
      return { taskIds: target.add(inputs).map((task) => task.id) };
    },
    'pools.close': ({ id }) => {
      const pool = pools.get(id);
      pool.close();
      return pool.record();
    },
    'pools.join': async ({ id, timeoutMs }) => {
      const pool = pools.get(id);
      await pool.join(timeoutMs);
      return pool.record();
    },
    'pools.terminate': async ({ id }) => {
      const pool = pools.get(id);
      await pool.terminate();
      return pool.record();
    },
    'pools.tasks': ({ id, fromId, limit }) => {
      const pool = pools.get(id);
      return { tasks: pool.summaries(fromId, limit), total: pool.tasks.length };
    },
    'pools.task': ({ id, taskId }) => pools.get(id).detail(taskId),
    'pools.export': ({ id, format }) => {
      const pool = pools.get(id);
      return format === 'joblog'
        ? { filename: `${id}-joblog.tsv`, mime: 'text/tab-separated-values', text: jobLog(pool) }
        : { filename: `${id}-trace.json`, mime: 'application/json', text: chromeTrace(pool) };
    },
  };
}
