import { execFileSync } from 'node:child_process';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { maxFrameBytes } from '../../contract/frames';
import { tokenProtocolPrefix } from '../../contract/transport';
import { eventually } from '../support/engine';
import { connectClient, startServe, type ServeProcess } from '../support/serve';

function tryConnect(serve: ServeProcess, options: { token?: string | null; origin?: string; host?: string }) {
  const protocols = options.token === null ? [] : [tokenProtocolPrefix + (options.token ?? serve.token)];
  const headers = options.host ? { Host: options.host } : undefined;
  const socket = new WebSocket(`ws://127.0.0.1:${serve.port}/api`, protocols, {
    origin: options.origin,
    headers,
  });
  return new Promise<{ opened: boolean; status?: number }>((resolve) => {
    socket.once('open', () => {
      socket.close();
      resolve({ opened: true });
    });
    socket.once('unexpected-response', (_request, response) =>
      resolve({ opened: false, status: response.statusCode }),
    );
    socket.once('error', () => resolve({ opened: false }));
  });
}

function get(serve: ServeProcess, path: string, host: string) {
  return new Promise<{ status: number; csp?: string }>((resolve, reject) => {
    const req = request(
      { port: serve.port, host: '127.0.0.1', path, headers: { Host: host } },
      (response) => {
        response.resume();
        resolve({
          status: response.statusCode!,
          csp: response.headers['content-security-policy'] as string | undefined,
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('serve mode security', () => {
  let serve: ServeProcess;
  beforeAll(async () => (serve = await startServe()));
  afterAll(() => serve.stop());

  it('prints its URL with a token, bound to loopback', () => {
    expect(serve.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#token=[\w-]{20,}$/);
  });

  it('accepts the right token from its own origin', async () => {
    expect(await tryConnect(serve, { origin: serve.origin })).toEqual({ opened: true });
  });

  it('refuses no token, a wrong token, a foreign Origin and a non-local Host', async () => {
    expect(await tryConnect(serve, { token: null, origin: serve.origin })).toMatchObject({
      opened: false,
      status: 401,
    });
    expect(await tryConnect(serve, { token: 'wrong', origin: serve.origin })).toMatchObject({
      opened: false,
      status: 401,
    });
    expect(await tryConnect(serve, { origin: 'http://evil.example' })).toMatchObject({
      opened: false,
      status: 403,
    });
    expect(await tryConnect(serve, { host: `evil.example:${serve.port}` })).toMatchObject({
      opened: false,
      status: 421,
    });
  });

  it('serves the page with a strict CSP, and refuses a rebinding Host', async () => {
    const page = await get(serve, '/', `127.0.0.1:${serve.port}`);
    expect(page.status).toBe(200);
    expect(page.csp).toMatch(/script-src 'self'/);
    expect((await get(serve, '/', `attacker.example:${serve.port}`)).status).toBe(421);
    expect((await get(serve, '/..%2f..%2fpackage.json', `localhost:${serve.port}`)).status).toBe(404);
  });

  it('survives malformed requests from any page (no token needed to send them)', async () => {
    for (const path of ['/%E0%A4%A', '//', '/%00', '/assets/%zz']) {
      expect([400, 404]).toContain((await get(serve, path, `127.0.0.1:${serve.port}`)).status);
    }
    expect((await get(serve, '/', `127.0.0.1:${serve.port}`)).status).toBe(200);
  });

  it('answers invalid and oversized messages with errors and keeps serving', async () => {
    const { client, socket, close } = await connectClient(serve);
    const replies: { ok: boolean; error?: { code: string } }[] = [];
    socket.on('message', (data) => replies.push(JSON.parse(data.toString())));
    socket.send('{not json');
    socket.send(JSON.stringify({ t: 'req', id: 1, method: 'runs.launch', params: { program: 42 } }));
    socket.send(JSON.stringify({ hello: 'world' }));
    socket.send('x'.repeat(maxFrameBytes + 10));
    await eventually(() => replies.length >= 4, 10_000, 'four replies');
    expect(replies.map((reply) => reply.error?.code).sort()).toEqual(
      ['bad-frame', 'bad-frame', 'invalid-params', 'payload-too-large'].sort(),
    );
    const list = await client.call('runs.list', {});
    expect(Array.isArray(list)).toBe(true);
    close();
  });
});

describe('stopping serve mode', () => {
  it('leaves no child behind after SIGINT', async () => {
    const serve = await startServe();
    const { client, close } = await connectClient(serve);
    const runs = await Promise.all([
      client.call('runs.launch', { program: 'sleep', args: ['1000'] }),
      client.call('runs.launch', { program: 'sh', args: ['-c', 'sleep 1000 & sleep 1000 & wait'] }),
      client.call('runs.startProcess', { target: 'tests/fixtures/targets.js#ignoresTerm', args: [] }),
    ]);
    close();
    const pids = runs.map((run) => run.pid!);
    expect(await serve.stop('SIGINT')).toBe(0);
    for (const pid of pids) expect(liveGroupMembers(pid)).toEqual([]);
  });
});

describe('a crash of serve mode', () => {
  it('takes the commands it started with it, even when SIGKILLed', async () => {
    const serve = await startServe();
    const { client, close } = await connectClient(serve);
    const run = await client.call('runs.launch', {
      program: 'sh',
      args: ['-c', 'sleep 1000 & sleep 1000 & wait'],
    });
    await eventually(() => liveGroupMembers(run.pid!).length === 3, 10_000, 'three members');
    close();
    await serve.stop('SIGKILL');
    await eventually(() => liveGroupMembers(run.pid!).length === 0, 10_000, 'an empty group');
  });
});

function liveGroupMembers(pgid: number): string[] {
  const out = execFileSync('ps', ['-e', '-o', 'pid=,pgid=,stat='], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([, group, stat]) => Number(group) === pgid && stat && !stat.startsWith('Z'))
    .map(([pid]) => pid!);
}
