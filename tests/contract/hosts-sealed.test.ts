import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RemoteHosts } from '../../main/hosts/remote-hosts';
import type { TokenSealer } from '../../main/hosts/token-sealer';
import { eventually } from '../support/engine';
import { startServe, type ServeProcess } from '../support/serve';

/**
 * A sealer with a key of its own, standing for the desktop app's safeStorage (which needs Electron
 * and a keychain): what RemoteHosts does with a sealer is the same whoever holds the key.
 */
function aesSealer(key = randomBytes(32)): TokenSealer {
  return {
    seal(token) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const sealed = Buffer.concat([cipher.update(token, 'utf8'), cipher.final()]);
      return Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64');
    },
    open(text) {
      const bytes = Buffer.from(text, 'base64');
      const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, 12));
      decipher.setAuthTag(bytes.subarray(12, 28));
      try {
        return Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString('utf8');
      } catch {
        return null;
      }
    },
  };
}

const ignore = () => {};

describe('remembered hosts with a token sealer (the desktop app’s way)', () => {
  let b: ServeProcess;
  const opened: RemoteHosts[] = [];
  const open = (file: string, sealer?: TokenSealer) => {
    const hosts = new RemoteHosts(ignore, { file, sealer });
    opened.push(hosts);
    return hosts;
  };
  const stateOf = (hosts: RemoteHosts, id: string) => hosts.list().find((host) => host.id === id);

  beforeAll(async () => (b = await startServe()));
  afterAll(async () => {
    for (const hosts of opened) hosts.close();
    await b?.stop();
  });

  it('stores only the sealed token, opens it at the next start, and a key that cannot open it is "refused: wrong token"', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'forkscope-sealed-')), 'hosts.json');
    const sealer = aesSealer();
    const first = open(file, sealer);
    expect(first.memoryInfo()).toEqual({ file, tokens: 'safeStorage', problem: null });
    const { id } = first.add({ url: b.origin, token: b.token, name: 'server-b' });
    first.close();

    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain(b.token);
    expect(JSON.parse(text)).toMatchObject({ hosts: [{ id, token: { kind: 'safeStorage' } }] });

    const again = open(file, sealer);
    await eventually(() => stateOf(again, id)?.state === 'connected');
    again.close();

    // Another key (another user, or serve mode reading the desktop app's file): listed, and refused.
    const otherKey = open(file, aesSealer());
    await eventually(() => stateOf(otherKey, id)?.refusal === 'token');
    otherKey.close();
    const noKey = open(file);
    await eventually(() => stateOf(noKey, id)?.refusal === 'token');
    // Its sealed token is written back as it was, for the key that can open it.
    noKey.add({ url: 'http://127.0.0.1:9', token: 'x', name: 'added-here' });
    noKey.close();
    const withKey = open(file, sealer);
    await eventually(() => stateOf(withKey, id)?.state === 'connected');
  });
});
