import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Engine } from '../main/engine/engine';
import { createDistributedPool } from '../main/engine/fleet';
import { poolsOf } from '../main/engine/pool';
import { findRedisServer, startAgent, startRedis, type TestAgent } from '../tests/support/fleet';
import type { Benchmark, Measurement, Ratio } from './harness';

const root = resolve(import.meta.dirname, '..');
const tasks = 2000;
const stallMs = 2000;

function parallelTrue(count: number): Promise<number> {
  return new Promise((done, fail) => {
    const started = performance.now();
    const child = spawn(
      'parallel',
      ['-j4', 'true', ':::', ...Array.from({ length: count }, (_, i) => String(i))],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let errors = '';
    child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    child.once('error', fail);
    child.once('exit', (code) =>
      code === 0 ? done(performance.now() - started) : fail(new Error(`parallel exited ${code}: ${errors}`)),
    );
  });
}

/**
 * The price of a durable queue: 2,000 `true` tasks on 2 local agents (K = 2 each, 4 in all) beside
 * the local command pool with K = 4 and GNU parallel -j4; then how long a SIGKILLed agent's task
 * takes to start again elsewhere, against the stall interval the agents were given.
 */
const benchmark: Benchmark = {
  name: 'fleet',
  description: 'distributed pool (BullMQ on a local redis-server) vs command pool and GNU parallel',
  async run() {
    const found = findRedisServer();
    if ('missing' in found) throw new Error(`fleet bench skipped: ${found.missing}`);
    const engine = new Engine({
      logDir: mkdtempSync(join(tmpdir(), 'forkscope-test-bench-')),
      childDir: join(root, 'out', 'main'),
    });
    const pools = poolsOf(engine);
    const redis = await startRedis();
    const agents: TestAgent[] = [];
    try {
      const inputs = Array.from({ length: tasks }, (_, i) => String(i));
      // Local command pool, K = 4.
      let started = performance.now();
      const local = await pools.createCommandPool({ template: ['true'], concurrency: 4, inputs });
      local.close();
      await local.join(600_000);
      const localMs = performance.now() - started;

      for (const name of ['bench-a', 'bench-b']) {
        agents.push(await startAgent({ redis: redis.url, name, concurrency: 2, queue: 'bench', stallMs }));
      }
      started = performance.now();
      const fleet = await createDistributedPool(pools, {
        redis: redis.url,
        queue: 'bench',
        template: ['true'],
        inputs,
      });
      fleet.close();
      await fleet.join(600_000);
      const fleetMs = performance.now() - started;
      const fleetDone = fleet.record().counts.done;
      if (fleetDone !== tasks)
        throw new Error(`the distributed pool finished ${fleetDone} of ${tasks} tasks`);

      const parallelMs = await parallelTrue(tasks);

      // Recovery: one task per agent, one agent SIGKILLed while its task runs.
      const recovery = await createDistributedPool(pools, {
        redis: redis.url,
        queue: 'bench',
        template: ['sleep', '{}'],
        inputs: ['3', '3'],
      });
      const deadline = Date.now() + 20_000;
      let victim: { agent: TestAgent; task: (typeof recovery.tasks)[number] } | null = null;
      while (!victim && Date.now() < deadline) {
        const task = recovery.tasks.find((t) => t.state === 'running' && t.summary().host === 'bench-a');
        if (task) victim = { agent: agents[0]!, task };
        else await new Promise((r) => setTimeout(r, 20));
      }
      if (!victim) throw new Error('no task started on bench-a');
      const killedAt = Date.now();
      victim.agent.process.kill('SIGKILL');
      recovery.close();
      await recovery.join(60_000);
      const recoveryMs = victim.task.startedAt! - killedAt;

      const rate = (ms: number) => tasks / (ms / 1000);
      const measurements: Measurement[] = [
        {
          subject: `distributed pool, 2 agents × K=2 (${tasks} × true)`,
          value: rate(fleetMs),
          unit: 'tasks/s',
        },
        { subject: `command pool, K=4 (${tasks} × true)`, value: rate(localMs), unit: 'tasks/s' },
        { subject: `GNU parallel -j4 (${tasks} × true)`, value: rate(parallelMs), unit: 'tasks/s' },
        {
          subject: `recovery after an agent's SIGKILL (stall interval ${stallMs} ms)`,
          value: recoveryMs,
          unit: 'ms',
        },
      ];
      const ratios: Ratio[] = [
        { name: 'fleet-vs-command-pool', value: localMs / fleetMs, op: '>=', target: 0.5 },
        { name: 'fleet-vs-parallel', value: parallelMs / fleetMs, op: '>=', target: 0.5 },
        { name: 'fleet-recovery-vs-stall-interval', value: recoveryMs / stallMs, op: '<=', target: 1.5 },
      ];
      return { measurements, ratios };
    } finally {
      await Promise.all(agents.map((agent) => agent.stop(3000).catch(() => {})));
      await engine.shutdown();
      await redis.stop();
    }
  },
};

export default benchmark;
