import { join } from 'node:path';
import { createDispatcher } from '../../contract/dispatcher';
import { Engine, type EngineOptions } from '../engine/engine';
import { createHandlers } from './handlers';
import { startPublisher, type Publish } from './publisher';
import { startPoolPublisher } from './pool-publisher';
import { startQueuePublisher } from './queue-publisher';
import { startSystemPublisher } from './system-publisher';

export interface HostOptions extends Omit<EngineOptions, 'childDir'> {
  /** The project (or packaged app) root: built scripts are in out/main, examples in main/engine/examples. */
  appRoot: string;
}

/**
 * What every transport shares: one engine, one dispatcher, one publisher. A transport only
 * moves frames; it never knows a method by name.
 */
export function createHost(options: HostOptions) {
  const engine = new Engine({ ...options, childDir: join(options.appRoot, 'out', 'main') });
  const exampleDirs = {
    programs: join(options.appRoot, 'main', 'engine', 'examples', 'programs'),
    python: join(options.appRoot, 'main', 'engine', 'examples', 'python'),
  };
  const dispatcher = createDispatcher(createHandlers(engine, exampleDirs), {
    onInternalError: (method, error) => console.error(`[forkscope] ${method} failed:`, error),
  });
  const subscribers = new Set<Publish>();
  const publisher = startPublisher(engine, (name, payload) => {
    for (const publish of subscribers) publish(name, payload);
  });
  const poolPublisher = startPoolPublisher(engine, (name, payload) => {
    for (const publish of subscribers) publish(name, payload);
  });
  const systemPublisher = startSystemPublisher(engine, (name, payload) => {
    for (const publish of subscribers) publish(name, payload);
  });

  const queuePublisher = startQueuePublisher(engine, (name, payload) => {
    for (const publish of subscribers) publish(name, payload);
  });

  return {
    engine,
    dispatcher,
    subscribe(publish: Publish): () => void {
      subscribers.add(publish);
      return () => subscribers.delete(publish);
    },
    async shutdown() {
      publisher.stop();
      await poolPublisher.stop();
      queuePublisher.stop();
      systemPublisher.stop();
      await engine.shutdown();
    },
  };
}

export type Host = ReturnType<typeof createHost>;
