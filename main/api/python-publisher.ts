import type { Engine } from '../engine/engine';
import type { Publish } from './publisher';

/** The lens status of each run whose Python processes reported something, at most every 100 ms. */
export function startPythonPublisher(engine: Engine, publish: Publish, intervalMs = 100) {
  const changed = new Set<string>();
  let timer: NodeJS.Timeout | null = null;

  function flush() {
    timer = null;
    for (const runId of changed) publish('python.lens', engine.python.status(runId));
    changed.clear();
  }

  const onChanged = (runId: string) => {
    changed.add(runId);
    timer ??= setTimeout(flush, intervalMs);
  };
  engine.python.on('changed', onChanged);
  return {
    flush,
    stop() {
      if (timer) clearTimeout(timer);
      engine.python.off('changed', onChanged);
    },
  };
}
