import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ForkscopeClient } from '../../contract/client';
import type { EventPayload, HostRecord, RunRecord } from '../../contract';
import { createHost, type Host } from '../../main/api/host';
import { readRecording } from '../../main/recording/reader';
import { startServer, type RunningServer } from '../../main/serve/server';
import { eventually, projectRoot } from '../support/engine';
import { connectClient, startServe, type ServeProcess } from '../support/serve';
import { startTcpForwarder } from '../support/tcp-forwarder';

/** A serve-mode address as a person would paste it, without the token. */
const addressOf = (serve: { port: number }) => `http://127.0.0.1:${serve.port}`;

async function stateOf(client: ForkscopeClient, id: string): Promise<HostRecord | undefined> {
  return (await client.call('hosts.list', {})).find((host) => host.id === id);
}

const sleeper = (label: string) => ({ program: 'sleep', args: ['30'], label });

describe('several hosts in one window: one serve mode connected to another by URL and token', () => {
  let a: ServeProcess;
  let b: ServeProcess;
  let client: ForkscopeClient;
  let closeClient: () => void;
  let bId: string;

  beforeAll(async () => {
    [a, b] = await Promise.all([startServe(), startServe()]);
    ({ client, close: closeClient } = await connectClient(a));
    bId = (await client.call('hosts.add', { url: addressOf(b), token: b.token, name: 'server-b' })).id;
  });
  afterAll(async () => {
    closeClient?.();
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it('connects, and never gives the token back nor prints it', async () => {
    const record = await eventually(async () => {
      const host = await stateOf(client, bId);
      return host?.state === 'connected' ? host : null;
    });
    expect(record).toEqual({
      id: bId,
      name: 'server-b',
      url: addressOf(b),
      via: null,
      loopback: true,
      state: 'connected',
      refusal: null,
      detail: null,
      retryAt: null,
    });
    expect(JSON.stringify(await client.call('hosts.list', {}))).not.toContain(b.token);
    expect(a.output()).not.toContain(b.token);
  });

  it('launches runs on both hosts and lists each with its host; the other host’s events are relayed', async () => {
    const relayed: EventPayload<'hosts.event'>[] = [];
    const stopListening = client.on('hosts.event', (event) => relayed.push(event));
    await client.call('hosts.subscribe', { host: bId, names: ['runs.updated'] });

    const here = await client.call('runs.launch', sleeper('on-a'));
    const there = (await client.call('hosts.call', {
      host: bId,
      method: 'runs.launch',
      params: sleeper('on-b'),
    })) as RunRecord;
    expect(there).toMatchObject({ label: 'on-b', state: 'running' });

    const labels = (list: RunRecord[]) => list.map((run) => run.label);
    expect(labels(await client.call('runs.list', {}))).toEqual(['on-a']);
    const listedThere = (await client.call('hosts.call', {
      host: bId,
      method: 'runs.list',
      params: {},
    })) as RunRecord[];
    expect(labels(listedThere)).toEqual(['on-b']);

    await eventually(() =>
      relayed.some(
        (event) =>
          event.host === bId && event.name === 'runs.updated' && (event.payload as RunRecord).id === there.id,
      ),
    );

    // The other host's processes, as its System view would list them, carry its run.
    const snapshot = (await client.call('hosts.call', {
      host: bId,
      method: 'system.snapshot',
      params: {},
    })) as { rows: { pid: number; runId: string | null }[] };
    expect(snapshot.rows.find((row) => row.pid === there.pid)?.runId).toBe(there.id);
    const ownRows = (await client.call('system.snapshot', {})).rows;
    expect(ownRows.find((row) => row.pid === here.pid)?.runId).toBe(here.id);
    // Both hosts are this machine here: this host lists the other's process, but not as one of its runs.
    expect(ownRows.find((row) => row.pid === there.pid)?.own).toBeNull();

    await client.call('runs.kill', { id: here.id });
    await client.call('hosts.call', { host: bId, method: 'runs.kill', params: { id: there.id } });
    await client.call('hosts.unsubscribe', { host: bId, names: ['runs.updated'] });
    stopListening();
  });

  it('keeps the other host out of this host’s session recording', async () => {
    const path = /Recording of this session: (\S+)/.exec(a.output())![1]!;
    // Flushed about every second: wait for this host's own run to be in it.
    const recording = await eventually(async () => {
      const read = await readRecording(path);
      return read.entries.some((entry) => entry.e === 'runs.updated') ? read : null;
    });
    expect(recording.entries.filter((entry) => entry.e.startsWith('hosts.'))).toEqual([]);
  });

  it('checks a relayed call against the contract before it leaves, and refuses hosts.* and events.*', async () => {
    await expect(
      client.call('hosts.call', { host: bId, method: 'runs.launch', params: { program: '' } }),
    ).rejects.toMatchObject({ code: 'invalid-params' });
    await expect(
      client.call('hosts.call', { host: bId, method: 'hosts.list', params: {} }),
    ).rejects.toMatchObject({ code: 'unknown-method' });
    await expect(
      client.call('hosts.call', { host: bId, method: 'events.subscribe', params: { names: [] } }),
    ).rejects.toMatchObject({ code: 'unknown-method' });
    await expect(
      client.call('hosts.call', { host: 'nope', method: 'runs.list', params: {} }),
    ).rejects.toMatchObject({ code: 'not-found' });
  });

  it('says "refused: wrong token" for a wrong token, and refuses a URL carrying credentials', async () => {
    const wrong = await client.call('hosts.add', { url: `http://localhost:${b.port}`, token: 'wrong' });
    const refused = await eventually(async () => {
      const host = await stateOf(client, wrong.id);
      return host?.state === 'refused' ? host : null;
    });
    expect(refused).toMatchObject({ refusal: 'token', detail: 'HTTP 401' });
    await client.call('hosts.remove', { id: wrong.id });
    expect(await stateOf(client, wrong.id)).toBeUndefined();
    await expect(
      client.call('hosts.add', { url: `http://me:secret@127.0.0.1:${b.port}`, token: 'x' }),
    ).rejects.toMatchObject({ code: 'invalid-params' });
  });

  it('through a tunnel on another local port: refused by the Host check, accepted when told the tunnel (via)', async () => {
    // On another port, as `ssh -L OTHER:127.0.0.1:PORT`.
    const tunnel = await startTcpForwarder(b.port);
    const port = tunnel.port;
    const host = await client.call('hosts.add', { url: `http://127.0.0.1:${port}`, token: b.token });
    const refused = await eventually(async () => {
      const record = await stateOf(client, host.id);
      return record?.state === 'refused' ? record : null;
    });
    expect(refused).toMatchObject({ refusal: 'host-header', detail: 'HTTP 421' });
    await client.call('hosts.remove', { id: host.id });

    // The address as the server printed it, through the tunnel's port: its Host is the one expected.
    const through = await client.call('hosts.add', { url: addressOf(b), token: b.token, via: port });
    expect(through).toMatchObject({ url: addressOf(b), via: port, loopback: true });
    await eventually(async () => (await stateOf(client, through.id))?.state === 'connected');
    const listed = (await client.call('hosts.call', {
      host: through.id,
      method: 'runs.list',
      params: {},
    })) as RunRecord[];
    expect(listed.map((run) => run.label)).toContain('on-b');
    await client.call('hosts.remove', { id: through.id });
    tunnel.close();
  });
});

describe('a host that goes away', () => {
  let local: ServeProcess;
  let remoteHost: Host;
  let remote: RunningServer | null = null;
  const token = 'a-fixed-token-for-this-test-0123456789';

  const startRemote = (port = 0) =>
    startServer({ host: remoteHost, rendererDir: join(projectRoot, 'out', 'renderer'), port, token });

  beforeAll(async () => {
    local = await startServe();
    remoteHost = createHost({
      appRoot: projectRoot,
      logDir: mkdtempSync(join(tmpdir(), 'forkscope-remote-')),
    });
    remote = await startRemote();
  });
  afterAll(async () => {
    await local?.stop();
    await remote?.close();
    await remoteHost?.shutdown();
  });

  it('is unreachable while stopped, then connected again when it comes back on its address', async () => {
    const { client, close } = await connectClient(local);
    const port = remote!.port;
    const { id } = await client.call('hosts.add', { url: `http://127.0.0.1:${port}`, token });
    await eventually(async () => (await stateOf(client, id))?.state === 'connected');

    await remote!.close();
    remote = null;
    const lost = await eventually(async () => {
      const host = await stateOf(client, id);
      return host?.state === 'unreachable' ? host : null;
    });
    expect(lost.retryAt).toBeGreaterThan(0);
    await expect(
      client.call('hosts.call', { host: id, method: 'runs.list', params: {} }),
    ).rejects.toMatchObject({
      code: 'unavailable',
    });
    // Still unreachable on the next attempts: nothing listens there.
    await eventually(async () => (await stateOf(client, id))?.detail === 'ECONNREFUSED');

    remote = await startRemote(port);
    await eventually(async () => (await stateOf(client, id))?.state === 'connected', 30_000);
    expect(await client.call('hosts.call', { host: id, method: 'runs.list', params: {} })).toEqual([]);

    // Removed while a call waits on it (a join): the call fails at once rather than waiting forever.
    const run = (await client.call('hosts.call', {
      host: id,
      method: 'runs.launch',
      params: { program: 'sleep', args: ['30'] },
    })) as RunRecord;
    const joining = client.call('hosts.call', { host: id, method: 'runs.join', params: { id: run.id } });
    await client.call('hosts.remove', { id });
    await expect(joining).rejects.toMatchObject({
      code: 'unavailable',
      message: expect.stringMatching(/removed/),
    });
    remoteHost.engine.run(run.id).killTree();
    close();
  });
});
