/**
 * Clients that ask serve mode for large answers and never read them (issue 9, item 3): shared by
 * the reliability test and the benchmark, which measure the same thing.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import type { ForkscopeClient } from '../../contract/client';
import { eventually } from './engine';
import { openRawSocket, textFrame } from './raw-websocket';
import type { ServeProcess } from './serve';

export const lineCount = 1000;
const lineBytes = 1000;

export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

export const openFds = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;

/** How many clients serve mode has closed for not reading (it says so once per client). */
export const closedLines = (serve: ServeProcess) =>
  serve
    .output()
    .split('\n')
    .filter((line) => line.includes('closed a WebSocket client that stopped reading')).length;

/** A finished run whose output makes every readOutput of it an answer of about 1 MB. */
export async function bigOutputRun(client: ForkscopeClient): Promise<string> {
  const run = await client.call('runs.launch', {
    program: process.execPath,
    args: [
      '-e',
      `const l = 'x'.repeat(${lineBytes}); for (let i = 0; i < ${lineCount}; i++) console.log(l);`,
    ],
  });
  await client.call('runs.join', { id: run.id, timeoutMs: 20_000 });
  return run.id;
}

const readRequest = (id: number, runId: string) =>
  textFrame(
    JSON.stringify({
      t: 'req',
      id,
      method: 'runs.readOutput',
      params: { id: runId, fromSeq: 0, limit: lineCount },
    }),
  );

/**
 * `clients` raw sockets each send `requests` readOutput requests of `runId` and never read; waits
 * until serve mode has closed them all and the grace for their close frames has passed. The
 * server's RSS (MB): its peak through it and what it holds after.
 */
export async function stallClients(
  serve: ServeProcess,
  runId: string,
  clients = 20,
  requests = 30,
): Promise<{ peak: number; settled: number }> {
  const pid = serve.process.pid!;
  const closedBefore = closedLines(serve);
  const sockets: Socket[] = [];
  for (let index = 0; index < clients; index++) sockets.push(await openRawSocket(serve.port, serve.token));
  for (const socket of sockets) {
    socket.write(Buffer.concat(Array.from({ length: requests }, (_, k) => readRequest(k + 1, runId))));
  }
  let peak = rssMb(pid);
  const sample = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 50);
  try {
    await eventually(
      () => closedLines(serve) >= closedBefore + clients,
      30_000,
      `${clients} clients closed for not reading`,
    );
    // The grace for reading the close frame passes; then their sockets and buffers are gone.
    await new Promise((resolve) => setTimeout(resolve, 3000));
  } finally {
    clearInterval(sample);
  }
  // The server let go of them: each socket ends once it is read again.
  await Promise.all(
    sockets.map(
      (socket) => new Promise<void>((resolve) => (socket.once('close', () => resolve()), socket.resume())),
    ),
  );
  return { peak, settled: rssMb(pid) };
}
