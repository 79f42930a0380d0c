import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Engine } from '../main/engine/engine';
import type { Benchmark, Measurement } from './harness';

const root = resolve(import.meta.dirname, '..');
const workers = join(root, 'main', 'engine', 'examples', 'programs', 'queue-workers.js');

interface Rate {
  perSecond: number;
  bytesPerSecond: number;
  seconds: number;
}

const cases = [
  { key: 'small', label: 'short strings', n: 400_000, size: 0 },
  { key: '64k', label: '64 KiB strings', n: 20_000, size: 64 * 1024 },
] as const;

function python(n: number, size: number): Rate {
  const result = spawnSync(
    'python3',
    [join(root, 'bench', 'python', 'queue_bench.py'), String(n), String(size)],
    {
      encoding: 'utf8',
      timeout: 300_000,
    },
  );
  if (result.status !== 0)
    throw new Error(`python3 queue_bench.py failed: ${result.stderr || result.error?.message}`);
  return JSON.parse(result.stdout) as Rate;
}

/** Producer → consumer through Forkscope's queue (two forked Processes, the broker in this process), lineage on. */
async function forkscope(engine: Engine, n: number, size: number): Promise<Rate> {
  const queue = await engine.queues.create({ name: `bench ${size || 'small'}` });
  const handle = { $queue: queue.id };
  const consumer = await engine.startProcess({ target: `${workers}#benchConsume`, args: [handle, n] });
  const producer = await engine.startProcess({ target: `${workers}#benchProduce`, args: [handle, n, size] });
  const ended = await engine.join(consumer.id, 300_000);
  await engine.join(producer.id, 10_000);
  if (!ended.result)
    throw new Error(`the consumer failed: ${ended.thrown?.message ?? ended.exit?.meaning ?? 'no result'}`);
  const info = engine.queues.info(queue.id);
  if (info.gets !== n) throw new Error(`lineage records ${info.gets} gets, expected ${n}`);
  engine.queues.close(queue.id);
  return ended.result as unknown as Rate;
}

const benchmark: Benchmark = {
  name: 'queue',
  description:
    "Queue throughput producer → consumer: Forkscope's brokered queue (lineage on) vs Python's multiprocessing.Queue.",
  async run() {
    const logDir = mkdtempSync(join(tmpdir(), 'forkscope-bench-queue-'));
    const engine = new Engine({ logDir, childDir: join(root, 'out', 'main'), baseDir: root });
    const measurements: Measurement[] = [];
    const ratios: { name: string; value: number; op: '>=' | '<='; target: number }[] = [];
    try {
      for (const c of cases) {
        const py = python(c.n, c.size);
        const fs = await forkscope(engine, c.n, c.size);
        const unit = c.size > 0 ? 'MB/s' : 'msgs/s';
        const value = (rate: Rate) => (c.size > 0 ? rate.bytesPerSecond / 1e6 : rate.perSecond);
        measurements.push(
          { subject: `Python multiprocessing.Queue, ${c.label} (${c.n})`, value: value(py), unit },
          { subject: `Forkscope queue with lineage, ${c.label} (${c.n})`, value: value(fs), unit },
        );
        ratios.push({
          name: `queue-${c.key}-vs-python`,
          value: fs.perSecond / py.perSecond,
          op: '>=',
          target: 1.0,
        });
      }
    } finally {
      await engine.shutdown();
      rmSync(logDir, { recursive: true, force: true });
    }
    return { measurements, ratios };
  },
};

export default benchmark;
