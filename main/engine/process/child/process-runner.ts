/**
 * Runs inside a forked child: imports `module#export`, calls it with the JSON args, and reports
 * the return value or the thrown error (with its stack) before exiting, as Python's Process does
 * (exit code 0, or 1 after an exception).
 */
import { pathToFileURL } from 'node:url';
import { installChildApi } from './forkscope-global';
import { bindQueueHandles, flushQueueClients } from '../../queue/child/queue-client';
import type { FromChild, ToChild } from '../runner-protocol';

function report(message: FromChild): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) return resolve();
    process.send(message, undefined, {}, () => resolve());
  });
}

function jsonSafe(value: unknown): unknown {
  if (value === undefined) return null;
  try {
    return JSON.parse(JSON.stringify(value)) as unknown;
  } catch {
    return String(value);
  }
}

async function run(target: string, args: unknown[]): Promise<number> {
  const hash = target.lastIndexOf('#');
  const file = target.slice(0, hash);
  const exportName = target.slice(hash + 1);
  try {
    const module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    const fn = module[exportName];
    if (typeof fn !== 'function')
      throw new TypeError(`${file} has no exported function named "${exportName}".`);
    const value: unknown = await (fn as (...args: unknown[]) => unknown)(...args);
    await report({ $forkscope: 'result', value: jsonSafe(value) });
    return 0;
  } catch (error) {
    const err = error instanceof Error ? error : new Error(String(error));
    process.stderr.write(`${err.stack ?? err.message}\n`);
    await report({ $forkscope: 'thrown', name: err.name, message: err.message, stack: err.stack ?? '' });
    return 1;
  }
}

installChildApi();
// The engine went away (even SIGKILLed): a Process does not outlive it, as Python's daemonic children.
process.once('disconnect', () => process.exit(process.exitCode ?? 1));
process.once('message', (message: ToChild) => {
  if (message.$forkscope !== 'run') return;
  void run(message.target, bindQueueHandles(message.args)).then(async (code) => {
    // Puts still buffered leave before the exit (Python's feeder-thread pitfall, avoided).
    await flushQueueClients();
    process.exitCode = code;
    // Python's Process ends when its target returns, whatever timers are left behind.
    process.exit(code);
  });
});
