import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../main/engine/engine';
import { startExample } from '../../main/engine/examples/catalog';
import { createTestEngine, eventually, projectRoot } from '../support/engine';

const programs = join(projectRoot, 'main', 'engine', 'examples', 'programs');
const target = (name: string) => `${join(programs, 'queue-workers.js')}#${name}`;

describe('queues when things go wrong', () => {
  const engine: Engine = createTestEngine();
  afterAll(() => engine.shutdown());

  it('a consumer killed while blocked in get leaves the queue usable', async () => {
    const queue = await engine.queues.create();
    const q = { $queue: queue.id };
    const victim = await engine.startProcess({ target: target('getOne'), args: [q] });
    await eventually(
      () => engine.queues.info(queue.id).blocked.some((b) => b.actor === victim.id),
      20_000,
      'a blocked get',
    );
    await engine.kill(victim.id);
    await eventually(
      () => engine.queues.info(queue.id).blocked.length === 0,
      20_000,
      'the dead waiter to go',
    );
    const survivor = await engine.startProcess({ target: target('getOne'), args: [q] });
    await engine.queues.put(queue.id, 'still works');
    expect((await engine.join(survivor.id, 20_000)).result).toBe('still works');
    const info = engine.queues.info(queue.id);
    expect(info).toMatchObject({ depth: 0, puts: 1, gets: 1, lost: 0 });
    expect(info.participants.find((p) => p.actor === victim.id)?.alive).toBe(false);
  });

  it('a queue closed with items left lists them as never got; waiters and later calls get Closed', async () => {
    const queue = await engine.queues.create();
    for (const item of ['a', 'b', 'c', 'd', 'e']) await engine.queues.put(queue.id, item);
    expect((await engine.queues.get(queue.id)).item).toBe('a');
    expect((await engine.queues.get(queue.id)).item).toBe('b');
    expect(engine.queues.close(queue.id)).toBe(3);
    const never = engine.queues.items(queue.id, 1, 100, 'never-got').items;
    expect(never.map((item) => [item.preview, item.state])).toEqual([
      ['"c"', 'lost-closed'],
      ['"d"', 'lost-closed'],
      ['"e"', 'lost-closed'],
    ]);
    expect(never.every((item) => item.lostAt !== null && item.gotBy === null)).toBe(true);
    await expect(engine.queues.put(queue.id, 'late')).rejects.toMatchObject({ code: 'closed' });
    await expect(engine.queues.get(queue.id)).rejects.toMatchObject({ code: 'closed' });
  });

  it('large items (spilled) never got are listed when the queue closes, and their space is given back', async () => {
    const queue = await engine.queues.create();
    const q = { $queue: queue.id };
    const prefix = 'L'.repeat(50_000);
    const producer = await engine.startProcess({ target: target('produce'), args: [q, prefix, 5] });
    expect((await engine.join(producer.id, 30_000)).exit?.exitcode).toBe(0);
    // Forkscope's own get reads a spilled item as a child does.
    expect((await engine.queues.get(queue.id)).item).toBe(`${prefix}-0`);
    expect(engine.queues.close(queue.id)).toBe(4);
    const never = engine.queues.items(queue.id, 1, 100, 'never-got').items;
    expect(never.map((item) => [item.state, item.bytes])).toEqual(
      Array.from({ length: 4 }, () => ['lost-closed', prefix.length + 2]),
    );
    expect(never.every((item) => item.preview === `"${'L'.repeat(96)}…`)).toBe(true);
    if (process.platform === 'linux') {
      const dirs = readdirSync('/dev/shm').filter((name) => name.startsWith(`forkscope-q-${process.pid}-`));
      for (const dir of dirs)
        await eventually(() => readdirSync(join('/dev/shm', dir)).length === 0, 20_000, 'the segments to go');
    }
  });

  it('two processes each waiting for the other are flagged as a wait-for cycle', async () => {
    const [q1, q2] = [await engine.queues.create(), await engine.queues.create()];
    // A puts on q2 then waits on q1; B gets A's item from q2, then waits on q2 again while holding q1.
    const a = await engine.startProcess({
      target: target('putThenGet'),
      args: [{ $queue: q1.id }, { $queue: q2.id }],
    });
    const b = await engine.startProcess({
      target: target('getTwice'),
      args: [{ $queue: q2.id }, { $queue: q1.id }],
    });
    const graph = await eventually(
      () => {
        const g = engine.queues.waitGraph();
        return g.cycles.length > 0 ? g : null;
      },
      20_000,
      'a cycle',
    );
    expect(graph!.cycles[0]!.sort()).toEqual([a.id, b.id].sort());
    await engine.kill(a.id);
    await engine.kill(b.id);
    await eventually(() => engine.queues.waitGraph().cycles.length === 0, 20_000, 'the cycle to clear');
  });

  it('seed example 5: three put → get pairs in order, the writer joined, the reader terminated', async () => {
    const dirs = { programs, python: join(projectRoot, 'main', 'engine', 'examples', 'python') };
    const started = await startExample('queue', engine, dirs);
    const parent = await engine.join(started.runIds[0]!, 30_000);
    expect(parent.exit?.exitcode).toBe(0);
    const { writer, reader } = parent.result as { writer: string; reader: string };
    expect(engine.run(reader).snapshot().exit).toMatchObject({ exitcode: -15, stoppedBy: 'terminate' });
    const { marks } = engine.queues.history(started.queueIds![0]!);
    // The writer's pauses are random (as the seed's): a put may come before the previous get.
    expect(marks.filter((m) => m.kind === 'put').map((m) => `${m.preview} ${m.actor}`)).toEqual(
      ['"A"', '"B"', '"C"'].map((item) => `${item} ${writer}`),
    );
    expect(marks.filter((m) => m.kind === 'get').map((m) => `${m.preview} ${m.actor}`)).toEqual(
      ['"A"', '"B"', '"C"'].map((item) => `${item} ${reader}`),
    );
    for (const get of marks.filter((m) => m.kind === 'get')) {
      const put = marks.find((m) => m.kind === 'put' && m.itemId === get.itemId)!;
      expect(get.t).toBeGreaterThanOrEqual(put.t);
    }

    expect(engine.queues.depth(started.queueIds![0]!).at(-1)?.depth).toBe(0);
  });
});
