/**
 * Item 3 of issue 9: a client that stops reading must not grow serve mode without bound. Every
 * connection has one outbound byte budget for responses and events; past it the server closes it
 * with a reason. Real serve mode, real sockets on loopback.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createClient, type ForkscopeClient } from '../../contract/client';
import type { ServerFrame } from '../../contract/frames';
import { closeCodes, tokenProtocolPrefix } from '../../contract/transport';
import { eventually } from '../support/engine';
import { connectClient, startServe, type ServeProcess } from '../support/serve';
import { openRawSocket, textFrame } from './raw-websocket';

const lineBytes = 1000;
const lineCount = 1000;

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

const openFds = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;

const closedLines = (serve: ServeProcess) =>
  serve
    .output()
    .split('\n')
    .filter((line) => line.includes('closed a WebSocket client that stopped reading')).length;

/** A run whose output makes every readOutput of it a response of about 1 MB. */
async function bigOutputRun(client: ForkscopeClient): Promise<string> {
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

describe('clients that stop reading', () => {
  let serve: ServeProcess;
  let runId: string;
  let control: Awaited<ReturnType<typeof connectClient>>;

  beforeAll(async () => {
    serve = await startServe();
    control = await connectClient(serve);
    runId = await bigOutputRun(control.client);
    const page = await control.client.call('runs.readOutput', { id: runId, fromSeq: 0, limit: lineCount });
    expect(page.lines.length).toBe(lineCount);
  });
  afterAll(async () => {
    control?.close();
    await serve?.stop();
  });

  /** 20 raw clients ask for 30 answers of 1 MB each and never read: the server's RSS through it. */
  async function stallRound(): Promise<{ peak: number; settled: number }> {
    const pid = serve.process.pid!;
    const closedBefore = closedLines(serve);
    const sockets: Socket[] = [];
    for (let index = 0; index < 20; index++) sockets.push(await openRawSocket(serve.port, serve.token));
    for (const socket of sockets) {
      socket.write(Buffer.concat(Array.from({ length: 30 }, (_, k) => readRequest(k + 1, runId))));
    }
    let peak = rssMb(pid);
    const sample = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 50);
    try {
      await eventually(
        () => closedLines(serve) >= closedBefore + 20,
        20_000,
        '20 clients closed for not reading',
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

  it('20 stalled clients asking for 30 MB each leave the server’s memory flat, and each is closed', async () => {
    const baseline = rssMb(serve.process.pid!);
    const fdsBefore = openFds(serve.process.pid!);
    const first = await stallRound();
    const second = await stallRound();
    const mb = (value: number) => `+${(value - baseline).toFixed(0)} MB`;
    console.log(
      `stalled clients: baseline ${baseline.toFixed(0)} MB; round 1 peak ${mb(first.peak)}, after ${mb(first.settled)}; round 2 peak ${mb(second.peak)}, after ${mb(second.settled)}`,
    );
    // Unbounded, 20 × 30 answers of 1 MB would hold 600 MB per round.
    expect(Math.max(first.peak, second.peak) - baseline).toBeLessThan(200);
    // Nothing of them is kept: every socket the 40 clients had is closed (what RSS keeps after a round
    // is the allocator's and the heap's slack, reused by the next round, not held by anyone).
    await eventually(() => openFds(serve.process.pid!) <= fdsBefore, 5_000, 'their sockets to be closed');
    expect(closedLines(serve)).toBe(40);

    // And it still serves everyone else.
    const page = await control.client.call('runs.readOutput', { id: runId, fromSeq: 0, limit: 10 });
    expect(page.lines.length).toBe(10);
  });

  it('a client that reads again in time gets the close code and reason, and every call it waited for fails', async () => {
    const before = closedLines(serve);
    const socket = new WebSocket(`ws://127.0.0.1:${serve.port}/api`, [tokenProtocolPrefix + serve.token], {
      origin: serve.origin,
    });
    await new Promise((resolve, reject) => (socket.once('open', resolve), socket.once('error', reject)));
    const frameListeners = new Set<(frame: ServerFrame) => void>();
    socket.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as ServerFrame;
      for (const listener of frameListeners) listener(frame);
    });
    const client = createClient({
      send: (frame) => socket.send(JSON.stringify(frame)),
      onFrame: (listener) => (frameListeners.add(listener), () => frameListeners.delete(listener)),
      onClose: (listener) => socket.once('close', (_code, reason) => listener(reason.toString())),
    });
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );

    socket.pause();
    const calls = Array.from({ length: 30 }, () =>
      client.call('runs.readOutput', { id: runId, fromSeq: 0, limit: lineCount }).then(
        () => 'answered',
        (error: Error) => error.message,
      ),
    );
    await eventually(() => closedLines(serve) > before, 10_000, 'the server to close this client');
    socket.resume();

    expect(await closed).toEqual({
      code: closeCodes.tooSlow,
      reason: expect.stringMatching(/^Closed by Forkscope: .*\. Reconnect to continue\.$/),
    });
    const outcomes = await Promise.all(calls);
    expect(outcomes).toContain('answered');
    const failed = outcomes.filter((outcome) => outcome !== 'answered');
    expect(failed.length).toBeGreaterThan(0);
    for (const message of failed) expect(message).toMatch(/Closed by Forkscope: .*Reconnect to continue/);

    // A page reconnects and back-fills: a new connection reads the whole window again.
    const again = await connectClient(serve);
    const page = await again.client.call('runs.readOutput', { id: runId, fromSeq: 0, limit: lineCount });
    expect(page.lines.length).toBe(lineCount);
    again.close();
  });

  it('a stalled client flooded with output events only is closed too', async () => {
    const before = closedLines(serve);
    const socket = await openRawSocket(serve.port, serve.token);
    const flood = await control.client.call('runs.launch', {
      program: process.execPath,
      args: [
        '-e',
        `const l = 'y'.repeat(2000) + '\\n'; const end = Date.now() + 8000; const w = () => { while (Date.now() < end) if (!process.stdout.write(l)) return process.stdout.once('drain', w); }; w();`,
      ],
    });
    await eventually(() => closedLines(serve) > before, 8_000, 'the event-only client to be closed');
    expect(serve.output()).toMatch(/stopped reading \(over 4\.0 MiB unread\)/);
    await control.client.call('runs.kill', { id: flood.id });
    socket.destroy();
  });
});
