import { afterAll, describe, expect, it } from 'vitest';
import { jobLog, poolsOf } from '../../main/engine/pool';
import { createTestEngine } from '../support/engine';

const engine = createTestEngine();
const pools = poolsOf(engine);
afterAll(() => engine.shutdown());

const inputs = Array.from({ length: 20 }, (_, i) => String(i + 1));
const stdoutOf = (pool: Awaited<ReturnType<typeof pools.createCommandPool>>, id: number) =>
  pool
    .detail(id)
    .output.filter((line) => line.stream === 'stdout')
    .map((line) => line.text)
    .join('\n');

describe('command pools (GNU parallel style)', () => {
  it('20 × sh -c "echo {}; sleep 0.1" with K=4 and keep-order: 20 outputs in input order, and a job log', async () => {
    const pool = await pools.createCommandPool({
      template: ['sh', '-c', 'echo {}; sleep 0.$(( {} % 3 ))'],
      concurrency: 4,
      keepOrder: true,
      inputs,
    });
    pool.close();
    await pool.join(60_000);
    expect(pool.record()).toMatchObject({ state: 'done', counts: { total: 20, done: 20, failed: 0 } });
    expect(pool.released.map((task) => stdoutOf(pool, task.id))).toEqual(inputs);
    // At most K at once: every task ran in one of 4 slots.
    expect(new Set(pool.tasks.map((task) => task.lane))).toEqual(new Set([0, 1, 2, 3]));
    // Each task is a real run of its own, linked to the pool.
    const runs = new Set(pool.tasks.map((task) => task.run!.id));
    expect(runs.size).toBe(20);
    expect(pool.tasks[0]!.run!.snapshot().parentId).toBe(pool.id);

    const log = jobLog(pool).trim().split('\n');
    expect(log[0]).toBe('Seq\tWorker\tStarttime\tJobRuntime\tExitval\tSignal\tCommand');
    expect(log).toHaveLength(21);
    expect(log.slice(1).map((row) => row.split('\t')[0])).toEqual(inputs);
    expect(log[1]).toMatch(
      /^1\t\d+\t\d+\.\d{3}\t\d+\.\d{3}\t0\t0\tsh -c 'echo 1; sleep 0\.\$\(\( 1 % 3 \)\)'$/,
    );
  });

  it('the exact acceptance: sh -c "echo {}; sleep 0.1", K=4', async () => {
    const pool = await pools.createCommandPool({
      template: ['sh', '-c', 'echo {}; sleep 0.1'],
      concurrency: 4,
      inputs,
    });
    pool.close();
    await pool.join(60_000);
    const outputs = pool.tasks.map((task) => stdoutOf(pool, task.id));
    expect(outputs).toEqual(inputs);
    expect(pool.released).toHaveLength(20);
  });

  it('halt soon: the first failure starts no new task', async () => {
    const pool = await pools.createCommandPool({
      template: ['sh', '-c', 'test {} -ne 3 && sleep 0.05'],
      concurrency: 1,
      halt: 'soon',
      inputs: ['1', '2', '3', '4', '5', '6'],
    });
    pool.close();
    await pool.join(30_000);
    const states = pool.tasks.map((task) => task.state);
    expect(states).toEqual(['done', 'done', 'failed', 'cancelled', 'cancelled', 'cancelled']);
    expect(pool.record().problem).toMatch(/Halted after task 3 failed/);
    expect(pool.task(3).exitcode).toBe(1);
    expect(() => pool.add(['7'])).toThrow(/takes no more tasks/);
  });

  it('halt now: the first failure stops the running tasks too', async () => {
    const pool = await pools.createCommandPool({
      template: ['sh', '-c', 'if [ {} = fail ]; then sleep 0.2; exit 2; fi; sleep 30'],
      concurrency: 3,
      halt: 'now',
      inputs: ['slow1', 'slow2', 'fail', 'never'],
    });
    pool.close();
    await pool.join(30_000);
    expect(pool.tasks.map((task) => task.state)).toEqual(['cancelled', 'cancelled', 'failed', 'cancelled']);
  });

  it('retries a failing task N times, then reports it failed with its exit code', async () => {
    const pool = await pools.createCommandPool({
      template: ['sh', '-c', 'echo try; exit {}'],
      concurrency: 2,
      retries: 2,
      inputs: ['0', '4'],
    });
    pool.close();
    await pool.join(30_000);
    expect(pool.task(1)).toMatchObject({ state: 'done', attempts: 1 });
    expect(pool.task(2)).toMatchObject({ state: 'failed', attempts: 3, exitcode: 4 });
  });

  it('a missing program fails its task with "command not found", and the pool goes on', async () => {
    const pool = await pools.createCommandPool({
      template: ['no-such-program-xyz', '{}'],
      concurrency: 2,
      inputs: ['a'],
    });
    pool.add(['b']);
    pool.close();
    await pool.join(30_000);
    expect(pool.task(1).failure).toMatchObject({ code: 'command-not-found' });
    expect(pool.record().counts.failed).toBe(2);
  });
});
