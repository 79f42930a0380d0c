import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { poolsOf, type FunctionPool } from '../../main/engine/pool';
import { createTestEngine, projectRoot } from '../support/engine';

const tasks = join(projectRoot, 'main', 'engine', 'examples', 'programs', 'pool-tasks.js');
const sleep = `${tasks}#sleep`;

const engine = createTestEngine();
const pools = poolsOf(engine);
afterAll(() => engine.shutdown());

/** Submits five sleeps and checks that the fifth starts on the worker of the shortest, right after it. */
async function fifthGoesToFirstFree(pool: FunctionPool, ms: number[]) {
  const handles = ms.map((length) => pool.applyAsync(sleep, [length, length]));
  await Promise.all(handles.map((handle) => handle.get()));
  const summaries = pool.summaries(pool.tasks.length - 4, 5);
  const shortest = ms.indexOf(Math.min(...ms.slice(0, 4)));
  const first = summaries[shortest]!;
  const fifth = summaries[4]!;
  expect(fifth.lane).toBe(first.lane);
  // Right after it, not after one of the 800 ms tasks: told by order, not by a time bound.
  expect(fifth.startedAt!).toBeGreaterThanOrEqual(first.endedAt!);
  const longEnds = summaries
    .slice(0, 4)
    .filter((_, index) => index !== shortest)
    .map((task) => task.endedAt!);
  expect(fifth.startedAt!).toBeLessThan(Math.min(...longEnds));
}

describe('function pool dispatch', () => {
  it('on a fresh Pool(4), the fifth of five tasks starts on the first worker that frees', async () => {
    const pool = await pools.createFunctionPool({ workers: 4 });
    // Every worker ready first (on a loaded machine one may start late): one 100 ms task each.
    await pool.map(sleep, [100, 100, 100, 100], { chunksize: 1 });
    await fifthGoesToFirstFree(pool, [50, 800, 800, 800, 200]);
    await pool.terminate();
  });

  it('after tiny tasks of the same function, a held task is taken back for the worker that frees', async () => {
    const pool = await pools.createFunctionPool({ workers: 4 });
    await pool.map(sleep, [100, 100, 100, 100], { chunksize: 1 });
    // Measured as tiny: the workers may hold several of these tasks at once.
    await pool.map(
      sleep,
      Array.from({ length: 40 }, () => 0),
      { chunksize: 1 },
    );
    await fifthGoesToFirstFree(pool, [800, 800, 50, 800, 200]);
    // And again with the short one first.
    await fifthGoesToFirstFree(pool, [50, 800, 800, 800, 200]);
    await pool.terminate();
  });

  it('tiny tasks still run, deep, on every worker', async () => {
    const pool = await pools.createFunctionPool({ workers: 4 });
    // Every worker ready first: four 100 ms tasks, one each.
    await pool.map(sleep, [100, 100, 100, 100], { chunksize: 1 });
    const items = Array.from({ length: 5000 }, (_, i) => i);
    const results = await pool.map(`${tasks}#square`, items, { chunksize: 1 });
    expect(results).toEqual(items.map((i) => i * i));
    const lanes = new Set(pool.summaries(5, 5000).map((task) => task.lane));
    expect(lanes.size).toBeGreaterThan(1);
    await pool.terminate();
  });
});
