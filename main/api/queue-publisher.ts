import type { EventPayload } from '../../contract';
import type { Engine } from '../engine/engine';
import type { Publish } from './publisher';

export interface QueuePublisherOptions {
  /** How often a changed queue's record, marks and depth samples go out. */
  intervalMs?: number;
  /** The most put/get marks of one queue per batch; a flood sends the newest and counts the rest. */
  maxMarksPerBatch?: number;
}

/**
 * Coalesces queue activity: the engine only says which queues changed; every ~50 ms this reads
 * each changed queue's new marks (from its lineage columns) and new depth samples, so a million
 * puts a second cost the transport the same as ten.
 */
export function startQueuePublisher(engine: Engine, publish: Publish, options: QueuePublisherOptions = {}) {
  const intervalMs = options.intervalMs ?? 50;
  const maxMarks = options.maxMarksPerBatch ?? 400;
  const cursors = new Map<string, { puts: number; gets: number; depthT: number }>();
  let lastGraph = '';
  let timer: NodeJS.Timeout | null = null;

  function flushQueue(id: string) {
    const cursor = cursors.get(id) ?? { puts: 0, gets: 0, depthT: 0 };
    let info;
    try {
      info = engine.queues.info(id);
    } catch {
      cursors.delete(id);
      return;
    }
    const { marks, skipped } = engine.queues.marks(id, cursor.puts, cursor.gets, maxMarks);
    // The last sample may still move (it is the current bucket): send it again next time.
    const depth = engine.queues.depth(id, cursor.depthT);
    cursors.set(id, { puts: info.puts, gets: info.gets, depthT: depth.at(-1)?.t ?? cursor.depthT });
    publish('queues.updated', info);
    const activity: EventPayload<'queues.activity'> = {
      id,
      marks,
      skipped,
      depth,
      actors: engine.queues.actorsOf(id),
    };
    publish('queues.activity', activity);
  }

  function flush() {
    timer = null;
    const ids = engine.queues.takeDirty();
    for (const id of ids) flushQueue(id);
    if (ids.length > 0) {
      const graph = engine.queues.waitGraph();
      const text = JSON.stringify(graph);
      if (text !== lastGraph) {
        lastGraph = text;
        publish('queues.waitGraph', graph);
      }
    }
  }

  const onChanged = () => {
    timer ??= setTimeout(flush, intervalMs);
  };
  engine.queues.on('changed', onChanged);

  return {
    flush,
    stop() {
      if (timer) clearTimeout(timer);
      engine.queues.off('changed', onChanged);
    },
  };
}
