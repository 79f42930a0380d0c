/**
 * Item 4 of issue 9: how many processes of the trees survive serve mode — after SIGINT
 * (its own shutdown) and after SIGKILL (the watchdog's sweep, counted 5 s later). Target: none.
 * Also what containment costs a launch: the same 300 launches with a cgroup per run and with the
 * fallback (process groups + marker).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../main/engine/engine';
import {
  killSurvivors,
  startServeWith,
  startTrees,
  survivors,
  uniqueDuration,
} from '../tests/reliability/serve-child';
import type { Benchmark, Measurement, Ratio } from './harness';

const root = join(import.meta.dirname, '..');

async function trees(
  signal: NodeJS.Signals,
): Promise<{ survivors: number; started: number; cleanMs: number; mode: string }> {
  const serve = await startServeWith();
  const duration = uniqueDuration();
  try {
    const { info, processes: started } = await startTrees(serve, duration, { setsid: 5, doubleForks: 3 });
    const stopped = Date.now();
    await serve.stop(signal);
    let left = survivors(duration).length;
    if (signal === 'SIGKILL') {
      const until = Date.now() + 5000;
      while (left > 0 && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 50));
        left = survivors(duration).length;
      }
    }
    return { survivors: left, started, cleanMs: Date.now() - stopped, mode: info.containment.mode };
  } finally {
    await serve.stop('SIGKILL');
    killSurvivors(duration);
  }
}

async function launchCost(mode: 'cgroup' | 'groups'): Promise<number> {
  const saved = process.env.FORKSCOPE_CONTAINMENT;
  if (mode === 'groups') process.env.FORKSCOPE_CONTAINMENT = 'groups';
  else delete process.env.FORKSCOPE_CONTAINMENT;
  const engine = new Engine({
    logDir: mkdtempSync(join(tmpdir(), 'forkscope-bench-')),
    childDir: join(root, 'out', 'main'),
    baseDir: root,
  });
  if (saved === undefined) delete process.env.FORKSCOPE_CONTAINMENT;
  else process.env.FORKSCOPE_CONTAINMENT = saved;
  try {
    if (engine.hostInfo().containment.mode !== mode) return NaN;
    const launch = () => engine.launch({ program: 'true', args: [], shell: false, closeStdin: true });
    await engine.join((await launch()).id);
    const started = performance.now();
    const runs = [];
    for (let i = 0; i < 300; i++) runs.push(await launch());
    await Promise.all(runs.map((run) => engine.join(run.id)));
    return (performance.now() - started) / 300;
  } finally {
    await engine.shutdown();
  }
}

const benchmark: Benchmark = {
  name: 'reliability-containment',
  description: 'processes left behind by serve mode after SIGINT and SIGKILL (issue 9, item 4)',
  async run() {
    const sigint = await trees('SIGINT');
    const sigkill = await trees('SIGKILL');
    const cgroupMs = await launchCost('cgroup');
    const groupsMs = await launchCost('groups');
    const measurements: Measurement[] = [
      {
        subject: `processes started by the trees (containment: ${sigint.mode})`,
        value: sigint.started,
        unit: 'processes',
      },
      { subject: 'survivors after SIGINT of serve mode', value: sigint.survivors, unit: 'processes' },
      { subject: 'SIGINT to nothing left', value: sigint.cleanMs, unit: 'ms' },
      {
        subject: 'survivors after SIGKILL of serve mode (5 s later)',
        value: sigkill.survivors,
        unit: 'processes',
      },
      { subject: 'SIGKILL to nothing left (watchdog)', value: sigkill.cleanMs, unit: 'ms' },
      { subject: 'launch + join of `true`, cgroup per run', value: cgroupMs, unit: 'ms' },
      { subject: 'launch + join of `true`, process groups + marker', value: groupsMs, unit: 'ms' },
    ];
    const ratios: Ratio[] = [
      { name: 'reliability-survivors-sigint', value: sigint.survivors, op: '<=', target: 0 },
      { name: 'reliability-survivors-sigkill', value: sigkill.survivors, op: '<=', target: 0 },
    ];
    return { measurements, ratios };
  },
};

export default benchmark;
