/**
 * Command throughput, GNU parallel's job: the engine's command pool (poolsOf(engine).createCommandPool,
 * every task a real run with its own process, captured output and exit code) against
 * `xargs -P4 -n1` and GNU `parallel -j4` over the same inputs, K = 4, for two workloads:
 * `true` (nothing but spawning) and `gzip -k` of small files (a little work per command).
 *
 * The three take turns (`FORKSCOPE_BENCH_COMMAND_ROUNDS` rounds, median), each timed from the
 * first input handed over to the last command's end. GNU parallel is not installed here by the
 * bench: when it is missing, its ratios are reported as skipped (NaN) with the reason.
 *
 * The engine starts commands through its native spawn helper where it is built (the build
 * compiles it); the same pool through the Node helper, the fallback, is measured in the same
 * run too (a measurement, no target), and the helper in use is named on stderr.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Engine } from '../main/engine/engine';
import { poolsOf } from '../main/engine/pool';
import type { Benchmark, Measurement, Ratio } from './harness';

const root = resolve(import.meta.dirname, '..');
/** 2,000 commands per workload; FORKSCOPE_BENCH_COMMANDS makes it smaller for a quick look. */
const count = Number(process.env.FORKSCOPE_BENCH_COMMANDS ?? 2000);
const rounds = Number(process.env.FORKSCOPE_BENCH_COMMAND_ROUNDS ?? 1);
const K = 4;
const note = (text: string) => process.stderr.write(`  commands: ${text}\n`);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function parallelMissing(): string | null {
  try {
    const version = execFileSync('parallel', ['--version'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return version.startsWith('GNU parallel') ? null : 'the `parallel` found is not GNU parallel';
  } catch {
    return 'GNU parallel is not installed (Debian: apt-get install parallel)';
  }
}

/** An external runner (xargs or parallel) fed the inputs on stdin: commands per second. */
function external(program: string, args: string[], inputs: string[], cwd: string): Promise<number> {
  return new Promise((done, fail) => {
    const start = performance.now();
    const child = execFile(program, args, { cwd, maxBuffer: 16 * 1024 * 1024 }, (error) => {
      if (error) fail(new Error(`${program} ${args.join(' ')} failed: ${error.message}`));
      else done(inputs.length / ((performance.now() - start) / 1000));
    });
    child.stdin!.end(`${inputs.join('\n')}\n`);
  });
}

/**
 * The engine's CPU per command (ms, this process: the engine's side only, not the helper's nor the
 * commands'), per engine, from its last pool: less at the mercy of other work on the machine than
 * the rates are.
 */
const cpuPerCommand = new Map<Engine, number[]>();

/** The engine's command pool over the inputs, K at a time: commands per second. */
async function enginePool(
  engine: Engine,
  template: string[],
  inputs: string[],
  cwd: string,
): Promise<number> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const pool = await poolsOf(engine).createCommandPool({ template, concurrency: K, inputs, cwd });
  pool.close();
  await pool.join(600_000);
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  const perCommand = (used.user + used.system) / 1000 / inputs.length;
  cpuPerCommand.set(engine, [...(cpuPerCommand.get(engine) ?? []), perCommand]);
  const { counts } = pool.record();
  engine.clearFinished();
  if (counts.done !== inputs.length)
    throw new Error(
      `command pool ${template.join(' ')}: ${counts.done} of ${inputs.length} done (${JSON.stringify(counts)})`,
    );
  return inputs.length / seconds;
}

/** Which spawn helper an engine started: the native binary's name, or the Node helper's script. */
function helperName(engine: Engine): string {
  const pid = engine.helperPids[0];
  if (pid === undefined) return 'none started';
  try {
    const exe = readlinkSync(`/proc/${pid}/exe`);
    return exe.endsWith('/forkscope-spawn') ? 'native (forkscope-spawn)' : `Node (${exe})`;
  } catch {
    return `pid ${pid}`;
  }
}

const benchmark: Benchmark = {
  name: 'commands',
  description: `command pool (K=${K}) running ${count} \`true\` and ${count} \`gzip -k\` of small files vs xargs -P${K} and GNU parallel -j${K}`,
  async run() {
    const work = mkdtempSync(join(tmpdir(), 'forkscope-bench-commands-'));
    const engine = new Engine({
      logDir: join(work, 'logs'),
      childDir: join(root, 'out', 'main'),
      baseDir: work,
    });
    // The fallback: FORKSCOPE_SPAWN_HELPER is read when the engine is made.
    const saved = process.env.FORKSCOPE_SPAWN_HELPER;
    process.env.FORKSCOPE_SPAWN_HELPER = 'node';
    const nodeHelperEngine = new Engine({
      logDir: join(work, 'logs-node-helper'),
      childDir: join(root, 'out', 'main'),
      baseDir: work,
    });
    if (saved === undefined) delete process.env.FORKSCOPE_SPAWN_HELPER;
    else process.env.FORKSCOPE_SPAWN_HELPER = saved;
    const skipReason = parallelMissing();
    const measurements: Measurement[] = [];
    const ratios: Ratio[] = [];
    try {
      const filesDir = join(work, 'files');
      mkdirSync(filesDir);
      const trueInputs = Array.from({ length: count }, (_, i) => String(i));
      const files = Array.from({ length: count }, (_, i) => `f${i}.txt`);
      // Small files, a few KB of compressible text each.
      for (const [i, file] of files.entries())
        writeFileSync(join(filesDir, file), `line ${i} of a small file to compress\n`.repeat(50 + (i % 100)));
      const clearGz = () => {
        for (const name of readdirSync(filesDir)) if (name.endsWith('.gz')) rmSync(join(filesDir, name));
      };

      const workloads = [
        { name: 'true', template: ['true'], inputs: trueInputs, cwd: work, before: () => {} },
        { name: 'gzip', template: ['gzip', '-k', '{}'], inputs: files, cwd: filesDir, before: clearGz },
      ];
      // Warm up: the spawn helpers start, the JIT settles.
      await enginePool(engine, ['true'], trueInputs.slice(0, 50), work);
      await enginePool(nodeHelperEngine, ['true'], trueInputs.slice(0, 50), work);
      note(`spawn helper: ${helperName(engine)}; the fallback: ${helperName(nodeHelperEngine)}`);
      for (const workload of workloads) {
        cpuPerCommand.clear();
        const figures = {
          engine: [] as number[],
          'engine, Node helper': [] as number[],
          xargs: [] as number[],
          parallel: [] as number[],
        };
        const contenders: [keyof typeof figures, () => Promise<number>][] = [
          ['engine', () => enginePool(engine, workload.template, workload.inputs, workload.cwd)],
          [
            'engine, Node helper',
            () => enginePool(nodeHelperEngine, workload.template, workload.inputs, workload.cwd),
          ],
          [
            'xargs',
            () =>
              external(
                'xargs',
                [`-P${K}`, '-n1', ...(workload.name === 'gzip' ? ['gzip', '-k'] : ['true'])],
                workload.inputs,
                workload.cwd,
              ),
          ],
        ];
        if (!skipReason)
          contenders.push([
            'parallel',
            () =>
              external(
                'parallel',
                ['--will-cite', `-j${K}`, ...workload.template],
                workload.inputs,
                workload.cwd,
              ),
          ]);
        for (let round = 0; round < rounds; round++) {
          // Who goes first rotates from round to round.
          for (let turn = 0; turn < contenders.length; turn++) {
            const [who, measure] = contenders[(turn + round) % contenders.length]!;
            workload.before();
            const rate = await measure();
            const ran = who === 'engine' ? engine : who === 'engine, Node helper' ? nodeHelperEngine : null;
            const cpu = ran
              ? `, the engine's CPU ${cpuPerCommand.get(ran)!.at(-1)!.toFixed(2)} ms per command`
              : '';
            note(`${workload.name}, ${who}: ${rate.toFixed(0)} commands/s${cpu}`);
            figures[who].push(rate);
          }
        }
        const ours = median(figures.engine);
        const xargs = median(figures.xargs);
        const what = workload.name === 'true' ? '`true`' : '`gzip -k` of a small file';
        measurements.push(
          { subject: `engine command pool K=${K}, ${count} × ${what}`, value: ours, unit: 'commands/s' },
          {
            subject: `  the engine's CPU per command (its process only)`,
            value: median(cpuPerCommand.get(engine)!),
            unit: 'ms',
          },
          {
            subject: `  the same through the Node spawn helper (fallback)`,
            value: median(figures['engine, Node helper']),
            unit: 'commands/s',
          },
          { subject: `xargs -P${K} -n1, ${count} × ${what}`, value: xargs, unit: 'commands/s' },
        );
        ratios.push({
          name: `command-pool-${workload.name}-vs-xargs`,
          value: ours / xargs,
          op: '>=',
          target: 0.5,
        });
        if (skipReason) {
          note(`command-pool-${workload.name}-vs-parallel skipped: ${skipReason}`);
          measurements.push({ subject: `GNU parallel -j${K}: SKIPPED, ${skipReason}`, value: NaN, unit: '' });
          ratios.push({
            name: `command-pool-${workload.name}-vs-parallel`,
            value: NaN,
            op: '>=',
            target: 1.0,
            skipped: skipReason,
          });
        } else {
          const parallel = median(figures.parallel);
          measurements.push({
            subject: `GNU parallel -j${K}, ${count} × ${what}`,
            value: parallel,
            unit: 'commands/s',
          });
          ratios.push({
            name: `command-pool-${workload.name}-vs-parallel`,
            value: ours / parallel,
            op: '>=',
            target: 1.0,
          });
        }
      }
    } finally {
      await engine.shutdown();
      await nodeHelperEngine.shutdown();
      rmSync(work, { recursive: true, force: true });
    }
    return { measurements, ratios };
  },
};

export default benchmark;
