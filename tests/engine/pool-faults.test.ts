import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { poolsOf, TaskFailedError } from '../../main/engine/pool';
import { createTestEngine, eventually, projectRoot } from '../support/engine';

const tasks = join(projectRoot, 'main', 'engine', 'examples', 'programs', 'pool-tasks.js');
const fn = (name: string) => `${tasks}#${name}`;

const engine = createTestEngine();
const pools = poolsOf(engine);
afterAll(() => engine.shutdown());

/** Is the process there and not a zombie? (This sandbox's PID 1 does not reap orphans.) */
function alive(pid: number): boolean {
  try {
    const state = execFileSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' }).trim();
    return state !== '' && !state.startsWith('Z');
  } catch {
    return false;
  }
}

describe('a pool never hangs', () => {
  it('SIGKILL of a worker mid-task fails that task at once with pid and signal; a new worker finishes the rest', async () => {
    const pool = await pools.createFunctionPool({ workers: 2 });
    const victim = pool.applyAsync(fn('hang'), []);
    const rest = Array.from({ length: 8 }, (_, i) => pool.applyAsync(fn('sleep'), [50, i]));
    const worker = (await eventually(
      () => {
        const task = pool.task(victim.id);
        return task.state === 'running' && task.pid ? task.pid : null;
      },
      10_000,
      'the hanging task to start',
    ))!;
    const killedAt = Date.now();
    process.kill(worker, 'SIGKILL');
    const failure = await victim.get().catch((error: unknown) => error);
    const failedAfter = Date.now() - killedAt;
    expect(failure).toBeInstanceOf(TaskFailedError);
    expect((failure as TaskFailedError).failure.code).toBe('worker-died');
    expect((failure as TaskFailedError).message).toContain(`pid ${worker}`);
    expect((failure as TaskFailedError).message).toContain('SIGKILL');
    // "within 1 s" is the acceptance; the bound here is generous for a loaded 2-core machine.
    expect(failedAfter).toBeLessThan(5000);
    expect(await Promise.all(rest.map((handle) => handle.get()))).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    const lanes = pool.record().lanes;
    expect(lanes).toHaveLength(3);
    expect(lanes.find((lane) => lane.pid === worker)).toMatchObject({ state: 'exited', replacedBy: 2 });
    pool.close();
    await pool.join(10_000);
  });

  it('a worker that exits mid-task (process.exit) fails that task with its exit code', async () => {
    const pool = await pools.createFunctionPool({ workers: 1 });
    const crashed = await pool.apply(fn('crash'), [7]).catch((error: unknown) => error);
    expect((crashed as TaskFailedError).failure.code).toBe('worker-died');
    expect((crashed as TaskFailedError).message).toMatch(/exit code 7/);
    expect(await pool.apply(fn('square'), [3])).toBe(9);
    await pool.terminate();
  });

  it('a task past its timeout fails and its worker is replaced', async () => {
    const pool = await pools.createFunctionPool({ workers: 1, taskTimeoutMs: 300 });
    const hung = pool.applyAsync(fn('hang'), []);
    const after = pool.applyAsync(fn('square'), [5]);
    const failure = await hung.get().catch((error: unknown) => error);
    expect((failure as TaskFailedError).failure.code).toBe('timeout');
    expect((failure as TaskFailedError).message).toMatch(/timeout of 300 ms/);
    expect(await after.get()).toBe(25);
    const lanes = pool.record().lanes;
    expect(lanes).toHaveLength(2);
    expect(lanes[0]!.replacedBy).toBe(1);
    // A per-task timeout overrides the pool's.
    expect(await pool.apply(fn('sleep'), [500, 'slow but allowed'], { timeoutMs: 5000 })).toBe(
      'slow but allowed',
    );
    await pool.terminate();
  });

  it('workers that crash on start degrade the pool: submits fail fast with a clear error', async () => {
    const pool = await pools.createFunctionPool({ workers: 2, initializer: fn('badInit') });
    const queued = pool.applyAsync(fn('square'), [2]);
    const failure = await queued.get().catch((error: unknown) => error);
    expect((failure as TaskFailedError).failure.code).toBe('degraded');
    expect(pool.record().state).toBe('degraded');
    expect(pool.record().problem).toMatch(/crashed on start 3 times in a row.*initializer failed on purpose/);
    expect(() => pool.applyAsync(fn('square'), [2])).toThrow(/degraded/);
    await pool.terminate();
  });

  it('terminate stops every worker tree and cancels what is left: no orphan, no zombie', async () => {
    const pool = await pools.createFunctionPool({ workers: 3 });
    const handles = Array.from({ length: 6 }, () => pool.applyAsync(fn('hang'), []));
    await eventually(() => pool.record().counts.running === 3, 10_000, 'three running tasks');
    const pids = pool.workerPids;
    expect(pids).toHaveLength(3);
    await pool.terminate();
    for (const handle of handles) await expect(handle.get()).rejects.toMatchObject({ code: 'cancelled' });
    expect(pool.record().state).toBe('terminated');
    expect(pool.record().counts.cancelled).toBe(6);
    for (const pid of pids) await eventually(() => !alive(pid), 5000, `worker ${pid} to be gone`);
  });
});
