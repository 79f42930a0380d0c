import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createClient } from '../../contract/client';
import type { ServerFrame } from '../../contract/frames';
import { openConnection } from '../../main/api/connection';
import { createHost, type Host } from '../../main/api/host';
import { projectRoot } from '../support/engine';
import { connectClient, startServe, type ServeProcess } from '../support/serve';
import { comparable, exerciseContract } from './fixtures';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** An in-memory transport pair: frames go through structuredClone, as Electron IPC does. */
function inMemoryClient(host: Host, seen?: (frame: ServerFrame) => void) {
  const listeners = new Set<(frame: ServerFrame) => void>();
  const connection = openConnection(host, (frame) => {
    seen?.(frame);
    const copy = structuredClone(frame);
    queueMicrotask(() => listeners.forEach((listener) => listener(copy)));
  });
  return createClient({
    send: (frame) => void connection.receiveFrame(structuredClone(frame)),
    onFrame: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  });
}

describe('one contract over both transports', () => {
  let serve: ServeProcess;
  let host: Host;

  beforeAll(async () => {
    serve = await startServe();
    host = createHost({ appRoot: projectRoot, logDir: mkdtempSync(join(tmpdir(), 'forkscope-mem-')) });
  });
  afterAll(async () => {
    await serve.stop();
    await host.shutdown();
  });

  it('gives the same results over WebSocket (serve mode) and in memory (as IPC)', async () => {
    const ws = await connectClient(serve);
    const overWebSocket = await exerciseContract(ws.client);
    ws.close();
    const inMemory = await exerciseContract(inMemoryClient(host));

    expect(comparable(overWebSocket)).toEqual(comparable(inMemory));
    const expected = comparable(inMemory);
    expect(expected.exit).toMatchObject({ code: 4, exitcode: 4 });
    expect(expected.lines).toEqual([
      ['stdout', 'out'],
      ['stderr', 'err'],
    ]);
    expect(expected.value).toBe(42);
    expect(expected.failures).toMatchObject({
      invalid: { code: 'invalid-params', message: expect.stringMatching(/say which program to run/) },
      wrongType: { code: 'invalid-params' },
      unknownRun: { code: 'not-found' },
      unknownMethod: { code: 'unknown-method' },
      badCwd: { code: 'bad-cwd', message: expect.stringMatching(/\/no\/such\/place/) },
    });
  });

  it('publishes run updates and output as events', async () => {
    const ws = await connectClient(serve);
    const states: string[] = [];
    const lines: string[] = [];
    ws.client.on('runs.updated', (record) => states.push(record.state));
    ws.client.on('runs.output', (batch) => lines.push(...batch.lines.map((line) => line.text)));
    const run = await ws.client.call('runs.launch', {
      program: 'sh',
      args: ['-c', 'echo a; sleep 0.2; echo b'],
    });
    await ws.client.call('runs.join', { id: run.id, timeoutMs: 10_000 });
    // Events are batched: the last ones may come just after the join's answer.
    await vi.waitFor(() => expect(states.at(-1)).toBe('exited'), { timeout: 10_000 });
    await vi.waitFor(() => expect(lines).toEqual(['a', 'b']), { timeout: 10_000 });
    expect(states).toContain('running');
    ws.close();
  });

  it('sends a connection only the events it listens to', async () => {
    const sent: string[] = [];
    const client = inMemoryClient(host, (frame) => frame.t === 'evt' && sent.push(frame.name));
    const launchAndJoin = async () => {
      const run = await client.call('runs.launch', { program: 'sh', args: ['-c', 'echo a'] });
      await client.call('runs.join', { id: run.id, timeoutMs: 10_000 });
      host.flush();
    };
    const lines: string[] = [];
    const stop = client.on('runs.output', (batch) => lines.push(...batch.lines.map((line) => line.text)));
    await launchAndJoin();
    await vi.waitFor(() => expect(lines).toEqual(['a']));
    expect(new Set(sent)).toEqual(new Set(['runs.output']));

    // The last listener gone, the host stops sending: nothing of a second run reaches it.
    stop();
    sent.length = 0;
    await launchAndJoin();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(sent).toEqual([]);
    expect(lines).toEqual(['a']);
  });
});
