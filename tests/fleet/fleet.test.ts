/**
 * Distributed pools on a real redis-server and real worker agents (separate processes, each with
 * its own --name standing for a host). Nothing is mocked: BullMQ, ioredis, the agents' engines.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDistributedPool, type DistributedPool } from '../../main/engine/fleet';
import { jobLog, poolsOf } from '../../main/engine/pool';
import { createTestEngine, eventually } from '../support/engine';
import { redisMissing, startAgent, startRedis, type TestAgent, type TestRedis } from '../support/fleet';

const skipReason = redisMissing();

describe.skipIf(skipReason !== null)(
  `distributed pools on BullMQ${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    const engine = createTestEngine();
    const pools = poolsOf(engine);
    let redis: TestRedis;
    const agents: TestAgent[] = [];

    beforeAll(async () => {
      redis = await startRedis();
    });
    afterAll(async () => {
      // Agents first (they would wait for Redis forever), then the pools' connections, then Redis.
      await Promise.all(agents.map((agent) => agent.stop(3000).catch(() => {})));
      await engine.shutdown();
      await redis?.stop();
    });

    const spawnAgents = async (queue: string, names: string[], concurrency: number, stallMs = 2000) => {
      const started = await Promise.all(
        names.map((name) => startAgent({ redis: redis.url, name, concurrency, queue, stallMs })),
      );
      agents.push(...started);
      return started;
    };

    /** Each task appends a line to its own file once it has run to the end: the count is the proof. */
    const marker = (sleep: string) => {
      const dir = mkdtempSync(join(tmpdir(), 'forkscope-test-fleet-'));
      return { dir, template: ['sh', '-c', `sleep ${sleep}; echo "$0" >> ${dir}/{}`, 'ran'] };
    };
    const runsPerInput = (dir: string) =>
      Object.fromEntries(
        readdirSync(dir).map((name) => [
          name,
          readFileSync(join(dir, name), 'utf8').trim().split('\n').length,
        ]),
      );
    const finish = async (pool: DistributedPool, timeoutMs: number) => {
      pool.close();
      await pool.join(timeoutMs);
      return pool.record();
    };

    it('200 command tasks over 3 agents with K=2: each runs once, every result comes back, lanes per host', async () => {
      const hosts = ['alpha', 'bravo', 'charlie'];
      await spawnAgents('q200', hosts, 2);
      const { dir, template } = marker('0.01');
      const inputs = Array.from({ length: 200 }, (_, i) => `t${i + 1}`);
      const pool = await createDistributedPool(pools, { redis: redis.url, queue: 'q200', template, inputs });
      const record = await finish(pool, 80_000);

      expect(record).toMatchObject({
        kind: 'distributed',
        state: 'done',
        counts: { total: 200, done: 200, failed: 0 },
      });
      // Exactly once: 200 files of one line each.
      const runs = runsPerInput(dir);
      expect(Object.keys(runs)).toHaveLength(200);
      expect(Object.values(runs).every((count) => count === 1)).toBe(true);
      // Results: exit 0, the host that ran it, where its full logs are on that host.
      for (const task of pool.tasks) {
        expect(task.result).toMatchObject({ exitcode: 0 });
        expect(hosts).toContain(task.summary().host);
      }
      // Lanes are host:pid slots: at most K=2 per agent, every host present, each lane named by its host.
      const byHost = new Map<string, number>();
      for (const lane of record.lanes) byHost.set(lane.host!, (byHost.get(lane.host!) ?? 0) + 1);
      expect([...byHost.keys()].sort()).toEqual(hosts);
      for (const count of byHost.values()) expect(count).toBeLessThanOrEqual(2);
      // The agents' health came with the record.
      expect(record.agents!.map((agent) => agent.name).sort()).toEqual(hosts);
      expect(record.agents!.every((agent) => agent.state === 'working' && agent.concurrency === 2)).toBe(
        true,
      );
      // The job log names the host with the pid.
      expect(jobLog(pool).split('\n')[1]).toMatch(/^\d+\t(alpha|bravo|charlie):\d+\t/);
      expect(pool.detail(1).output.at(-1)?.text).toMatch(/full logs on (alpha|bravo|charlie): \//);
    }, 100_000);

    it('SIGKILL an agent mid-task: its task runs again on another agent within the stall interval, once to the end', async () => {
      const stallMs = 2000;
      const [victim, survivor] = await spawnAgents('qkill', ['doomed', 'steady'], 1, stallMs);
      const { dir, template } = marker('1');
      const inputs = Array.from({ length: 6 }, (_, i) => `k${i + 1}`);
      const pool = await createDistributedPool(pools, { redis: redis.url, queue: 'qkill', template, inputs });
      const victimTask = (await eventually(
        () => pool.tasks.find((task) => task.state === 'running' && task.summary().host === 'doomed'),
        20_000,
        'a task running on the doomed agent',
      ))!;
      const killedAt = Date.now();
      victim!.process.kill('SIGKILL');
      await eventually(
        () => victimTask.summary().host === 'steady' && victimTask.state !== 'queued',
        20_000,
        'the retry',
      );
      const recovery = victimTask.startedAt! - killedAt;
      const record = await finish(pool, 60_000);

      expect(record.counts).toMatchObject({ total: 6, done: 6, failed: 0 });
      // Back on the survivor, by BullMQ's stall check rather than a timeout of ours: within a few
      // stall intervals even on a loaded machine (the bench measures the ratio itself).
      expect(recovery).toBeLessThanOrEqual(4 * stallMs);
      const summary = victimTask.summary();
      expect(summary.tries).toHaveLength(1);
      expect(summary.tries![0]).toMatchObject({ host: 'doomed', exitcode: null });
      expect(summary.tries![0]!.error).toMatch(/stalled/);
      expect(summary.tries![0]!.lane).not.toBe(summary.lane);
      // Nothing lost, nothing run twice to completion (the killed agent's sh died with it).
      const runs = runsPerInput(dir);
      expect(Object.keys(runs).sort()).toEqual([...inputs].sort());
      expect(Object.values(runs).every((count) => count === 1)).toBe(true);
      // The dead agent is drawn as lost, its lanes as exited.
      await eventually(
        () => pool.record().agents?.find((agent) => agent.name === 'doomed')?.state === 'lost',
        10_000,
        'the agent marked lost',
      );
      expect(survivor).toBeDefined();
    }, 100_000);

    it('Redis stopped and restarted mid-batch: the pool says it is waiting for Redis, then finishes', async () => {
      // Locks outlast the outage, so no job is taken for stalled while Redis is away.
      await spawnAgents('qredis', ['left', 'right'], 2, 20_000);
      const { dir, template } = marker('0.1');
      const inputs = Array.from({ length: 40 }, (_, i) => `r${i + 1}`);
      const pool = await createDistributedPool(pools, {
        redis: redis.url,
        queue: 'qredis',
        template,
        inputs,
      });
      await eventually(() => pool.record().counts.done >= 8, 20_000, 'some tasks done');
      await redis.stop();
      const problem = await eventually(() => pool.record().problem, 10_000, 'the pool to notice');
      expect(problem).toMatch(/^Waiting for Redis at redis:\/\/127\.0\.0\.1:\d+ /);
      const doneDuringOutage = pool.record().counts.done;
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(pool.record().counts.done).toBe(doneDuringOutage);
      await redis.restart();
      const record = await finish(pool, 60_000);
      expect(record).toMatchObject({
        state: 'done',
        problem: null,
        counts: { total: 40, done: 40, failed: 0 },
      });
      const runs = runsPerInput(dir);
      expect(Object.keys(runs)).toHaveLength(40);
      expect(Object.values(runs).every((count) => count === 1)).toBe(true);
    }, 100_000);

    it('a task that fails every time is marked failed with each attempt’s exit code', async () => {
      await spawnAgents('qfail', ['solo'], 2);
      const pool = await createDistributedPool(pools, {
        redis: redis.url,
        queue: 'qfail',
        template: ['sh', '-c', 'exit {}'],
        retries: 2,
        backoffMs: 50,
        inputs: ['3', '0'],
      });
      const record = await finish(pool, 30_000);
      expect(record.counts).toMatchObject({ total: 2, done: 1, failed: 1 });
      const failed = pool.task(1).summary();
      expect(failed.state).toBe('failed');
      expect(failed.attempts).toBe(3);
      expect(failed.tries!.map((attempt) => attempt.exitcode)).toEqual([3, 3, 3]);
      expect(failed.error).toMatch(/exit codes: 3, 3, 3/);
    }, 60_000);

    it('a Redis nobody answers at fails Create pool in a sentence and leaves no pool', async () => {
      const before = pools.list().length;
      await expect(
        createDistributedPool(pools, { redis: 'redis://127.0.0.1:1', template: ['true'], inputs: ['x'] }),
      ).rejects.toThrow(/Redis at redis:\/\/127\.0\.0\.1:1 did not answer within 5 s .*Is it running\?/);
      expect(pools.list()).toHaveLength(before);
    }, 20_000);
  },
);
