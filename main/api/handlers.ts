import type { Handlers } from '../../contract/dispatcher';
import type { Engine } from '../engine/engine';
import { listExamples, startExample, type ExampleDirs } from '../engine/examples/catalog';
import type { RemoteHosts } from '../hosts/remote-hosts';
import type { RecordingLibrary } from '../recording/library';
import { createHostsHandlers } from './hosts-handlers';
import { createPoolHandlers } from './pool-handlers';
import { createQueueHandlers } from './queue-handlers';
import { createSystemHandlers } from './system-handlers';

/** One thin function per contract method: input is already valid, the engine does the work. */
export function createHandlers(
  engine: Engine,
  exampleDirs: ExampleDirs,
  recordings: RecordingLibrary,
  hosts: RemoteHosts,
): Handlers {
  return {
    'runs.list': () => engine.list(),
    'runs.get': ({ id }) => engine.run(id).snapshot(),
    'runs.launch': (params) => engine.launch(params),
    'runs.fork': (params) => engine.fork(params),
    'runs.startProcess': (params) => engine.startProcess(params),
    'runs.send': ({ id, message }) => (engine.send(id, message), null),
    'runs.writeStdin': ({ id, text }) => (engine.writeStdin(id, text), null),
    'runs.closeStdin': ({ id }) => (engine.closeStdin(id), null),
    'runs.terminate': ({ id, graceMs }) => engine.terminate(id, graceMs),
    'runs.kill': ({ id }) => engine.kill(id),
    'runs.join': ({ id, timeoutMs }) => engine.join(id, timeoutMs),
    'runs.readOutput': ({ id, fromSeq, limit }) => engine.readOutput(id, fromSeq, limit),
    'runs.clearFinished': ({ deleteLogs }) => engine.clearFinished(deleteLogs),
    'runs.setLogPolicy': ({ id, policy }) => engine.setLogPolicy(id, policy),
    'app.info': () => engine.hostInfo(),
    'examples.list': () => listExamples(exampleDirs),
    'examples.run': ({ id }) => startExample(id, engine, exampleDirs),
    'python.lens': ({ runId }) => (engine.run(runId), engine.python.detail(runId)),
    'recordings.list': () => recordings.list(),
    'recordings.read': ({ id, offset }) => recordings.read(id, offset),
    'events.subscribe': ({ names }, { subscriptions }) => (subscriptions?.add(names), null),
    'events.unsubscribe': ({ names }, { subscriptions }) => (subscriptions?.remove(names), null),
    ...createPoolHandlers(engine, exampleDirs),
    ...createQueueHandlers(engine),
    ...createSystemHandlers(engine),
    ...createHostsHandlers(hosts),
  };
}
