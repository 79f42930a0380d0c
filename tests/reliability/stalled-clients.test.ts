/**
 * Item 3 of issue 9: a client that stops reading must not grow serve mode without bound. Every
 * connection has one outbound byte budget for responses and events; past it the server closes it
 * with a reason. Real serve mode, real sockets on loopback.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createClient } from '../../contract/client';
import type { ServerFrame } from '../../contract/frames';
import { closeCodes, tokenProtocolPrefix } from '../../contract/transport';
import { eventually } from '../support/engine';
import { openRawSocket, textFrame } from '../support/raw-websocket';
import { connectClient, startServe, type ServeProcess } from '../support/serve';
import {
  bigOutputRun,
  closedLines,
  lineCount,
  openFds,
  rssMb,
  stallClients,
} from '../support/stalled-clients';

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

  it('20 stalled clients asking for 30 MB each leave the server’s memory flat, and each is closed', async () => {
    const baseline = rssMb(serve.process.pid!);
    const fdsBefore = openFds(serve.process.pid!);
    const first = await stallClients(serve, runId);
    const second = await stallClients(serve, runId);
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
    // Events go only to a connection that subscribed to them: it asks once, then never reads.
    socket.write(
      textFrame(
        JSON.stringify({ t: 'req', id: 1, method: 'events.subscribe', params: { names: ['runs.output'] } }),
      ),
    );
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
