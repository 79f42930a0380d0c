import type { Handlers } from '../../contract/dispatcher';
import type { Engine } from '../engine/engine';

type QueueHandlers = Pick<Handlers, Extract<keyof Handlers, `queues.${string}`>>;

/** One thin function per queue method: input is already valid, the queue engine does the work. */
export function createQueueHandlers(engine: Engine): QueueHandlers {
  const queues = engine.queues;
  return {
    'queues.list': () => queues.list(),
    'queues.get': ({ id }) => queues.info(id),
    'queues.create': (options) => queues.create(options),
    'queues.createPipe': (options) => queues.createPipe(options),
    // A blocking call ends when its connection does: a reloaded page must not take an item it will never see.
    'queues.put': async ({ id, item, block, timeoutMs }, { signal }) => ({
      itemId: await queues.put(id, item, { block, timeoutMs, signal }),
    }),
    'queues.take': async ({ id, block, timeoutMs }, { signal }) => {
      const { itemId, item } = await queues.get(id, { block, timeoutMs, signal });
      return { itemId, item: item as never };
    },
    'queues.taskDone': ({ id }) => (queues.taskDone(id), null),
    'queues.join': async ({ id, timeoutMs }, { signal }) => (await queues.join(id, timeoutMs, signal), null),
    'queues.close': ({ id }) => ({ lost: queues.close(id) }),
    'queues.items': ({ id, from, limit, filter }) => queues.items(id, from, limit, filter),
    'queues.history': ({ id, limit }) => queues.history(id, limit),
    'queues.waitGraph': () => queues.waitGraph(),
  };
}
