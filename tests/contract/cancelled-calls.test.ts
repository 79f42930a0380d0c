import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
    await new Promise((resolve) => setTimeout(resolve, 300));
    first.socket.terminate();
    await waiting;

    const second = await connectClient(serve);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await second.client.call('queues.put', { id: queue.id, item: 'kept' });
    const got = await second.client.call('queues.take', { id: queue.id, block: false });
    expect(got.item).toBe('kept');
    second.close();
  });
});
