import type { PoolRecord, PoolState } from '../../../../contract';
import { m } from '../../i18n/messages';

const stateWords: Record<PoolState, () => string> = {
  running: m.pool_state_running,
  closing: m.pool_state_closing,
  done: m.pool_state_done,
  terminated: m.pool_state_terminated,
  degraded: m.pool_state_degraded,
};

/**
 * The pool's state in words. An open pool whose tasks are all finished is still "running" to
 * Python (its workers wait for more until close), so it says so: "idle · 5/5 done (close to finish)".
 */
export function poolStatus(pool: PoolRecord): string {
  const { total, queued, running, done } = pool.counts;
  if (pool.state === 'running' && total > 0 && queued + running === 0) {
    return m.pool_idle({ done, total });
  }
  return stateWords[pool.state]();
}
