import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Engine } from '../main/engine/engine';
import { poolsOf, TaskFailedError } from '../main/engine/pool';
import type { Benchmark, Measurement, Ratio } from './harness';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '..');
const tasks = join(root, 'main', 'engine', 'examples', 'programs', 'pool-tasks.js');
const square = `${tasks}#square`;

const sizes = { applyAsync: 30_000, map: 2_000_000, roundtrip: 2_000 };
const hangLimitS = 5;

interface PythonFigures {
  apply_async: number;
  map: number;
  roundtrip_us: number;
}

async function python(script: string, args: (string | number)[], timeoutMs: number): Promise<unknown> {
  const { stdout } = await run('python3', [join(root, 'bench', 'python', script), ...args.map(String)], {
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
  });
  return JSON.parse(stdout.trim().split('\n').pop()!);
}

async function forkscope(engine: Engine) {
  const pool = await poolsOf(engine).createFunctionPool({ workers: 4, label: 'bench Pool(4)' });
  await pool.map(
    square,
    Array.from({ length: 1000 }, (_, i) => i),
  ); // warm up, as Python's

  // Round-trip first, after a warm-up (the JIT's, and the pipes'), as the Python side does.
  for (let i = 0; i < 500; i++) await pool.apply(square, [i]);
  // The median of 10 batches, as the Python side: a burst of load from elsewhere counts once.
  const batches: number[] = [];
  for (let batch = 0; batch < 10; batch++) {
    const began = performance.now();
    for (let i = 0; i < sizes.roundtrip / 10; i++) await pool.apply(square, [i]);
    batches.push(((performance.now() - began) / (sizes.roundtrip / 10)) * 1000);
  }
  const roundtripUs = batches.sort((a, b) => a - b)[5]!;

  let start = performance.now();
  start = performance.now();
  const handles = [];
  for (let i = 0; i < sizes.applyAsync; i++) handles.push(pool.applyAsync(square, [i]));
  for (const handle of handles) await handle.get();
  const applyAsync = sizes.applyAsync / ((performance.now() - start) / 1000);

  const items = Array.from({ length: sizes.map }, (_, i) => i);
  start = performance.now();
  await pool.map(square, items);
  const map = sizes.map / ((performance.now() - start) / 1000);

  await pool.terminate();
  return { applyAsync, map, roundtripUs };
}

/** Forkscope's answer to a SIGKILLed worker: the task fails with pid and signal; the rest go on. */
async function forkscopeKill(engine: Engine) {
  const pool = await poolsOf(engine).createFunctionPool({ workers: 2, label: 'bench kill' });
  await pool.map(square, [1, 2]);
  const victim = pool.applyAsync(`${tasks}#sleep`, [1000, 'victim']);
  const other = pool.applyAsync(`${tasks}#sleep`, [1000, 'other']);
  await new Promise((done) => setTimeout(done, 300));
  const pid = pool.task(victim.id).pid!;
  process.kill(pid, 'SIGKILL');
  const killed = performance.now();
  const failure = await victim.get().catch((error: unknown) => error);
  const failedMs = performance.now() - killed;
  await other.get();
  const after = await pool.apply(square, [9]);
  await pool.terminate();
  const named = failure instanceof TaskFailedError && failure.message.includes(String(pid)) && after === 81;
  return { failedMs, named };
}

const benchmark: Benchmark = {
  name: 'pool',
  description:
    "Forkscope's function pool vs Python's multiprocessing.Pool(4): tiny-task throughput (apply_async one by one, " +
    'chunked map), single-task round-trip, and what happens when a worker is SIGKILLed mid-task.',
  async run() {
    const engine = new Engine({
      logDir: mkdtempSync(join(tmpdir(), 'forkscope-bench-pool-')),
      childDir: join(root, 'out', 'main'),
      baseDir: root,
      graceMs: 1000,
    });
    try {
      const py = (await python(
        'pool_bench.py',
        [sizes.applyAsync, sizes.map, sizes.roundtrip],
        300_000,
      )) as PythonFigures;
      const ours = await forkscope(engine);
      const pyHang = (await python('pool_hang.py', [hangLimitS], (hangLimitS + 20) * 1000)) as {
        hung: boolean;
        waited_ms: number;
      };
      const ourKill = await forkscopeKill(engine);

      const measurements: Measurement[] = [
        {
          subject: `python Pool(4).apply_async × ${sizes.applyAsync}, one by one`,
          value: py.apply_async,
          unit: 'tasks/s',
        },
        {
          subject: `forkscope pool.applyAsync × ${sizes.applyAsync}, one by one`,
          value: ours.applyAsync,
          unit: 'tasks/s',
        },
        { subject: `python Pool(4).map over ${sizes.map} (default chunks)`, value: py.map, unit: 'tasks/s' },
        {
          subject: `forkscope pool.map over ${sizes.map} (default chunks)`,
          value: ours.map,
          unit: 'tasks/s',
        },
        { subject: 'python Pool.apply round-trip', value: py.roundtrip_us, unit: 'µs' },
        { subject: 'forkscope pool.apply round-trip', value: ours.roundtripUs, unit: 'µs' },
        {
          subject: pyHang.hung
            ? `python Pool, worker SIGKILLed mid-task: result never came (gave up after ${hangLimitS} s)`
            : 'python Pool, worker SIGKILLed mid-task: result came',
          value: pyHang.waited_ms,
          unit: 'ms',
        },
        {
          subject: `forkscope pool, worker SIGKILLed mid-task: task failed${ourKill.named ? ' naming pid and signal' : ''}, rest finished`,
          value: ourKill.failedMs,
          unit: 'ms',
        },
      ];
      const ratios: Ratio[] = [
        {
          name: 'pool-apply-async-vs-python',
          value: ours.applyAsync / py.apply_async,
          op: '>=',
          target: 2.0,
        },
        { name: 'pool-map-vs-python', value: ours.map / py.map, op: '>=', target: 0.5 },
        {
          name: 'pool-roundtrip-vs-python',
          value: ours.roundtripUs / py.roundtrip_us,
          op: '<=',
          target: 0.3,
        },
        // Python's wait is a lower bound (it would wait forever): any finite answer is far below it.
        {
          name: 'pool-killed-worker-vs-python',
          value: ourKill.failedMs / pyHang.waited_ms,
          op: '<=',
          target: 0.2,
        },
      ];
      return { measurements, ratios };
    } finally {
      await engine.shutdown();
    }
  },
};

export default benchmark;
