import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ForkscopeClient } from '../../contract/client';
import type { HostRecord } from '../../contract';
import { eventually } from '../support/engine';
import { connectClient, startServe, type ServeProcess } from '../support/serve';
import { startTcpForwarder } from '../support/tcp-forwarder';

/** Serve mode on this log root (the later --log-dir wins over startServe's own temporary one). */
const serveOn = (logRoot: string) => startServe(['--log-dir', logRoot]);

async function withClient<T>(serve: ServeProcess, use: (client: ForkscopeClient) => Promise<T>): Promise<T> {
  const { client, close } = await connectClient(serve);
  try {
    return await use(client);
  } finally {
    close();
  }
}

const listed = (client: ForkscopeClient) => client.call('hosts.list', {});
const stateOf = async (client: ForkscopeClient, id: string) =>
  (await listed(client)).find((host) => host.id === id)?.state;
/** What a restart must keep of a host: everything but its connection's state. */
const identity = ({ id, name, url, via, loopback }: HostRecord) => ({ id, name, url, via, loopback });

describe('the hosts added are remembered across a restart of serve mode', () => {
  const logRoot = mkdtempSync(join(tmpdir(), 'forkscope-hosts-root-'));
  const hostsFile = join(logRoot, 'hosts.json');
  let b: ServeProcess;
  let tunnel: Awaited<ReturnType<typeof startTcpForwarder>>;
  let tunnelPort: number;
  const started: ServeProcess[] = [];
  const start = async () => {
    const serve = await serveOn(logRoot);
    started.push(serve);
    return serve;
  };

  beforeAll(async () => {
    b = await startServe();
    // A host remembered with its `via`: reached through this tunnel.
    tunnel = await startTcpForwarder(b.port);
    tunnelPort = tunnel.port;
  });
  afterAll(async () => {
    await Promise.all([b?.stop(), ...started.map((serve) => serve.stop())]);
    tunnel?.close();
  });

  it('reconnects each remembered host after a restart, keeps the token out of sight, forgets a removed one', async () => {
    const first = await start();
    const added = await withClient(first, async (client) => {
      const direct = await client.call('hosts.add', { url: b.origin, token: b.token, name: 'server-b' });
      const tunnelled = await client.call('hosts.add', {
        url: b.origin,
        token: b.token,
        name: 'through-tunnel',
        via: tunnelPort,
      });
      const gone = await client.call('hosts.add', {
        url: 'http://127.0.0.1:9',
        token: 'x',
        name: 'nothing-there',
      });
      await eventually(async () => (await stateOf(client, tunnelled.id)) === 'connected');
      expect(await client.call('hosts.memory', {})).toEqual({
        file: hostsFile,
        tokens: 'file',
        problem: null,
      });
      return { direct, tunnelled, gone };
    });

    // The token is in the file (serve mode has no keychain), which only its owner may read.
    expect(statSync(hostsFile).mode & 0o777).toBe(0o600);
    const stored = JSON.parse(readFileSync(hostsFile, 'utf8')) as {
      hosts: { name: string; via: number | null }[];
    };
    expect(stored.hosts.map(({ name, via }) => ({ name, via }))).toEqual([
      { name: 'server-b', via: null },
      { name: 'through-tunnel', via: tunnelPort },
      { name: 'nothing-there', via: null },
    ]);

    await first.stop();
    const second = await start();
    await withClient(second, async (client) => {
      const again = await listed(client);
      expect(again.map(identity)).toEqual([added.direct, added.tunnelled, added.gone].map(identity));
      // They connect as if just added: the two that answer connect, the other is retried.
      await eventually(async () => (await stateOf(client, added.direct.id)) === 'connected');
      await eventually(async () => (await stateOf(client, added.tunnelled.id)) === 'connected');
      await eventually(async () => (await stateOf(client, added.gone.id)) === 'unreachable');
      expect(JSON.stringify(await listed(client))).not.toContain(b.token);
      const runs = await client.call('hosts.call', {
        host: added.tunnelled.id,
        method: 'runs.list',
        params: {},
      });
      expect(runs).toEqual([]);
      await client.call('hosts.remove', { id: added.gone.id });
    });
    expect(second.output()).not.toContain(b.token);

    await second.stop();
    const third = await start();
    await withClient(third, async (client) => {
      expect((await listed(client)).map((host) => host.name)).toEqual(['server-b', 'through-tunnel']);
      await eventually(async () => (await stateOf(client, added.direct.id)) === 'connected');
    });
    // A good file is read silently.
    expect(third.output()).not.toContain('remembered');
  });
});

describe('a remembered host whose serve mode restarted (with a new token)', () => {
  const started: ServeProcess[] = [];
  afterAll(async () => Promise.all(started.map((serve) => serve.stop())));
  const keep = (serve: ServeProcess) => (started.push(serve), serve);

  it('is refused, takes the new token when its address is added again, and keeps it across a restart', async () => {
    const root = mkdtempSync(join(tmpdir(), 'forkscope-token-root-'));
    const b = keep(await startServe());
    const a = keep(await serveOn(root));
    const id = await withClient(a, async (client) => {
      const { id } = await client.call('hosts.add', { url: b.origin, token: b.token, name: 'server-b' });
      await eventually(async () => (await stateOf(client, id)) === 'connected');
      // Connected: the same address again is refused, not a second host.
      await expect(client.call('hosts.add', { url: b.origin, token: 'other' })).rejects.toMatchObject({
        code: 'refused',
      });
      return id;
    });

    await b.stop();
    // Serve mode again on the same port: a new token.
    const b2 = keep(await startServe(['--port', String(b.port)]));
    expect(b2.token).not.toBe(b.token);
    await withClient(a, async (client) => {
      await eventually(
        async () => (await listed(client)).find((host) => host.id === id)?.refusal === 'token',
      );
      const again = await client.call('hosts.add', { url: b2.origin, token: b2.token, name: 'ignored' });
      expect(again).toMatchObject({ id, name: 'server-b' });
      await eventually(async () => (await stateOf(client, id)) === 'connected');
      expect((await listed(client)).map((host) => host.id)).toEqual([id]);
    });

    await a.stop();
    const a2 = keep(await serveOn(root));
    await withClient(a2, async (client) => {
      await eventually(async () => (await stateOf(client, id)) === 'connected');
    });
  });
});

describe('a remembered-hosts file that cannot be used', () => {
  const started: ServeProcess[] = [];
  afterAll(async () => Promise.all(started.map((serve) => serve.stop())));

  async function startWith(hostsFile: (root: string) => void) {
    const root = mkdtempSync(join(tmpdir(), 'forkscope-hosts-bad-'));
    hostsFile(root);
    const serve = await serveOn(root);
    started.push(serve);
    return { root, serve };
  }

  it('not JSON: one line, no hosts, the file moved aside, and serve mode works', async () => {
    const { root, serve } = await startWith((dir) =>
      writeFileSync(join(dir, 'hosts.json'), '{"version": 1, "hos'),
    );
    const lines = serve
      .output()
      .split('\n')
      .filter((line) => line.startsWith('forkscope:'));
    expect(lines).toEqual([
      expect.stringMatching(
        /^forkscope: the remembered hosts file .*hosts\.json is damaged \(.+\); it was moved to .*hosts\.json\.damaged; starting with no hosts\.$/,
      ),
    ]);
    expect(readFileSync(join(root, 'hosts.json.damaged'), 'utf8')).toBe('{"version": 1, "hos');
    await withClient(serve, async (client) => {
      expect(await listed(client)).toEqual([]);
      expect(await client.call('hosts.memory', {})).toMatchObject({
        problem: { kind: 'damaged', movedTo: join(root, 'hosts.json.damaged') },
      });
      // The next host added starts a new file, and the problem is past.
      await client.call('hosts.add', { url: 'http://127.0.0.1:9', token: 'x', name: 'new' });
      expect((await client.call('hosts.memory', {})).problem).toBeNull();
      expect(await client.call('runs.list', {})).toEqual([]);
    });
    expect(existsSync(join(root, 'hosts.json'))).toBe(true);
  });

  it('JSON of another shape (a URL carrying credentials): checked with the schema, one line naming the field', async () => {
    const { serve } = await startWith((dir) =>
      writeFileSync(
        join(dir, 'hosts.json'),
        JSON.stringify({
          version: 1,
          hosts: [
            {
              id: 'h1',
              name: 'x',
              url: 'http://me:pw@127.0.0.1:7777',
              via: null,
              token: { kind: 'file', token: 't' },
            },
          ],
        }),
      ),
    );
    expect(serve.output()).toMatch(/damaged \(hosts\.0\.url: must be a serve-mode address/);
    await withClient(serve, async (client) => expect(await listed(client)).toEqual([]));
  });

  it('two hosts with one id (a hand edit): damaged, rather than one connection left without its entry', async () => {
    const host = {
      id: 'h1',
      name: 'x',
      url: 'http://127.0.0.1:9',
      via: null,
      token: { kind: 'file', token: 't' },
    };
    const { serve } = await startWith((dir) =>
      writeFileSync(
        join(dir, 'hosts.json'),
        JSON.stringify({ version: 1, hosts: [host, { ...host, name: 'y' }] }),
      ),
    );
    expect(serve.output()).toMatch(/damaged \(hosts: two hosts have the same id\)/);
    await withClient(serve, async (client) => expect(await listed(client)).toEqual([]));
  });

  it('unreadable (a folder in its place): one line, no hosts, nothing moved', async () => {
    const { root, serve } = await startWith((dir) => mkdirSync(join(dir, 'hosts.json')));
    expect(serve.output()).toContain(
      `the remembered hosts could not be read from ${join(root, 'hosts.json')} (EISDIR)`,
    );
    await withClient(serve, async (client) => {
      expect(await listed(client)).toEqual([]);
      // Adding still works for this session; that it could not be remembered is told.
      await client.call('hosts.add', { url: 'http://127.0.0.1:9', token: 'x' });
      expect(await client.call('hosts.memory', {})).toMatchObject({ problem: { kind: 'unwritable' } });
    });
    expect(serve.output()).toContain('the hosts could not be remembered in');
  });
});
