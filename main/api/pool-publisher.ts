import type { Engine } from '../engine/engine';
import { poolsOf, type PoolBase } from '../engine/pool';
import type { Publish } from './publisher';

/**
 * Pool events, coalesced: once per interval, each changed pool's record and the summaries of
 * the tasks that changed since the last batch (a task that went queued → running → done in
 * one interval is sent once, as done).
 */
export function startPoolPublisher(engine: Engine, publish: Publish, intervalMs = 40) {
  const pools = poolsOf(engine);
  const changed = new Set<PoolBase>();
  let timer: NodeJS.Timeout | null = null;

  function flush() {
    timer = null;
    for (const pool of changed) {
      const { record, tasks } = pool.drain();
      // Tasks first: the record's counts then agree with what the client holds.
      for (let at = 0; at < tasks.length; at += 5000) {
        publish('pools.tasks', { poolId: pool.id, tasks: tasks.slice(at, at + 5000) });
      }
      publish('pools.updated', record);
    }
    changed.clear();
  }

  const onChanged = (pool: PoolBase) => {
    changed.add(pool);
    timer ??= setTimeout(flush, intervalMs);
  };
  const onCreated = (pool: PoolBase) => pool.observe();

  for (const pool of pools.list()) pool.observe();
  pools.on('created', onCreated);
  pools.on('changed', onChanged);
  return {
    flush,
    stop() {
      if (timer) clearTimeout(timer);
      pools.off('created', onCreated);
      pools.off('changed', onChanged);
    },
  };
}
