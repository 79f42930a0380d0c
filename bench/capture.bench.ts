import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Engine } from '../main/engine/engine';
import type { Benchmark, Measurement, Ratio } from './harness';

const execFileAsync = promisify(execFile);
const root = resolve(import.meta.dirname, '..');
const pythonDir = join(root, 'bench', 'python');
const generator = join(pythonDir, 'capture_gen.py');

/** 500 MB of 100-byte lines; FORKSCOPE_BENCH_CAPTURE_MB makes it smaller for a quick look. */
const totalBytes = Number(process.env.FORKSCOPE_BENCH_CAPTURE_MB ?? 500) * 1_000_000;
const lineBytes = 100;
/** Each figure is the median of this many runs (the machine is shared: single runs swing both ways). */
const repeats = Number(process.env.FORKSCOPE_BENCH_REPEATS ?? 3);
const spawnCount = 1000;
const costCount = 300;
const extraHostBytes = 300 * 1024 * 1024;

const note = (text: string) => process.stderr.write(`  capture: ${text}\n`);
const mbPerSecond = (bytes: number, seconds: number) => bytes / seconds / 1e6;

async function sample(label: string, measure: () => Promise<number>): Promise<number> {
  const value = await measure();
  note(`${label}: ${value.toFixed(value >= 100 ? 0 : 2)}`);
  return value;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

async function medianOf(label: string, times: number, measure: () => Promise<number>) {
  const values: number[] = [];
  for (let i = 0; i < times; i++) values.push(await sample(label, measure));
  return median(values);
}

async function python(script: string, args: (string | number)[]): Promise<Record<string, number>> {
  const { stdout } = await execFileAsync('python3', [join(pythonDir, script), ...args.map(String)], {
    timeout: 300_000,
    killSignal: 'SIGKILL',
    maxBuffer: 1024 * 1024,
  });
  return JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, number>;
}

/**
 * The interpreter itself, as the Python references start the generator (`sys.executable`):
 * `python3` on PATH may be a wrapper (pyenv's shim is a shell script that costs ≈ 50 ms a start).
 */
async function pythonExecutable(): Promise<string> {
  const { stdout } = await execFileAsync('python3', ['-c', 'import sys; print(sys.executable)']);
  return stdout.trim();
}

/** Milliseconds of this process's CPU (user and system, every thread) per MB. */
function cpuPerMb(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000 / (totalBytes / 1e6);
}

/**
 * One flood through the engine: launch, wait for the end, wait for the log on disk, check it.
 * The generator is started as the references start it (the interpreter, not a wrapper) and without
 * the Python lens (its cost is `lens`'s to measure): what is compared is capture.
 */
async function engineCapture(engine: Engine, python: string, cpu: number[]): Promise<number> {
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  const launched = await engine.launch({
    program: python,
    args: [generator, String(totalBytes)],
    shell: false,
    closeStdin: true,
    lens: 'off',
  });
  const record = await engine.join(launched.id);
  // The run may end before a lagging log is flushed: the figure includes the last byte on disk.
  await engine.run(launched.id).capture.close();
  const seconds = (performance.now() - start) / 1000;
  cpu.push(cpuPerMb(cpuStart));

  const { stdout, stderr } = engine.run(launched.id).snapshot().output;
  try {
    if (record.exit?.code !== 0)
      throw new Error(`the generator failed: ${JSON.stringify(record.exit ?? record.error)}`);
    const onDisk = statSync(stdout.logPath).size;
    if (stdout.bytes !== totalBytes || onDisk !== totalBytes) {
      throw new Error(`captured ${stdout.bytes} bytes, ${onDisk} in the log, of ${totalBytes}`);
    }
    if (stdout.lines !== totalBytes / lineBytes)
      throw new Error(`indexed ${stdout.lines} lines of ${totalBytes / lineBytes}`);
  } finally {
    rmSync(stdout.logPath, { force: true });
    rmSync(stderr.logPath, { force: true });
    engine.clearFinished();
  }
  return mbPerSecond(totalBytes, seconds);
}

async function pythonReader(
  mode: 'lines' | 'cat' | 'cat-pipe' | 'cat-file',
  file?: string,
  cpu?: number[],
): Promise<number> {
  const result = await python('capture_readers.py', [mode, generator, totalBytes, ...(file ? [file] : [])]);
  cpu?.push((result.reader_cpu_seconds! * 1000) / (totalBytes / 1e6));
  return mbPerSecond(totalBytes, result.seconds!);
}

/** `true` through the engine, one after the other, each awaited to its end: spawns per second. */
async function engineSpawnRate(engine: Engine, count: number): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const launched = await engine.launch({ program: 'true', args: [], shell: false, closeStdin: true });
    const record = await engine.join(launched.id);
    if (record.exit?.code !== 0)
      throw new Error(`true failed: ${JSON.stringify(record.exit ?? record.error)}`);
    if (i % 100 === 99) engine.clearFinished();
  }
  const rate = count / ((performance.now() - start) / 1000);
  engine.clearFinished();
  return rate;
}

/** A bare child_process.spawn of `true` from this process (pipes as the engine's), for comparison. */
async function bareSpawnRate(count: number): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    await new Promise<void>((done, fail) => {
      const child = spawn('true', [], { stdio: ['pipe', 'pipe', 'pipe'] });
      child.once('error', fail);
      child.once('close', (code) => (code === 0 ? done() : fail(new Error(`true exited ${code}`))));
    });
  }
  return count / ((performance.now() - start) / 1000);
}

/** Allocates and touches `bytes` of JavaScript heap and Buffers, kept until `release()`. */
function holdMemory(bytes: number) {
  const half = bytes / 2;
  const buffers: Buffer[] = [];
  // Filled with non-zero bytes: a zero-filled allocation may stay untouched (no RSS) until written.
  for (let held = 0; held < half; held += 1 << 20)
    buffers.push(Buffer.alloc(1 << 20, 1 + (buffers.length % 255)));
  const arrays: number[][] = [];
  const doubles = (1 << 20) / 8;
  for (let held = 0; held < half; held += 1 << 20) {
    const array = new Array<number>(doubles);
    for (let i = 0; i < doubles; i++) array[i] = i + 0.5;
    arrays.push(array);
  }
  return {
    release() {
      buffers.length = 0;
      arrays.length = 0;
    },
  };
}

const rssMB = () => process.memoryUsage().rss / 1024 / 1024;

const benchmark: Benchmark = {
  name: 'capture',
  description:
    'output capture of 500 MB of 100-byte lines vs cat and Python; spawn rate vs Python; spawn cost in a host 300 MB bigger',
  async run() {
    const logDir = mkdtempSync(join(tmpdir(), 'forkscope-bench-'));
    const engine = new Engine({ logDir, childDir: join(root, 'out', 'main'), baseDir: root });
    const measurements: Measurement[] = [];
    const ratios: Ratio[] = [];
    const mb = `${totalBytes / 1e6} MB of ${lineBytes}-byte lines`;
    try {
      // (a) Output capture. The three readers take turns, so a noisy moment hurts all alike.
      note(`(a) ${mb}, median of ${repeats}`);
      const interpreter = await pythonExecutable();
      const cpu = { engine: [] as number[], catFile: [] as number[] };
      const figures = {
        engine: [] as number[],
        cat: [] as number[],
        catPipe: [] as number[],
        catFile: [] as number[],
        lines: [] as number[],
      };
      // `cat > file` writes into the engine's log folder: same disk, same file system.
      const catTarget = join(logDir, 'cat-to-file.out');
      for (let i = 0; i < repeats; i++) {
        figures.engine.push(
          await sample('engine MB/s', () => engineCapture(engine, interpreter, cpu.engine)),
        );
        figures.cat.push(await sample('cat (socketpair) MB/s', () => pythonReader('cat')));
        figures.catPipe.push(await sample('cat (os.pipe) MB/s', () => pythonReader('cat-pipe')));
        figures.catFile.push(
          await sample('cat >file (socketpair) MB/s', () => pythonReader('cat-file', catTarget, cpu.catFile)),
        );
        figures.lines.push(await sample('Python line loop MB/s', () => pythonReader('lines')));
      }
      const capture = median(figures.engine);
      const cat = median(figures.cat);
      const lines = median(figures.lines);
      const catFile = median(figures.catFile);
      measurements.push(
        { subject: `engine capture, ${mb} (log on disk, lines indexed)`, value: capture, unit: 'MB/s' },
        { subject: 'cat >/dev/null on a socketpair (the engine’s kind of pipe)', value: cat, unit: 'MB/s' },
        {
          subject: 'cat >/dev/null on an os.pipe (shell pipeline; info)',
          value: median(figures.catPipe),
          unit: 'MB/s',
        },
        {
          subject: 'cat >file on a socketpair, file beside the engine’s logs (every byte kept)',
          value: catFile,
          unit: 'MB/s',
        },
        { subject: 'Python `for line in Popen(...).stdout`', value: lines, unit: 'MB/s' },
        {
          subject: 'CPU of the engine’s process per MB captured, every thread (info)',
          value: median(cpu.engine),
          unit: 'ms/MB',
        },
        { subject: 'CPU of `cat >file` per MB (info)', value: median(cpu.catFile), unit: 'ms/MB' },
      );
      ratios.push(
        { name: 'capture-vs-cat', value: capture / cat, op: '>=', target: 0.3 },
        { name: 'capture-vs-cat-to-file', value: capture / catFile, op: '>=', target: 0.8 },
        { name: 'capture-vs-python-lines', value: capture / lines, op: '>=', target: 1.0 },
      );

      // (b) Spawn rate of `true`, sequential.
      note(`(b) spawn rate of true, ${spawnCount} in a row, median of ${repeats}`);
      await engineSpawnRate(engine, 50); // warm up: the spawn helper starts, the JIT settles
      const engineRate = await medianOf('engine spawns/s', repeats, () =>
        engineSpawnRate(engine, spawnCount),
      );
      const pythonRate = await medianOf(
        'Python subprocess.run spawns/s',
        repeats,
        async () => (await python('spawn_rate.py', [spawnCount])).per_second!,
      );
      measurements.push(
        {
          subject: 'engine spawn rate of `true` (sequential, each awaited)',
          value: engineRate,
          unit: 'spawns/s',
        },
        { subject: "Python subprocess.run(['true']) in a loop", value: pythonRate, unit: 'spawns/s' },
      );
      ratios.push({ name: 'spawn-rate-vs-python', value: engineRate / pythonRate, op: '>=', target: 0.45 });

      // (c) Spawn cost while this process holds 300 MB more. Rounds alternate small and big host,
      // so that a change in the machine's load hurts both alike.
      note(`(c) spawn cost, ${costCount} spawns, host as is then 300 MB bigger, ${repeats} rounds, median`);
      await bareSpawnRate(20);
      const cost = async (rate: Promise<number>) => 1000 / (await rate);
      const costs = {
        engineSmall: [] as number[],
        bareSmall: [] as number[],
        engineBig: [] as number[],
        bareBig: [] as number[],
      };
      const smallRss = rssMB();
      let bigRss = 0;
      for (let round = 0; round < repeats; round++) {
        costs.engineSmall.push(
          await sample('engine ms/spawn', () => cost(engineSpawnRate(engine, costCount))),
        );
        costs.bareSmall.push(await sample('bare spawn ms/spawn', () => cost(bareSpawnRate(costCount))));
        const held = holdMemory(extraHostBytes);
        bigRss = Math.max(bigRss, rssMB());
        try {
          costs.engineBig.push(
            await sample('engine ms/spawn, +300 MB', () => cost(engineSpawnRate(engine, costCount))),
          );
          costs.bareBig.push(
            await sample('bare spawn ms/spawn, +300 MB', () => cost(bareSpawnRate(costCount))),
          );
        } finally {
          held.release();
          (globalThis as { gc?: () => void }).gc?.();
        }
      }
      note(`host RSS ${smallRss.toFixed(0)} MB, ${bigRss.toFixed(0)} MB while holding 300 MB more`);
      const [engineSmall, bareSmall, engineBig, bareBig] = [
        costs.engineSmall,
        costs.bareSmall,
        costs.engineBig,
        costs.bareBig,
      ].map(median) as [number, number, number, number];
      measurements.push(
        {
          subject: `engine spawn cost, host as is (RSS ${smallRss.toFixed(0)} MB)`,
          value: engineSmall,
          unit: 'ms',
        },
        {
          subject: `engine spawn cost, host +300 MB (RSS ${bigRss.toFixed(0)} MB)`,
          value: engineBig,
          unit: 'ms',
        },
        { subject: 'bare child_process.spawn cost, host as is (info)', value: bareSmall, unit: 'ms' },
        { subject: 'bare child_process.spawn cost, host +300 MB (info)', value: bareBig, unit: 'ms' },
        {
          subject: 'bare child_process.spawn cost growth at +300 MB (info)',
          value: bareBig / bareSmall,
          unit: '×',
        },
      );
      ratios.push({ name: 'spawn-cost-big-host', value: engineBig / engineSmall, op: '<=', target: 1.3 });
    } finally {
      await engine.shutdown();
      rmSync(logDir, { recursive: true, force: true });
    }
    return { measurements, ratios };
  },
};

export default benchmark;
