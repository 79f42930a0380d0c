/**
 * Items 8 and 9 of issue 9: limits answer at once with an error that names them, nothing hangs, and
 * small refusals say what is really wrong. Real serve mode, real Processes, loopback only.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createClient, type ForkscopeClient } from '../../contract/client';
import { maxFrameBytes, type ServerFrame } from '../../contract/frames';
import { tokenProtocolPrefix } from '../../contract/transport';
import { eventually, projectRoot } from '../support/engine';
import { startServe, type ServeProcess } from '../support/serve';
import { upgradeStatus } from '../support/raw-websocket';

const targets = join(projectRoot, 'tests', 'reliability', 'fixtures', 'limit-targets.js');

/** The contract's client on a real socket, failing its calls through `onClose` (as the page's does). */
async function open(serve: ServeProcess) {
  const socket = new WebSocket(`ws://127.0.0.1:${serve.port}/api`, [tokenProtocolPrefix + serve.token], {
    origin: serve.origin,
  });
  await new Promise((resolve, reject) => (socket.once('open', resolve), socket.once('error', reject)));
  const listeners = new Set<(frame: ServerFrame) => void>();
  const frames: ServerFrame[] = [];
  socket.on('message', (data) => {
    const frame = JSON.parse(data.toString()) as ServerFrame;
    frames.push(frame);
    for (const listener of listeners) listener(frame);
  });
  const client: ForkscopeClient = createClient({
    send: (frame) => socket.send(JSON.stringify(frame)),
    onFrame: (listener) => (listeners.add(listener), () => listeners.delete(listener)),
    onClose: (listener) =>
      socket.once('close', (code, reason) => listener(`closed (${code}) ${reason.toString()}`)),
  });
  return { socket, client, frames };
}

/** How a call ended: its result, or its error's code and message. */
async function outcome(call: Promise<unknown>) {
  try {
    return { ok: true as const, value: await call };
  } catch (error) {
    const e = error as { code?: string; message: string };
    return { ok: false as const, code: e.code, message: e.message };
  }
}

describe('limits and refusals', () => {
  let serve: ServeProcess;
  let main: Awaited<ReturnType<typeof open>>;
  beforeAll(async () => {
    serve = await startServe();
    main = await open(serve);
  });
  afterAll(async () => {
    main?.socket.close();
    await serve?.stop();
  });

  it('a Process putting an item over 256 MiB fails at once, naming the limit, and its queue still works', async () => {
    const queue = await main.client.call('queues.create', {});
    const run = await main.client.call('runs.startProcess', {
      target: `${targets}#putHuge`,
      args: [{ $queue: queue.id }, 256 * 1024 * 1024 + 10],
    });
    const ended = await main.client.call('runs.join', { id: run.id, timeoutMs: 20_000 });
    expect(ended.state).toBe('exited');
    const result = ended.result as { failure: { code: string; message: string }; elapsedMs: number };
    expect(result.failure.code).toBe('payload-too-large');
    expect(result.failure.message).toMatch(/at most 256\.0 MiB; this one is 256\.0 MiB/);
    expect(result.elapsedMs).toBeLessThan(5_000);
    // The connection to the broker survived: the small item put after it arrived.
    expect(
      await main.client.call('queues.take', { id: queue.id, block: true, timeoutMs: 5_000 }),
    ).toMatchObject({
      item: 'small',
    });
  });

  it('an oversized request fails that call with its own id; the others go on', async () => {
    const big = outcome(main.client.call('runs.writeStdin', { id: 'none', text: 'x'.repeat(maxFrameBytes) }));
    const list = outcome(main.client.call('runs.list', {}));
    expect(await big).toMatchObject({ ok: false, code: 'payload-too-large' });
    expect(await list).toMatchObject({ ok: true });
    const answer = main.frames.find(
      (frame) => frame.t === 'res' && !frame.ok && frame.error.code === 'payload-too-large',
    );
    expect(answer && answer.t === 'res' && answer.id).toEqual(expect.any(Number));
  });

  it('an error the server cannot pin on a request fails every waiting call instead of leaving them hanging', async () => {
    const own = await open(serve);
    const queue = await own.client.call('queues.create', {});
    const waiting = [1, 2].map(() => outcome(own.client.call('queues.take', { id: queue.id, block: true })));
    own.socket.send('{not json');
    const results = await Promise.all(waiting);
    for (const result of results) expect(result).toMatchObject({ ok: false, code: 'bad-frame' });
    own.socket.close();
  });

  it('a frame too large to read closes the socket, and every waiting call fails with the reason', async () => {
    const own = await open(serve);
    const queue = await own.client.call('queues.create', {});
    const waiting = outcome(own.client.call('queues.take', { id: queue.id, block: true }));
    own.socket.send('x'.repeat(maxFrameBytes * 4 + 1));
    expect(await waiting).toMatchObject({
      ok: false,
      code: 'unavailable',
      message: expect.stringMatching(/closed \(1009\)/),
    });
  });

  it('100,000-deep JSON is refused as invalid-params, quietly', async () => {
    const before = serve.output().length;
    const queue = await main.client.call('queues.create', {});
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    main.socket.send(
      `{"t":"req","id":900001,"method":"queues.put","params":{"id":"${queue.id}","item":${deep}}}`,
    );
    main.socket.send(`{"t":"req","id":900002,"method":"runs.send","params":{"id":"x","message":${deep}}}`);
    await eventually(
      () =>
        main.frames.filter((frame) => frame.t === 'res' && frame.id !== null && frame.id > 900000).length ===
        2,
      10_000,
      'two answers',
    );
    for (const id of [900001, 900002]) {
      const answer = main.frames.find((frame) => frame.t === 'res' && frame.id === id)!;
      expect(answer).toMatchObject({ ok: false, error: { code: 'invalid-params' } });
      expect(answer.t === 'res' && !answer.ok && answer.error.message).toMatch(
        /nested more than 1000 levels/,
      );
    }
    expect(serve.output().slice(before)).not.toMatch(/RangeError|Maximum call stack|\n\s+at /);
  });

  it('refuses pid 0 and -1 saying what they mean to kill()', async () => {
    const zero = await outcome(main.client.call('system.kill', { pid: 0, signal: 'TERM', tree: false }));
    expect(zero).toMatchObject({ ok: false, code: 'refused' });
    expect(zero.ok || zero.message).toMatch(/pid 0 is not a process: .*the caller’s own process group/);
    const all = await outcome(main.client.call('system.kill', { pid: -1, signal: 'KILL', tree: false }));
    expect(all).toMatchObject({ ok: false, code: 'refused' });
    expect(all.ok || all.message).toMatch(/pid -1 is not a process: .*every process you may signal/);
    const group = await outcome(main.client.call('system.kill', { pid: -7, signal: 'TERM', tree: false }));
    expect(group.ok || group.message).toMatch(/the whole process group 7/);
    for (const refusal of [zero, all, group]) expect(refusal.ok || refusal.message).not.toMatch(/init/);
  });

  it('a directory given as the program is called a directory, by path and by name on PATH', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'forkscope-dir-program-'));
    mkdirSync(join(dir, 'tool'));
    const byPath = await main.client.call('runs.launch', { program: join(dir, 'tool') });
    expect(byPath.state).toBe('failed');
    expect(byPath.error?.message).toMatch(/tool is a directory, not a program/);
    expect(byPath.error?.message).not.toMatch(/chmod/);
    const byName = await main.client.call('runs.launch', { program: 'tool', env: { PATH: dir } });
    expect(byName.error?.message).toBe(
      `permission denied: tool is a directory (${join(dir, 'tool')}), not a program. Name the program inside it.`,
    );
  });

  it('refuses an empty or "="-bearing environment variable name with a clear message', async () => {
    const empty = await outcome(main.client.call('runs.launch', { program: 'true', env: { '': 'x' } }));
    expect(empty).toMatchObject({ ok: false, code: 'invalid-params' });
    expect(empty.ok || empty.message).toMatch(/needs a name \(it is empty\)/);
    const equals = await outcome(main.client.call('runs.launch', { program: 'true', env: { 'A=B': 'x' } }));
    expect(equals.ok || equals.message).toMatch(/must not contain "="/);
    const pool = await outcome(
      main.client.call('pools.create', { kind: 'command', template: ['true'], env: { '': 'x' } }),
    );
    expect(pool.ok || pool.message).toMatch(/needs a name/);
  });

  it('keeps a key named __proto__ in queue items and Process args', async () => {
    const item = JSON.parse('{"__proto__": {"polluted": true}, "plain": 1}') as object;
    const queue = await main.client.call('queues.create', {});
    await main.client.call('queues.put', { id: queue.id, item: item as never });
    const taken = await main.client.call('queues.take', { id: queue.id, block: false });
    expect(Object.keys(taken.item as object)).toEqual(['__proto__', 'plain']);
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();

    const run = await main.client.call('runs.startProcess', {
      target: `${targets}#keysOf`,
      args: [item as never],
    });
    const ended = await main.client.call('runs.join', { id: run.id, timeoutMs: 20_000 });
    expect(ended.result).toEqual(['__proto__', 'plain']);
  });

  it('upgrades to a WebSocket only on the API path', async () => {
    expect(await upgradeStatus(serve.port, serve.token, '/api')).toBe(101);
    for (const path of ['/', '/index.html', '/api/', '/apix', '/x/api', '//api']) {
      expect(await upgradeStatus(serve.port, serve.token, path)).toBe(404);
    }
  });
});
