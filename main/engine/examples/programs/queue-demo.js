// Seed program 5 (multiprocessing.Queue), in JavaScript: the parent hands one queue to a writer
// and a reader; the writer puts A, B, C with random pauses, the reader loops on get; the parent
// joins the writer, then terminates the reader (which would otherwise wait forever).
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

const self = fileURLToPath(import.meta.url);

/** @typedef {{ put(item: unknown): Promise<void>, get(): Promise<unknown> }} Queue */
/** @typedef {{ id: string, pid: number, exit: { exitcode: number } | null }} RunInfo */

/** @param {Queue} q */
export async function write(q) {
  console.log(`Process to write: ${process.pid}`);
  for (const value of ['A', 'B', 'C']) {
    console.log(`Put ${value} to queue...`);
    await q.put(value);
    await sleep(Math.random() * 1000);
  }
}

/** @param {Queue} q */
export async function read(q) {
  console.log(`Process to read: ${process.pid}`);
  for (;;) {
    const value = await q.get();
    console.log(`Get ${value} from queue.`);
  }
}

/** @param {Queue} q */
export async function main(q) {
  const pw = /** @type {RunInfo} */ (
    await forkscope.call('startProcess', { target: `${self}#write`, args: [q] })
  );
  const pr = /** @type {RunInfo} */ (
    await forkscope.call('startProcess', { target: `${self}#read`, args: [q] })
  );
  console.log(`Started writer ${pw.id} (pid ${pw.pid}) and reader ${pr.id} (pid ${pr.pid}).`);
  const ended = /** @type {RunInfo} */ (await forkscope.call('join', { id: pw.id }));
  console.log(`Writer joined: exit code ${ended.exit?.exitcode}.`);
  // Give the reader a moment to take the last item, then stop it: it loops forever otherwise.
  await sleep(300);
  const stopped = /** @type {RunInfo} */ (await forkscope.call('terminate', { id: pr.id }));
  console.log(`Reader terminated: exit code ${stopped.exit?.exitcode}.`);
  return { writer: pw.id, reader: pr.id };
}
