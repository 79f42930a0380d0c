import { join } from 'node:path';
import { createDispatcher } from '../../contract/dispatcher';
import { Engine, type EngineOptions } from '../engine/engine';
import { RemoteHosts, type HostsMemoryOptions } from '../hosts/remote-hosts';
import { RecordingLibrary } from '../recording/library';
import { createHandlers } from './handlers';
import { startPublisher, type Publish } from './publisher';
import { startPoolPublisher } from './pool-publisher';
import { startPythonPublisher } from './python-publisher';
import { startQueuePublisher } from './queue-publisher';
import { startSystemPublisher } from './system-publisher';

export interface HostOptions extends Omit<EngineOptions, 'childDir'> {
  /** The project (or packaged app) root: built scripts are in out/main, examples in main/engine/examples. */
  appRoot: string;
  /** Recording files given on the command line (`forkscope open FILE`), served beside the sessions'. */
  openRecordings?: string[];
  /** Where the hosts added are remembered across restarts; without it they are forgotten at exit. */
  hostsMemory?: HostsMemoryOptions;
}

/**
 * What every transport shares: one engine, one dispatcher, one publisher per area. A transport only
 * moves frames; it never knows a method by name.
 */
export function createHost(options: HostOptions) {
  const engine = new Engine({ ...options, childDir: join(options.appRoot, 'out', 'main') });
  const exampleDirs = {
    programs: join(options.appRoot, 'main', 'engine', 'examples', 'programs'),
    python: join(options.appRoot, 'main', 'engine', 'examples', 'python'),
  };
  const recordings = new RecordingLibrary({ logDir: options.logDir, opened: options.openRecordings });
  const subscribers = new Set<Publish>();
  const broadcast: Publish = (name, payload) => {
    for (const publish of subscribers) publish(name, payload);
  };
  // Other hosts' serve mode, connected to on request (hosts.add); nothing listens on the network for them.
  const hosts = new RemoteHosts(broadcast, options.hostsMemory);
  const dispatcher = createDispatcher(createHandlers(engine, exampleDirs, recordings, hosts), {
    onInternalError: (method, error) => console.error(`[forkscope] ${method} failed:`, error),
  });
  const publishers = {
    runs: startPublisher(engine, broadcast),
    pools: startPoolPublisher(engine, broadcast),
    queues: startQueuePublisher(engine, broadcast),
    system: startSystemPublisher(engine, broadcast),
    python: startPythonPublisher(engine, broadcast),
  };

  /** Synchronous last resort: SIGKILL every process tree Forkscope started. */
  const killEverything = () => {
    for (const run of engine.registry.all()) run.killTree();
  };

  return {
    engine,
    dispatcher,
    subscribe(publish: Publish): () => void {
      subscribers.add(publish);
      return () => subscribers.delete(publish);
    },
    killEverything,
    /** Sends at once what every publisher holds back (a recording's last events before it closes). */
    flush() {
      for (const publisher of Object.values(publishers)) if ('flush' in publisher) publisher.flush();
    },
    /** A crash of the host process must not leave its children running. */
    killEverythingOnCrash() {
      const die = (error: unknown) => {
        console.error('[forkscope] fatal error, stopping every process it started:', error);
        killEverything();
        process.exit(70);
      };
      process.once('uncaughtException', die);
      process.once('unhandledRejection', die);
    },
    async shutdown() {
      hosts.close();
      for (const publisher of Object.values(publishers)) publisher.stop();
      await engine.shutdown();
    },
  };
}

export type Host = ReturnType<typeof createHost>;
