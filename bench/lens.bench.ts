/**
 * The cost of the Python lens (issue 8): the same unmodified Python programs launched through the
 * real engine with `lens: 'auto'` (the lens on: `python3` is a Python interpreter) and with
 * `lens: 'off'`, same interpreter, rounds alternating (who goes first alternating too) so a
 * change in the machine's load falls on both; each ratio is the median of the rounds' on/off
 * ratios.
 *
 * - `lens-pool-map-vs-off`: `Pool(4).map` over 100,000 tiny items (`bench/python/lens_programs.py
 *   pool-map`). The ratio uses the map's own time, measured inside the program (after a warm-up
 *   map, so the workers have started): that is what the lens adds to the work. The wall time
 *   (launch to end, with interpreter start, the lens's import and connections, Pool start and
 *   shutdown) is shown beside it.
 * - `lens-queue-vs-off`: 20,000 put/get pairs on a `multiprocessing.Queue` between a producer
 *   Process and the parent (`lens_programs.py queue`); the ratio uses the in-program time from
 *   the producer's start to the last get; the wall time is shown too.
 * - `lens-seed-3-pool-vs-off`: the seed's `main/engine/examples/python/3_pool.py`, unchanged, wall
 *   time from launch to the run's end. Its sleeps are random (0–3 s): `bench/python/run_seeded.py`
 *   fixes them (the n-th forked worker draws from seed 1 + n on every run), so on and off sleep
 *   the same: ≈ 2.9 s of sleeping, and the difference is the lens's own cost.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { LensStatus } from '../contract';
import { Engine } from '../main/engine/engine';
import type { Benchmark, Measurement, Ratio } from './harness';

const root = resolve(import.meta.dirname, '..');
const programs = join(root, 'bench', 'python', 'lens_programs.py');
const seeded = join(root, 'bench', 'python', 'run_seeded.py');
const seed3Pool = join(root, 'main', 'engine', 'examples', 'python', '3_pool.py');
/** FORKSCOPE_BENCH_LENS_MAP / _QUEUE make it smaller for a quick look. */
const mapItems = Number(process.env.FORKSCOPE_BENCH_LENS_MAP ?? 100_000);
const queuePairs = Number(process.env.FORKSCOPE_BENCH_LENS_QUEUE ?? 20_000);
const repeats = Number(process.env.FORKSCOPE_BENCH_REPEATS ?? 5);
const seedRepeats = Math.min(repeats, 3);

const note = (text: string) => process.stderr.write(`  lens: ${text}\n`);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

interface Ran {
  /** Launch to the run's end. */
  wall: number;
  /** What the program measured itself, when it prints {"seconds": …} last. */
  inside: number | null;
  lens: LensStatus | null;
}

async function launch(engine: Engine, args: string[], lens: 'auto' | 'off'): Promise<Ran> {
  const start = performance.now();
  const record = await engine.launch({
    program: 'python3',
    args,
    cwd: root,
    shell: false,
    closeStdin: true,
    lens,
    timeoutMs: 120_000,
  });
  const ended = await engine.join(record.id, 120_000);
  const wall = (performance.now() - start) / 1000;
  const output = engine.readOutput(record.id, 0, 10_000).lines;
  if (ended.exit?.code !== 0) {
    const stderr = output.filter((line) => line.stream === 'stderr').map((line) => line.text);
    throw new Error(
      `python3 ${args.join(' ')} (lens ${lens}) failed: ${stderr.join('\n') || ended.exit?.meaning}`,
    );
  }
  const last = output.filter((line) => line.stream === 'stdout').at(-1)?.text ?? '';
  const inside = last.startsWith('{') ? (JSON.parse(last) as { seconds: number }).seconds : null;
  let status: LensStatus | null = null;
  if (lens !== 'off') {
    // The last events of exiting processes arrive just after the run ends (not timed).
    for (let waited = 0; waited < 3000 && engine.python.session(record.id)?.finished === false; waited += 20)
      await new Promise((done) => setTimeout(done, 20));
    status = engine.python.status(record.id);
    if (status.state !== 'on') throw new Error(`the lens was not on: ${status.state} (${status.reason})`);
  }
  engine.clearFinished(true);
  return { wall, inside, lens: status };
}

/** Off and on alternate, who goes first alternating too. */
async function compare(engine: Engine, label: string, args: string[], rounds: number) {
  const off: Ran[] = [];
  const on: Ran[] = [];
  for (let i = 0; i < rounds; i++) {
    if (i % 2 === 0) {
      off.push(await launch(engine, args, 'off'));
      on.push(await launch(engine, args, 'auto'));
    } else {
      on.push(await launch(engine, args, 'auto'));
      off.push(await launch(engine, args, 'off'));
    }
    const show = (ran: Ran) =>
      `${ran.inside === null ? '' : `${(ran.inside * 1000).toFixed(1)} ms inside, `}${ran.wall.toFixed(2)} s wall`;
    const status = on.at(-1)!.lens!;
    note(
      `${label}: off ${show(off.at(-1)!)}; on ${show(on.at(-1)!)} (${status.events} events, ${status.lost} lost, ${status.errors} errors)`,
    );
  }
  const pairs = off.map((ran, i) => ({ off: ran, on: on[i]! }));
  return {
    offWall: median(off.map((ran) => ran.wall)),
    onWall: median(on.map((ran) => ran.wall)),
    offInside: median(off.map((ran) => ran.inside ?? Number.NaN)),
    onInside: median(on.map((ran) => ran.inside ?? Number.NaN)),
    wallRatio: median(pairs.map((pair) => pair.on.wall / pair.off.wall)),
    insideRatio: median(
      pairs.map((pair) => (pair.on.inside ?? Number.NaN) / (pair.off.inside ?? Number.NaN)),
    ),
    events: median(on.map((ran) => ran.lens!.events)),
    lost: Math.max(...on.map((ran) => ran.lens!.lost)),
  };
}

const benchmark: Benchmark = {
  name: 'lens',
  description:
    "The Python lens's cost: Pool(4).map, Queue put/get between two processes and the seed's 3_pool.py, " +
    "launched through the engine with lens 'auto' vs 'off', rounds alternating",
  async run() {
    const logDir = mkdtempSync(join(tmpdir(), 'forkscope-bench-lens-'));
    const engine = new Engine({ logDir, childDir: join(root, 'out', 'main'), baseDir: root });
    try {
      const map = await compare(
        engine,
        `Pool(4).map × ${mapItems}`,
        [programs, 'pool-map', String(mapItems)],
        repeats,
      );
      const queue = await compare(
        engine,
        `Queue × ${queuePairs}`,
        [programs, 'queue', String(queuePairs)],
        repeats,
      );
      const pool3 = await compare(engine, '3_pool.py (seeded)', [seeded, '1', seed3Pool], seedRepeats);
      const ms = (seconds: number) => seconds * 1000;
      const measurements: Measurement[] = [
        {
          subject: `Pool(4).map × ${mapItems}, the map (in-program), lens off`,
          value: ms(map.offInside),
          unit: 'ms',
        },
        {
          subject: `Pool(4).map × ${mapItems}, the map (in-program), lens on`,
          value: ms(map.onInside),
          unit: 'ms',
        },
        {
          subject: `Pool(4).map × ${mapItems}, wall (launch to end), lens off`,
          value: ms(map.offWall),
          unit: 'ms',
        },
        {
          subject: `Pool(4).map × ${mapItems}, wall (launch to end), lens on`,
          value: ms(map.onWall),
          unit: 'ms',
        },
        { subject: `Pool(4).map × ${mapItems}, wall on/off`, value: map.wallRatio, unit: '×' },
        { subject: `Pool(4).map × ${mapItems}, lens events`, value: map.events, unit: 'events' },
        {
          subject: `Queue × ${queuePairs} put/get (in-program), lens off`,
          value: ms(queue.offInside),
          unit: 'ms',
        },
        {
          subject: `Queue × ${queuePairs} put/get (in-program), lens on`,
          value: ms(queue.onInside),
          unit: 'ms',
        },
        {
          subject: `Queue × ${queuePairs}, wall (launch to end), lens off`,
          value: ms(queue.offWall),
          unit: 'ms',
        },
        {
          subject: `Queue × ${queuePairs}, wall (launch to end), lens on`,
          value: ms(queue.onWall),
          unit: 'ms',
        },
        { subject: `Queue × ${queuePairs}, wall on/off`, value: queue.wallRatio, unit: '×' },
        {
          subject: `Queue × ${queuePairs}, lens events (lost: ${queue.lost})`,
          value: queue.events,
          unit: 'events',
        },
        { subject: "seed's 3_pool.py (seeded), wall, lens off", value: ms(pool3.offWall), unit: 'ms' },
        { subject: "seed's 3_pool.py (seeded), wall, lens on", value: ms(pool3.onWall), unit: 'ms' },
        { subject: "seed's 3_pool.py, lens events", value: pool3.events, unit: 'events' },
      ];
      const ratios: Ratio[] = [
        // The map's own time, measured in the program (the wall ratio is in the table).
        { name: 'lens-pool-map-vs-off', value: map.insideRatio, op: '<=', target: 1.5 },
        // From the producer's start to the last get, measured in the program.
        { name: 'lens-queue-vs-off', value: queue.insideRatio, op: '<=', target: 2.0 },
        { name: 'lens-seed-3-pool-vs-off', value: pool3.wallRatio, op: '<=', target: 1.05 },
      ];
      return { measurements, ratios };
    } finally {
      await engine.shutdown();
      rmSync(logDir, { recursive: true, force: true });
    }
  },
};

export default benchmark;
