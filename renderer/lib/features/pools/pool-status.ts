import type { PoolRecord } from '../../../../contract';

/**
 * The pool's state in words. An open pool whose tasks are all finished is still "running" to
 * Python (its workers wait for more until close), so it says so: "idle · 5/5 done (close to finish)".
 */
export function poolStatus(pool: PoolRecord): string {
  const { total, queued, running, done } = pool.counts;
  if (pool.state === 'running' && total > 0 && queued + running === 0) {
    return `idle · ${done}/${total} done (close to finish)`;
  }
  return pool.state;
}
