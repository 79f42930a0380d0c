import type { Engine } from '../engine/engine';
import { poolsOf } from '../engine/pool';
import type { Entry } from './format';

type Closing = Omit<Entry, 't'>;

const chunk = 5000;

/**
 * What the engine holds when recording ends, in full, where the events may lack some: a flood of
 * queue marks sends only the newest, so every queue's items are written. Pool task events lose
 * nothing (each changed task's latest state is sent), so the task tables are written again only
 * when `tasks` says the events are incomplete (the size budget ran out): for a 100,000-task pool
 * they are most of a recording's cost.
 */
export function* closingEntries(engine: Engine, options: { tasks: boolean }): Generator<Closing> {
  for (const pool of poolsOf(engine).list()) {
    yield { e: 'pools.updated', p: pool.record() };
    for (let from = 1; options.tasks; from += chunk) {
      const tasks = pool.summaries(from, chunk);
      if (tasks.length === 0) break;
      yield { e: 'recording.tasks', p: { poolId: pool.id, tasks } };
    }
  }
  for (const info of engine.queues.list()) {
    yield { e: 'queues.updated', p: info };
    const actors = engine.queues.actorsOf(info.id);
    for (let from: number | null = 1; from !== null;) {
      const page = engine.queues.items(info.id, from, chunk);
      yield { e: 'recording.items', p: { queueId: info.id, items: page.items, actors } };
      from = page.nextFrom;
    }
  }
  for (const info of engine.system.tracker.all()) yield { e: 'recording.descendants', p: info };
  for (const run of engine.registry.all()) {
    const detail = engine.python.detail(run.id);
    if (detail.processes.length > 0 || detail.status.state === 'on') yield { e: 'recording.lens', p: detail };
  }
}
