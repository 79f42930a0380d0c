import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { Engine } from '../main/engine/engine';
import { poolsOf, TaskFailedError, type FunctionPool } from '../main/engine/pool';
import type { Benchmark, Measurement, Ratio } from './harness';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '..');
const tasks = join(root, 'main', 'engine', 'examples', 'programs', 'pool-tasks.js');
const square = `${tasks}#square`;

const sizes = { applyAsync: 30_000, map: 2_000_000 };
/**
 * The round trip is measured the same way on both sides: after a warm-up (a map, then 500
 * awaited applies), batches of `batch` awaited applies, each timed as a whole and call by call.
 * The two sides take turns, batch by batch (`pairs` times, who goes first alternating), against
 * one warm Python Pool(4) and one Forkscope pool: on a shared machine, load from elsewhere comes
 * and goes in bursts of milliseconds, and two figures measured seconds apart would mostly compare
 * the load. Each side's figure is its median batch mean; the ratio is the median of the pairs'
 * ratios. The median single call is reported too.
 */
const roundtrip = { warm: 500, pairs: 15, batch: 200 };
/** Maps are measured the same way: one warm Python Pool(4) and our pool take turns, map by map. */
const mapTurns = 3;
const hangLimitS = 5;

interface Batch {
  mean_us: number;
  singles_us: number[];
}

async function python(script: string, args: (string | number)[], timeoutMs: number): Promise<unknown> {
  const { stdout } = await run('python3', [join(root, 'bench', 'python', script), ...args.map(String)], {
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
  });
  return JSON.parse(stdout.trim().split('\n').pop()!);
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;

async function forkscopeBatch(pool: FunctionPool): Promise<Batch> {
  const singles: number[] = [];
  const began = performance.now();
  for (let i = 0; i < roundtrip.batch; i++) {
    const t0 = performance.now();
    await pool.apply(square, [i]);
    singles.push((performance.now() - t0) * 1000);
  }
  return { mean_us: ((performance.now() - began) / roundtrip.batch) * 1000, singles_us: singles };
}

/**
 * pool_bench.py in a mode that answers each request line with one JSON line, in a process that
 * stays warm between requests (its Pool(4) started once), so that the two sides can take turns.
 */
async function pythonServer(mode: 'roundtrip' | 'maps', args: number[]) {
  const child = spawn(
    'python3',
    [join(root, 'bench', 'python', 'pool_bench.py'), mode, ...args.map(String)],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  child.once('error', () => {}); // no python3: the lines end, and next() says so
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => {
    const line = await lines.next();
    if (line.done) throw new Error(`python pool_bench.py ${mode} ended early`);
    return JSON.parse(line.value) as unknown;
  };
  const close = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.stdin.end('quit\n');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await next(); // ready: warmed up
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    async ask(request: string): Promise<unknown> {
      child.stdin.write(`${request}\n`);
      return next();
    },
    close,
  };
}

/** Python's Pool.apply, a batch at a time. */
async function pythonRoundTrips() {
  const server = await pythonServer('roundtrip', [roundtrip.warm, roundtrip.batch]);
  return { batch: () => server.ask('batch') as Promise<Batch>, close: server.close };
}

async function forkscopeMap(pool: FunctionPool): Promise<number> {
  const items = Array.from({ length: sizes.map }, (_, i) => i);
  const start = performance.now();
  await pool.map(square, items);
  return sizes.map / ((performance.now() - start) / 1000);
}

/** Pool.map against Python's, taking turns (who goes first alternates); each side's median rate. */
async function mapTurnsWithPython(pool: FunctionPool) {
  const py = await pythonServer('maps', [sizes.map]);
  const turns: { py: number; ours: number }[] = [];
  try {
    for (let turn = 0; turn < mapTurns; turn++) {
      const pyMap = async () => ((await py.ask('map')) as { per_s: number }).per_s;
      if (turn % 2 === 0) {
        const theirs = await pyMap();
        turns.push({ py: theirs, ours: await forkscopeMap(pool) });
      } else {
        const ours = await forkscopeMap(pool);
        turns.push({ py: await pyMap(), ours });
      }
    }
  } finally {
    await py.close();
  }
  return {
    py: median(turns.map((turn) => turn.py)),
    ours: median(turns.map((turn) => turn.ours)),
    ratio: median(turns.map((turn) => turn.ours / turn.py)),
  };
}

/**
 * The floor of any round trip between two Node processes: a bare ping-pong over a socketpair (what
 * libuv gives a child as a 'pipe' stdio, and what the pool's workers talk over), a message about
 * the size of an apply's (~40 bytes) each way, echoed by a child that does nothing else.
 */
async function floorRoundTrips() {
  const echo = "process.stdin.on('data', (chunk) => process.stdout.write(chunk));";
  const child = spawn(process.execPath, ['-e', echo], { stdio: ['pipe', 'pipe', 'inherit'] });
  child.once('error', () => {});
  const message = Buffer.from(`${JSON.stringify([1, 7, 'pool-tasks.js#square', [12345]])}\n`);
  let answered: (() => void) | null = null;
  let received = 0;
  child.stdout.on('data', (chunk: Buffer) => {
    received += chunk.length;
    if (received >= message.length && answered) {
      received -= message.length;
      const done = answered;
      answered = null;
      done();
    }
  });
  const ping = () =>
    new Promise<void>((done) => {
      answered = done;
      child.stdin.write(message);
    });
  for (let i = 0; i < roundtrip.warm; i++) await ping();
  return {
    async batch(): Promise<Batch> {
      const singles: number[] = [];
      const began = performance.now();
      for (let i = 0; i < roundtrip.batch; i++) {
        const t0 = performance.now();
        await ping();
        singles.push((performance.now() - t0) * 1000);
      }
      return { mean_us: ((performance.now() - began) / roundtrip.batch) * 1000, singles_us: singles };
    },
    async close() {
      const exited = once(child, 'exit');
      child.stdin.end();
      await exited;
    },
  };
}

async function roundTrips(pool: FunctionPool) {
  const py = await pythonRoundTrips();
  const floor = await floorRoundTrips();
  const pairs: { py: Batch; ours: Batch; floor: Batch }[] = [];
  try {
    for (let i = 0; i < roundtrip.warm; i++) await pool.apply(square, [i]);
    // The three take turns; who goes first rotates.
    for (let pair = 0; pair < roundtrip.pairs; pair++) {
      const turns: [keyof (typeof pairs)[number], () => Promise<Batch>][] = [
        ['py', () => py.batch()],
        ['ours', () => forkscopeBatch(pool)],
        ['floor', () => floor.batch()],
      ];
      const got: Partial<(typeof pairs)[number]> = {};
      for (let turn = 0; turn < turns.length; turn++) {
        const [who, measure] = turns[(turn + pair) % turns.length]!;
        got[who] = await measure();
      }
      pairs.push(got as (typeof pairs)[number]);
    }
  } finally {
    await py.close();
    await floor.close();
  }
  return {
    py: median(pairs.map((pair) => pair.py.mean_us)),
    ours: median(pairs.map((pair) => pair.ours.mean_us)),
    floor: median(pairs.map((pair) => pair.floor.mean_us)),
    ratio: median(pairs.map((pair) => pair.ours.mean_us / pair.py.mean_us)),
    floorRatio: median(pairs.map((pair) => pair.ours.mean_us / pair.floor.mean_us)),
    pySingle: median(pairs.flatMap((pair) => pair.py.singles_us)),
    ourSingle: median(pairs.flatMap((pair) => pair.ours.singles_us)),
    floorSingle: median(pairs.flatMap((pair) => pair.floor.singles_us)),
  };
}

async function forkscopeApplyAsync(pool: FunctionPool) {
  const start = performance.now();
  const handles = [];
  for (let i = 0; i < sizes.applyAsync; i++) handles.push(pool.applyAsync(square, [i]));
  for (const handle of handles) await handle.get();
  return sizes.applyAsync / ((performance.now() - start) / 1000);
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
    'chunked map), single-task round-trip (both warmed up, taking turns), and what happens when a worker is ' +
    'SIGKILLed mid-task.',
  async run() {
    const engine = new Engine({
      logDir: mkdtempSync(join(tmpdir(), 'forkscope-bench-pool-')),
      childDir: join(root, 'out', 'main'),
      baseDir: root,
      graceMs: 1000,
    });
    try {
      // Its map is measured in turns below; a small one here.
      const py = (await python('pool_bench.py', ['throughput', sizes.applyAsync, 1000], 300_000)) as {
        apply_async: number;
      };
      const pool = await poolsOf(engine).createFunctionPool({ workers: 4, label: 'bench Pool(4)' });
      await pool.map(
        square,
        Array.from({ length: 1000 }, (_, i) => i),
      ); // warm up, as Python's
      // What the benchmarks run before this one left on the heap is theirs, not the pool's.
      (globalThis as { gc?: () => void }).gc?.();
      const rt = await roundTrips(pool);
      const ours = { applyAsync: await forkscopeApplyAsync(pool) };
      const maps = await mapTurnsWithPython(pool);
      await pool.terminate();
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
        {
          subject: `python Pool(4).map over ${sizes.map} (default chunks; median of ${mapTurns}, taking turns)`,
          value: maps.py,
          unit: 'tasks/s',
        },
        {
          subject: `forkscope pool.map over ${sizes.map} (default chunks; median of ${mapTurns}, taking turns)`,
          value: maps.ours,
          unit: 'tasks/s',
        },
        {
          subject: `python Pool.apply round-trip (median of ${roundtrip.pairs} batch means, taking turns)`,
          value: rt.py,
          unit: 'µs',
        },
        {
          subject: `forkscope pool.apply round-trip (median of ${roundtrip.pairs} batch means, taking turns)`,
          value: rt.ours,
          unit: 'µs',
        },
        { subject: 'python Pool.apply round-trip, median single call', value: rt.pySingle, unit: 'µs' },
        { subject: 'forkscope pool.apply round-trip, median single call', value: rt.ourSingle, unit: 'µs' },
        {
          subject: `bare Node socketpair ping-pong, two processes (median of ${roundtrip.pairs} batch means, taking turns)`,
          value: rt.floor,
          unit: 'µs',
        },
        { subject: 'bare Node socketpair ping-pong, median single call', value: rt.floorSingle, unit: 'µs' },
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
        { name: 'pool-map-vs-python', value: maps.ratio, op: '>=', target: 1.0 },
        {
          name: 'pool-roundtrip-vs-python',
          value: rt.ratio,
          op: '<=',
          target: 0.3,
        },
        { name: 'pool-roundtrip-vs-floor', value: rt.floorRatio, op: '<=', target: 2.0 },
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
