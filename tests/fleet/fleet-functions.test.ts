/**
 * Function tasks on worker agents: a distributed pool whose tasks call `module#export` on the
 * agents' hosts (the module must be there), each call a Process of the agent's own engine. Real
 * redis-server, real agents as separate processes; nothing mocked.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDistributedPool, type DistributedPool } from '../../main/engine/fleet';
import { poolsOf } from '../../main/engine/pool';
import { createTestEngine, fixturesDir } from '../support/engine';
import { redisMissing, startAgent, startRedis, type TestAgent, type TestRedis } from '../support/fleet';

const skipReason = redisMissing();
const targets = join(fixturesDir, 'targets.js');

describe.skipIf(skipReason !== null)(
  `function tasks on worker agents${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    const engine = createTestEngine();
    const pools = poolsOf(engine);
    let redis: TestRedis;
    const agents: TestAgent[] = [];

    beforeAll(async () => {
      redis = await startRedis();
      agents.push(
        ...(await Promise.all(
          ['north', 'south'].map((name) =>
            startAgent({ redis: redis.url, name, concurrency: 2, queue: 'fn' }),
          ),
        )),
      );
    });
    afterAll(async () => {
      await Promise.all(agents.map((agent) => agent.stop(3000).catch(() => {})));
      await engine.shutdown();
      await redis?.stop();
    });

    const finish = async (pool: DistributedPool) => {
      pool.close();
      await pool.join(60_000);
      return pool.record();
    };

    it('calls the function once per item on the agents and keeps each return value, with its host', async () => {
      const items = Array.from({ length: 12 }, (_, i) => (i + 1) * 10);
      const pool = await createDistributedPool(pools, {
        redis: redis.url,
        queue: 'fn',
        target: `${targets}#sleeps`,
        items,
      });
      // More through pools.submit's path: the same target only, one call per job.
      pool.submit(`${targets}#sleeps`, [5], { star: false });
      expect(() => pool.submit(`${targets}#add`, [1], { star: false })).toThrow(/calls .*#sleeps, not/);
      expect(() => pool.add(['x'])).toThrow(/runs a function/);

      const record = await finish(pool);
      expect(record).toMatchObject({ kind: 'distributed', state: 'done', counts: { total: 13, done: 13 } });
      expect(record.options.targets).toEqual([`${targets}#sleeps`]);
      expect(pool.tasks.map((task) => task.result)).toEqual([...items, 5].map((ms) => `slept ${ms}`));
      const hosts = new Set(pool.tasks.map((task) => task.summary().host));
      for (const host of hosts) expect(['north', 'south']).toContain(host);
      expect(pool.tasks[0]!.label()).toBe('sleeps(10)');
    });

    it('a call that throws is retried, then failed with what it threw on which host', async () => {
      const pool = await createDistributedPool(pools, {
        redis: redis.url,
        queue: 'fn',
        target: `${targets}#fails`,
        items: ['boom'],
        retries: 1,
        backoffMs: 10,
      });
      const record = await finish(pool);
      expect(record.counts).toMatchObject({ total: 1, failed: 1 });
      const task = pool.tasks[0]!;
      const tries = task.summary().tries ?? [];
      expect(tries).toHaveLength(2);
      expect(tries.every((attempt) => attempt.exitcode === 1)).toBe(true);
      expect(tries[0]!.error).toMatch(/threw RangeError: boom/);
      expect(task.failure?.message).toMatch(/threw RangeError: boom .* on (north|south)/);
    });

    it('a module missing on the agents fails its task saying so', async () => {
      const pool = await createDistributedPool(pools, {
        redis: redis.url,
        queue: 'fn',
        target: '/nonexistent/forkscope-tasks.js#work',
        items: [1],
      });
      await finish(pool);
      expect(pool.tasks[0]!.state).toBe('failed');
      expect(pool.tasks[0]!.failure?.message).toMatch(/forkscope-tasks\.js/);
    });
  },
);
