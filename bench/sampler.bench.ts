import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { RunRecord } from '../contract';
import { Engine } from '../main/engine/engine';
import type { Benchmark, Measurement, Ratio } from './harness';

const root = resolve(import.meta.dirname, '..');
/** FORKSCOPE_BENCH_SAMPLER_RUNS / _PROCS / _SECONDS make it smaller for a quick look. */
const runCount = Number(process.env.FORKSCOPE_BENCH_SAMPLER_RUNS ?? 50);
const perRun = Number(process.env.FORKSCOPE_BENCH_SAMPLER_PROCS ?? 20);
const seconds = Number(process.env.FORKSCOPE_BENCH_SAMPLER_SECONDS ?? 5);

const note = (text: string) => process.stderr.write(`  sampler: ${text}\n`);

/** CPU time of this process (user + system) over `ms`, in percent of one core. */
async function cpuPercent(ms: number): Promise<number> {
  const before = process.cpuUsage();
  const started = performance.now();
  await delay(ms);
  const used = process.cpuUsage(before);
  return ((used.user + used.system) / 1000 / (performance.now() - started)) * 100;
}

/**
 * The descendant sampler's cost: every run's tree is followed from its start, so with 50 live
 * runs of 20 processes each (a shell and its 19 sleeps) the engine's process spends this much
 * of one core on it — the engine's CPU with the sampler running, minus the same engine's CPU
 * with the same processes alive and the sampler stopped.
 */
const bench: Benchmark = {
  name: 'sampler',
  description: `descendant sampler CPU with ${runCount} live runs of ${perRun} processes`,
  async run() {
    if (process.platform !== 'linux') {
      note('skipped: the /proc sampler is Linux only (elsewhere ps-list every 500 ms)');
      return { measurements: [], ratios: [] };
    }
    const dir = mkdtempSync(join(tmpdir(), 'forkscope-bench-sampler-'));
    const engine = new Engine({
      logDir: join(dir, 'logs'),
      childDir: join(root, 'out', 'main'),
      baseDir: root,
    });
    const measurements: Measurement[] = [];
    const ratios: Ratio[] = [];
    try {
      const script = `for i in $(seq ${perRun - 1}); do sleep 600 & done; wait`;
      const runs: RunRecord[] = [];
      for (let index = 0; index < runCount; index++) {
        runs.push(
          await engine.launch({ program: 'sh', args: ['-c', script], shell: false, closeStdin: true }),
        );
      }
      const deadline = Date.now() + 60_000;
      const counted = () =>
        runs.reduce(
          (sum, run) =>
            sum + engine.system.tracker.info(run.id).lanes.filter((lane) => lane.end === null).length,
          0,
        );
      while (counted() < runCount * perRun && Date.now() < deadline) await delay(100);
      const seen = counted();
      note(`${seen} live processes followed in ${runCount} runs`);
      measurements.push({
        subject: `processes followed (${runCount} runs × ${perRun})`,
        value: seen,
        unit: 'processes',
      });
      // Past their first second the processes are re-read on the budget (the young every tick).
      await delay(1500);
      const on = await cpuPercent(seconds * 1000);
      engine.system.tracker.stop();
      await delay(200);
      const off = await cpuPercent(seconds * 1000);
      const sampler = Math.max(0, on - off);
      note(`engine CPU ${on.toFixed(2)} % with the sampler, ${off.toFixed(2)} % without`);
      measurements.push(
        { subject: 'engine CPU with the sampler', value: on, unit: '% of one core' },
        { subject: 'engine CPU, sampler stopped', value: off, unit: '% of one core' },
      );
      ratios.push({ name: `sampler-cpu-${runCount}x${perRun}-percent`, value: sampler, op: '<=', target: 5 });
    } finally {
      await engine.shutdown();
      rmSync(dir, { recursive: true, force: true });
    }
    return { measurements, ratios };
  },
};

export default bench;
