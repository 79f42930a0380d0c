import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { poolsOf, TaskFailedError } from '../../main/engine/pool';
import { createTestEngine, eventually, projectRoot } from '../support/engine';

const tasks = join(projectRoot, 'main', 'engine', 'examples', 'programs', 'pool-tasks.js');
const fn = (name: string) => `${tasks}#${name}`;

const engine = createTestEngine();
const pools = poolsOf(engine);
afterAll(() => engine.shutdown());

describe('function pools', () => {
  it('map over 1,000 inputs returns the results in input order', async () => {
    const pool = await pools.createFunctionPool({ workers: 4 });
    const items = Array.from({ length: 1000 }, (_, i) => i);
    const results = await pool.map(fn('square'), items, { chunksize: 7 });
    expect(results).toEqual(items.map((i) => i * i));
    const unchunked = await pool.map(fn('square'), items.slice(0, 50), { chunksize: 1 });
    expect(unchunked).toEqual(items.slice(0, 50).map((i) => i * i));
    // Results that are arrays stay whole: only the chunks are joined.
    const pairs = items.slice(0, 20).map((i) => [i, [i]]);
    expect(await pool.map(fn('identity'), pairs, { chunksize: 3 })).toEqual(pairs);
    // More chunks than one join takes at once (4096): joined in groups, still in order.
    expect(
      await pool.map(
        fn('identity'),
        Array.from({ length: 5000 }, (_, i) => i),
        { chunksize: 1 },
      ),
    ).toEqual(Array.from({ length: 5000 }, (_, i) => i));
    pool.close();
    // Refused once closed: a rejection, as any failure of map (never a throw at the call).
    const refused = pool.map(fn('square'), items);
    await expect(refused).rejects.toThrow(/closed/);
    await expect(pool.starmap(fn('add'), [[1, 2]])).rejects.toThrow(/closed/);
    await pool.join(10_000);
    expect(pool.record().state).toBe('done');
    expect(pool.record().lanes.every((lane) => lane.state === 'exited')).toBe(true);
  });

  it('imap keeps order, imapUnordered yields every result, starmap spreads the args', async () => {
    const pool = await pools.createFunctionPool({ workers: 3 });
    const ordered: unknown[] = [];
    for await (const value of pool.imap(fn('square'), [1, 2, 3, 4, 5])) ordered.push(value);
    expect(ordered).toEqual([1, 4, 9, 16, 25]);

    const unordered: unknown[] = [];
    const items = Array.from({ length: 40 }, (_, i) => [Math.round(Math.random() * 30), i]);
    for await (const value of pool.imapUnordered(
      fn('sleep'),
      items.map(([ms, i]) => [ms, i]),
      { chunksize: 1 },
    )) {
      unordered.push(value);
    }
    // Each item is [ms, value] passed as one argument: sleep(item) returns null for the value.
    expect(unordered).toHaveLength(40);

    const star = await pool.starmap(fn('add'), [
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    expect(star).toEqual([3, 7, 11]);
    const sleeps: unknown[] = [];
    for await (const value of pool.imapUnordered(fn('identity'), ['a', 'b', 'c', 'd'])) sleeps.push(value);
    expect(sleeps.sort()).toEqual(['a', 'b', 'c', 'd']);
    await pool.terminate();
  });

  it('apply of a task that throws returns the error and its stack', async () => {
    const pool = await pools.createFunctionPool({ workers: 2 });
    const failed = await pool.apply(fn('fail'), ['no luck']).catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(TaskFailedError);
    const failure = (failed as TaskFailedError).failure;
    expect(failure).toMatchObject({ code: 'task-failed', name: 'RangeError', message: 'no luck' });
    expect(failure.stack).toContain('pool-tasks.js');
    // The worker survives a thrown error: the next task runs on the same pool.
    expect(await pool.apply(fn('square'), [12])).toBe(144);
    const handle = pool.applyAsync(fn('fail'), []);
    await expect(handle.get()).rejects.toThrow(/this task fails on purpose/);
    expect(handle.ready()).toBe(true);
    expect(handle.successful()).toBe(false);
    await pool.terminate();
  });

  it('gives each task its own output lines', async () => {
    const pool = await pools.createFunctionPool({ workers: 1 });
    const [a, b] = [pool.applyAsync(fn('chatter'), ['A', 2]), pool.applyAsync(fn('chatter'), ['B', 3])];
    await Promise.all([a.get(), b.get()]);
    const texts = async (id: number, count: number) => {
      const detail = (await eventually(
        () => {
          const found = pool.detail(id);
          return found.output.length === count ? found : null;
        },
        5000,
        `task ${id} output`,
      ))!;
      return detail.output.map((line) => `${line.stream}:${line.text}`);
    };
    expect(await texts(a.id, 3)).toEqual(['stdout:A out 0', 'stdout:A out 1', 'stderr:A err']);
    expect(await texts(b.id, 4)).toEqual([
      'stdout:B out 0',
      'stdout:B out 1',
      'stdout:B out 2',
      'stderr:B err',
    ]);
    await pool.terminate();
  });

  it('initializer runs once per worker, before its first task', async () => {
    const pool = await pools.createFunctionPool({
      workers: 3,
      initializer: fn('initWorker'),
      initargs: ['hello'],
    });
    const seen = (await pool.map(
      fn('whoami'),
      Array.from({ length: 30 }, () => null),
      { chunksize: 1 },
    )) as {
      pid: number;
      initialized: number;
      initTag: string;
    }[];
    for (const answer of seen) expect(answer).toMatchObject({ initialized: 1, initTag: 'hello' });
    const workerPids = new Set(pool.record().lanes.map((lane) => lane.pid));
    for (const answer of seen) expect(workerPids.has(answer.pid)).toBe(true);
    await pool.terminate();
  });

  it('maxTasksPerChild=2 over 10 tasks replaces workers, each running at most 2', async () => {
    const pool = await pools.createFunctionPool({ workers: 2, maxTasksPerChild: 2 });
    const results = (await pool.map(
      fn('whoami'),
      Array.from({ length: 10 }, () => null),
      { chunksize: 1 },
    )) as {
      pid: number;
    }[];
    const perPid = new Map<number, number>();
    for (const { pid } of results) perPid.set(pid, (perPid.get(pid) ?? 0) + 1);
    expect(perPid.size).toBeGreaterThanOrEqual(5);
    for (const count of perPid.values()) expect(count).toBeLessThanOrEqual(2);
    const lanes = pool.record().lanes;
    expect(lanes.length).toBeGreaterThanOrEqual(5);
    expect(lanes.some((lane) => lane.replacedBy !== null)).toBe(true);
    await pool.terminate();
  });

  it('refuses join while running, and submits after close', async () => {
    const pool = await pools.createFunctionPool({ workers: 1 });
    await expect(pool.join()).rejects.toMatchObject({ code: 'refused' });
    pool.close();
    expect(() => pool.applyAsync(fn('square'), [1])).toThrow(/takes no more tasks/);
    await pool.join(10_000);
    expect(pool.endedAt).not.toBeNull();
  });

  it('says clearly when a module does not exist', async () => {
    const pool = await pools.createFunctionPool({ workers: 1 });
    expect(() => pool.applyAsync('no/such/module.js#f', [])).toThrow(/does not exist/);
    const missing = await pool.apply(fn('noSuchExport'), []).catch((error: unknown) => error);
    expect((missing as TaskFailedError).failure.message).toMatch(/no exported function named "noSuchExport"/);
    await pool.terminate();
  });
});
