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
    'queues.put': async ({ id, item, block, timeoutMs }) => ({
      itemId: await queues.put(id, item, { block, timeoutMs }),
    }),
    'queues.take': async ({ id, block, timeoutMs }) => {
      const { itemId, item } = await queues.get(id, { block, timeoutMs });
      return { itemId, item: item as never };
    },
    'queues.taskDone': ({ id }) => (queues.taskDone(id), null),
    'queues.join': async ({ id, timeoutMs }) => (await queues.join(id, timeoutMs), null),
    'queues.close': ({ id }) => ({ lost: queues.close(id) }),
    'queues.items': ({ id, from, limit, filter }) => queues.items(id, from, limit, filter),
    'queues.history': ({ id, limit }) => queues.history(id, limit),
    'queues.waitGraph': () => queues.waitGraph(),
  };
}
