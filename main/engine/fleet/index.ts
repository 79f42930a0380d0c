import type { CreateDistributedPool } from '../../../contract';
import type { PoolManager } from '../pool/pool-manager';
import { shellJoin } from '../pool/shell-quote';
import { DistributedPool } from './distributed-pool';

export { DistributedPool } from './distributed-pool';
export { FleetAgent } from './agent';

type Params = Omit<CreateDistributedPool, 'kind' | 'queue' | 'retries' | 'backoffMs' | 'inputs' | 'items'> &
  Partial<Pick<CreateDistributedPool, 'queue' | 'retries' | 'backoffMs' | 'inputs' | 'items'>>;

/**
 * A distributed pool, listed only once its Redis answered: a wrong URL fails Create pool with a
 * sentence and leaves no pool behind. Its tasks are commands (a template over inputs) or calls of
 * one function (a target over items) whose module must be on the agents' hosts. Its cwd names a folder on the agents' hosts, so each agent
 * checks it (a missing one fails that attempt, saying so), not this host.
 */
export async function createDistributedPool(pools: PoolManager, params: Params): Promise<DistributedPool> {
  pools.engine.live();
  const queue = params.queue ?? 'forkscope';
  const what = params.target ?? shellJoin(params.template ?? []);
  const label = params.label ?? `${queue} · ${what}`.slice(0, 120);
  const pool = await pools.register(
    (id) =>
      new DistributedPool(id, label, {
        redis: params.redis,
        queue,
        template: params.target ? undefined : params.template,
        target: params.target,
        retries: params.retries ?? 0,
        backoffMs: params.backoffMs ?? 1000,
        taskTimeoutMs: params.taskTimeoutMs,
        cwd: params.cwd,
        env: params.env,
      }),
    (pool) => pool.start(),
  );
  if (params.target) {
    if (params.items && params.items.length > 0) pool.call(params.items);
  } else if (params.inputs && params.inputs.length > 0) pool.add(params.inputs);
  return pool;
}
