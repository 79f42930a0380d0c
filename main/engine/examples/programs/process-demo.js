// Seed program 2 (multiprocessing.Process), in JavaScript: a parent Process starts a child
// Process with target=runProc, args=['test'], joins it, and reports its exit code.
import { fileURLToPath } from 'node:url';

const self = fileURLToPath(import.meta.url);

/** @param {string} name */
export function runProc(name) {
  console.log(`Run child process ${name} (${process.pid})...`);
  return `child ${name} done`;
}

/** @typedef {{ id: string, pid: number, exit: { exitcode: number } | null, result?: unknown }} RunInfo */

export async function main() {
  console.log(`Parent process ${process.pid}.`);
  const started = Date.now();
  console.log('Child process will start.');
  const child = /** @type {RunInfo} */ (
    await forkscope.call('startProcess', { target: `${self}#runProc`, args: ['test'] })
  );
  const ended = /** @type {RunInfo} */ (await forkscope.call('join', { id: child.id }));
  console.log(
    `Child process end: pid ${child.pid}, exit code ${ended.exit?.exitcode}, ${Date.now() - started} ms.`,
  );
  return { childPid: child.pid, exitcode: ended.exit?.exitcode, result: ended.result };
}
