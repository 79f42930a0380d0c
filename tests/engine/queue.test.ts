import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startQueuePublisher } from '../../main/api/queue-publisher';
import type { Engine } from '../../main/engine/engine';
import { createTestEngine, eventually, projectRoot } from '../support/engine';

const workers = join(projectRoot, 'main', 'engine', 'examples', 'programs', 'queue-workers.js');
const target = (name: string) => `${workers}#${name}`;

/** The broker's spill folder for large items (tmpfs, Linux), or null where items stay inline. */
function spillDir(): string | null {
  if (process.platform !== 'linux') return null;
  const mine = readdirSync('/dev/shm').filter((name) => name.startsWith(`forkscope-q-${process.pid}-`));
  return mine.length === 1 ? join('/dev/shm', mine[0]!) : null;
}

/** Each consumer's items from the producer of `prefix` come in the order they were put (`<prefix>…-<i>`). */
function expectFifoPerProducer(lists: string[][], prefixes: string[]): void {
  for (const list of lists) {
    for (const prefix of prefixes) {
      const mine = list
        .filter((item) => item.startsWith(prefix))
        .map((item) => Number(item.slice(item.lastIndexOf('-') + 1)));
      expect(mine).toEqual([...mine].sort((x, y) => x - y));
    }
  }
}

describe('queues between real processes', () => {
  const engine: Engine = createTestEngine();
  afterAll(() => engine.shutdown());

  it('moves 10,000 items from two producers to two consumers, each got exactly once, lineage complete', async () => {
    const queue = await engine.queues.create({ name: 'bulk' });
    const q = { $queue: queue.id };
    const consumers = await Promise.all(
      [0, 1].map(() => engine.startProcess({ target: target('consume'), args: [q] })),
    );
    const producers = await Promise.all(
      ['a', 'b'].map((prefix) => engine.startProcess({ target: target('produce'), args: [q, prefix, 5000] })),
    );
    for (const producer of producers) expect((await engine.join(producer.id, 60_000)).exit?.exitcode).toBe(0);
    // One stop sign per consumer, put by Forkscope itself.
    await engine.queues.put(queue.id, null);
    await engine.queues.put(queue.id, null);
    const results = await Promise.all(consumers.map((c) => engine.join(c.id, 60_000)));
    const got = results.flatMap((r) => r.result as string[]);
    expect(got).toHaveLength(10_000);
    expect(new Set(got).size).toBe(10_000);
    // FIFO per producer, as seen by each consumer.
    expectFifoPerProducer(
      results.map((r) => r.result as string[]),
      ['a-', 'b-'],
    );

    const info = engine.queues.info(queue.id);
    expect(info).toMatchObject({ puts: 10_002, gets: 10_002, depth: 0, lost: 0 });
    const producerIds = new Set(producers.map((p) => p.id));
    const consumerIds = new Set(consumers.map((c) => c.id));
    const { items, nextFrom } = engine.queues.items(queue.id, 1, 5000);
    const rest = engine.queues.items(queue.id, nextFrom!, 5000);
    const all = [...items, ...rest.items, ...engine.queues.items(queue.id, rest.nextFrom!, 5000).items];
    expect(all).toHaveLength(10_002);
    for (const item of all) {
      expect(item.state).toBe('got');
      expect(item.gotAt).toBeGreaterThanOrEqual(item.putAt);
      expect(consumerIds.has(item.gotBy!)).toBe(true);
      if (item.preview !== 'null') expect(producerIds.has(item.putBy)).toBe(true);
    }
    expect(engine.queues.items(queue.id, 1, 5000, 'never-got').items).toEqual([]);
  });

  it('large items go round the broker (its spill folder): each got once, in order, lineage whole, the space given back', async () => {
    const queue = await engine.queues.create({ name: 'large' });
    const q = { $queue: queue.id };
    // 40,000 characters, half of them two bytes in UTF-8: past the spill threshold either way.
    const body = 'é'.repeat(20_000) + 'x'.repeat(20_000);
    const producers = await Promise.all(
      ['a', 'b'].map((prefix) =>
        engine.startProcess({ target: target('produce'), args: [q, prefix + body, 150] }),
      ),
    );
    for (const producer of producers) expect((await engine.join(producer.id, 60_000)).exit?.exitcode).toBe(0);
    // Put and not got yet: their text is in the folder, not in the broker.
    const dir = spillDir();
    if (process.platform === 'linux') expect(readdirSync(dir!).length).toBeGreaterThan(0);
    const consumers = await Promise.all(
      [0, 1].map(() => engine.startProcess({ target: target('consume'), args: [q] })),
    );
    await engine.queues.put(queue.id, null);
    await engine.queues.put(queue.id, null);
    const results = await Promise.all(consumers.map((c) => engine.join(c.id, 60_000)));
    const got = results.flatMap((r) => r.result as string[]);
    expect(got).toHaveLength(300);
    expect(new Set(got).size).toBe(300);
    for (const item of got) expect(item.slice(1, 1 + body.length)).toBe(body);
    expectFifoPerProducer(
      results.map((r) => r.result as string[]),
      ['a', 'b'],
    );
    expect(engine.queues.info(queue.id)).toMatchObject({ puts: 302, gets: 302, depth: 0, lost: 0 });
    const items = engine.queues.items(queue.id, 1, 400).items.filter((item) => item.preview !== 'null');
    expect(items).toHaveLength(300);
    for (const item of items) {
      expect(item.state).toBe('got');
      expect(item.preview).toMatch(/^"[ab]éééé.*…$/);
    }
    const bytes = (list: number[]) => list.reduce((sum, n) => sum + n, 0);
    expect(bytes(items.map((item) => item.bytes))).toBe(bytes(got.map((item) => Buffer.byteLength(item))));
    if (dir) await eventually(() => readdirSync(dir).length === 0, 20_000, 'every segment to be removed');
  });

  it('large items wait for room in a bounded queue like small ones, and their space is given back', async () => {
    const queue = await engine.queues.create({ maxsize: 3 });
    const q = { $queue: queue.id };
    const prefix = 'B'.repeat(40_000);
    const consumer = await engine.startProcess({ target: target('consume'), args: [q] });
    // 12 MB: past a spill segment, each segment got before the producer moves on to the next.
    const producer = await engine.startProcess({ target: target('produce'), args: [q, prefix, 300] });
    expect((await engine.join(producer.id, 60_000)).exit?.exitcode).toBe(0);
    await engine.queues.put(queue.id, null);
    const got = (await engine.join(consumer.id, 60_000)).result as string[];
    expect(got).toEqual(Array.from({ length: 300 }, (_, i) => `${prefix}-${i}`));
    expect(engine.queues.info(queue.id)).toMatchObject({ puts: 301, gets: 301, depth: 0 });
    const dir = spillDir();
    if (dir) await eventually(() => readdirSync(dir).length === 0, 20_000, 'every segment to be removed');
  });

  it('get with a timeout on an empty queue raises Empty after the timeout', async () => {
    const queue = await engine.queues.create();
    const run = await engine.startProcess({
      target: target('getWithTimeout'),
      args: [{ $queue: queue.id }, 0.5],
    });
    const ended = await engine.join(run.id, 20_000);
    const result = ended.result as { name: string; code: string; message: string; elapsedMs: number };
    expect(result.name).toBe('Empty');
    expect(result.code).toBe('empty');
    expect(result.message).toMatch(/stayed empty for 500 ms/);
    expect(result.elapsedMs).toBeGreaterThanOrEqual(450);
    // And from the API: block=false raises at once.
    await expect(engine.queues.get(queue.id, { block: false })).rejects.toMatchObject({ code: 'empty' });
  });

  it('a put on a full queue blocks, and the process is shown blocked until a get makes room', async () => {
    const queue = await engine.queues.create({ maxsize: 2 });
    const run = await engine.startProcess({ target: target('putMany'), args: [{ $queue: queue.id }, 4] });
    const blocked = await eventually(
      () => engine.queues.info(queue.id).blocked.find((b) => b.actor === run.id && b.kind === 'put'),
      20_000,
      'the producer to block on a full put',
    );
    expect(blocked!.since).toBeLessThanOrEqual(Date.now());
    expect(engine.queues.info(queue.id).depth).toBe(2);
    expect(engine.queues.waitGraph().blocked.some((b) => b.actor === run.id)).toBe(true);
    const got = [];
    for (let i = 0; i < 4; i++) got.push((await engine.queues.get(queue.id, { timeoutMs: 20_000 })).item);
    expect(got).toEqual([0, 1, 2, 3]);
    expect((await engine.join(run.id, 20_000)).exit?.exitcode).toBe(0);
    expect(engine.queues.info(queue.id).blocked).toEqual([]);
  });

  it('JoinableQueue.join returns once every item has had its taskDone', async () => {
    const queue = await engine.queues.create({ joinable: true });
    for (let i = 0; i < 20; i++) await engine.queues.put(queue.id, { task: i });
    await expect(engine.queues.join(queue.id, 100)).rejects.toMatchObject({ code: 'timeout' });
    const workersRuns = await Promise.all(
      [0, 1].map(() =>
        engine.startProcess({ target: target('joinableWorker'), args: [{ $queue: queue.id }] }),
      ),
    );
    await engine.queues.join(queue.id, 30_000);
    expect(engine.queues.info(queue.id)).toMatchObject({ unfinished: 0, gets: 20 });
    await engine.queues.put(queue.id, null);
    await engine.queues.put(queue.id, null);
    const done = await Promise.all(workersRuns.map((w) => engine.join(w.id, 20_000)));
    expect(done.reduce((sum, r) => sum + (r.result as number), 0)).toBe(20);
  });

  it('items are JSON: a non-JSON item is refused with a clear error', async () => {
    const queue = await engine.queues.create();
    await expect(engine.queues.put(queue.id, 10n)).rejects.toMatchObject({ code: 'invalid-argument' });
    await engine.queues.put(queue.id, { nested: [1, 'two', null] });
    expect((await engine.queues.get(queue.id)).item).toEqual({ nested: [1, 'two', null] });
  });

  it('a Pipe connects two processes: send, recv and poll', async () => {
    const pipe = await engine.queues.createPipe();
    const pong = await engine.startProcess({ target: target('pong'), args: [pipe.ends[1]] });
    const ping = await engine.startProcess({ target: target('ping'), args: [pipe.ends[0], 3] });
    const [pinged, ponged] = await Promise.all([engine.join(ping.id, 20_000), engine.join(pong.id, 20_000)]);
    expect(pinged.result).toEqual(['echo ping 0', 'echo ping 1', 'echo ping 2']);
    expect(ponged.result).toEqual({ polled: true, count: 3 });
    const [forward, backward] = pipe.queueIds.map((id) => engine.queues.info(id));
    expect(forward).toMatchObject({ kind: 'pipe', puts: 4, gets: 4 });
    expect(backward).toMatchObject({ kind: 'pipe', puts: 3, gets: 3 });
  });
  it("Forkscope's own puts (the UI's) mark the queue changed and are published like a child's", async () => {
    const queue = await engine.queues.create({ maxsize: 2 });
    engine.queues.takeDirty();
    const updates: { depth: number; puts: number; participants: number }[] = [];
    const publisher = startQueuePublisher(
      engine,
      (name, payload) => {
        if (name !== 'queues.updated') return;
        const info = payload as { id: string; depth: number; puts: number; participants: unknown[] };
        if (info.id === queue.id)
          updates.push({ depth: info.depth, puts: info.puts, participants: info.participants.length });
      },
      { intervalMs: 10 },
    );
    try {
      await engine.queues.put(queue.id, 'x');
      expect(engine.queues.takeDirty()).toContain(queue.id);
      await engine.queues.put(queue.id, 'y');
      await eventually(() => updates.at(-1)?.depth === 2, 5000, 'depth 2 to be published');
      expect(updates.at(-1)).toEqual({ depth: 2, puts: 2, participants: 1 });
      // The third put is refused (full) while the published depth already says 2.
      await expect(engine.queues.put(queue.id, 'z', { block: false })).rejects.toMatchObject({
        code: 'full',
      });
      // A waiting put admitted by a get is published too.
      const waiting = engine.queues.put(queue.id, 'w', { timeoutMs: 5000 });
      await eventually(() => engine.queues.info(queue.id).blocked.length === 1, 5000, 'the put to wait');
      await engine.queues.get(queue.id);
      await waiting;
      await eventually(
        () => updates.at(-1)?.puts === 3 && updates.at(-1)?.depth === 2,
        5000,
        'the admitted put to be published',
      );
    } finally {
      publisher.stop();
    }
  });
});
