import type { PoolLane, PoolRecord } from '../../../contract';
import type { PoolWorker } from './pool-worker-handle';

/** What the UI shows of a function pool's workers: one lane per worker ever started. */
export function workerLanes(workers: readonly PoolWorker[]): PoolLane[] {
  return workers.map((worker) => {
    const run = worker.run.snapshot();
    return {
      lane: worker.lane,
      runId: run.id,
      pid: run.pid,
      state: worker.state,
      startedAt: run.startedAt,
      endedAt: run.endedAt,
      tasksDone: worker.tasksDone,
      exit: run.exit?.meaning ?? (worker.state === 'exited' ? 'exited' : null),
      replacedBy: worker.replacedBy,
    };
  });
}

/** A function pool's options as the contract states them (the command pool's are null or fixed). */
export function functionPoolOptions(
  opts: {
    initializer?: string | undefined;
    maxTasksPerChild?: number | undefined;
    taskTimeoutMs?: number | undefined;
  },
  targets: string[],
): PoolRecord['options'] {
  return {
    initializer: opts.initializer ?? null,
    maxTasksPerChild: opts.maxTasksPerChild ?? null,
    taskTimeoutMs: opts.taskTimeoutMs ?? null,
    template: null,
    targets,
    keepOrder: true,
    halt: 'never',
    retries: 0,
  };
}
