// Seed program 1 (os.fork), in JavaScript. Node cannot duplicate a running process as fork()
// does, so the parent asks Forkscope's engine to fork the child module for it: Forkscope then
// captures each process's output apart and links the child to the parent that asked.
import { fileURLToPath } from 'node:url';

const childModule = fileURLToPath(new URL('./fork-child.js', import.meta.url));

/** @typedef {{ id: string, pid: number, exit: { exitcode: number } | null }} RunInfo */

export async function parent() {
  console.log(`Process (${process.pid}) start...`);
  const child = /** @type {RunInfo} */ (
    await forkscope.call('fork', { modulePath: childModule, args: [String(process.pid)] })
  );
  console.log(`I (${process.pid}) just created a child process (${child.pid}).`);
  const ended = /** @type {RunInfo} */ (await forkscope.call('join', { id: child.id, timeoutMs: 10_000 }));
  console.log(`My child ${child.pid} exited with code ${ended.exit?.exitcode}.`);
  return { parentPid: process.pid, childPid: child.pid };
}
