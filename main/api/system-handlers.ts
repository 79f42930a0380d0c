import { ForkscopeError } from '../../contract';
import type { Handlers } from '../../contract/dispatcher';
import type { Engine } from '../engine/engine';

type SystemMethod = Extract<keyof Handlers, `system.${string}`>;

function runExists(engine: Engine, runId: string): void {
  engine.run(runId); // throws not-found with a sentence
}

/** The System view's methods: thin calls into the engine's system monitor. */
export function createSystemHandlers(engine: Engine): Pick<Handlers, SystemMethod> {
  const system = engine.system;
  return {
    'system.snapshot': () => system.snapshot(),
    'system.watch': ({ leaseMs }) => system.watch(leaseMs),
    'system.settings': (patch) => system.configure(patch),
    'system.details': ({ pid }) => system.details(pid),
    'system.kill': (params) => system.kill(params),
    'system.track': ({ runId }) => {
      runExists(engine, runId);
      const run = engine.run(runId).snapshot();
      if (run.pid === null && run.state === 'failed') {
        throw new ForkscopeError('already-exited', `${run.label} never started: there is nothing to track.`);
      }
      return system.tracker.track(runId);
    },
    'system.descendants': ({ runId }) => {
      runExists(engine, runId);
      return system.tracker.info(runId);
    },
    'system.tracked': () => system.tracker.all(),
  };
}
