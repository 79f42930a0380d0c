import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { connectClient, startServe, type ServeProcess } from '../support/serve';

describe('a blocking call whose connection closes', () => {
  let serve: ServeProcess;
  beforeAll(async () => (serve = await startServe()));
  afterAll(() => serve.stop());

  it('stops waiting, so an item put later is not taken for nobody', async () => {
    const first = await connectClient(serve);
    const queue = await first.client.call('queues.create', { name: 'cancel-test' });
    const waiting = first.client
      .call('queues.take', { id: queue.id, block: true })
      .catch((error: Error) => error);
    const second = await connectClient(serve);
    const blocked = async () => (await second.client.call('queues.get', { id: queue.id })).blocked;
    // The take is waiting on the server before its connection goes, and has stopped waiting after.
    await vi.waitFor(async () => expect(await blocked()).toHaveLength(1), { timeout: 10_000 });
    first.socket.terminate();
    await waiting;
    await vi.waitFor(async () => expect(await blocked()).toEqual([]), { timeout: 10_000 });

    await second.client.call('queues.put', { id: queue.id, item: 'kept' });
    const got = await second.client.call('queues.take', { id: queue.id, block: false });
    expect(got.item).toBe('kept');
    second.close();
  });
});
