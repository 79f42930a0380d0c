import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createHost, type Host } from '../main/api/host';
import { poolsOf } from '../main/engine/pool';
import { startRecorder } from '../main/recording/recorder';
import type { Benchmark, Measurement, Ratio } from './harness';

const root = resolve(import.meta.dirname, '..');
const generator = join(root, 'bench', 'python', 'capture_gen.py');
const square = `${join(root, 'main', 'engine', 'examples', 'programs', 'pool-tasks.js')}#square`;
/** FORKSCOPE_BENCH_RECORD_TASKS / _MB make it smaller for a quick look. */
const taskCount = Number(process.env.FORKSCOPE_BENCH_RECORD_TASKS ?? 100_000);
const floodBytes = Number(process.env.FORKSCOPE_BENCH_RECORD_MB ?? 500) * 1_000_000;
const repeats = Number(process.env.FORKSCOPE_BENCH_REPEATS ?? 3);

const note = (text: string) => process.stderr.write(`  record: ${text}\n`);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * One host, as serve mode makes it, with or without a recorder on it; returns the seconds, the
 * host process's CPU seconds (its threads, gzip's included; not the pool's workers) and the
 * file's size. On a loaded machine the wall time swings with the other load; the CPU says what
 * recording itself adds.
 */
async function measure(work: (host: Host) => Promise<void>, recording: boolean) {
  const dir = mkdtempSync(join(tmpdir(), 'forkscope-bench-record-'));
  const host = createHost({ appRoot: root, logDir: join(dir, 'logs') });
  const file = join(dir, 'bench.fsrec');
  const recorder = recording ? startRecorder(host, file) : null;
  try {
    const start = performance.now();
    const cpuStart = process.cpuUsage();
    await work(host);
    // What recording costs includes writing its closing tables and the end of the file.
    if (recorder) await recorder.stop();
    const seconds = (performance.now() - start) / 1000;
    const cpu = process.cpuUsage(cpuStart);
    return { seconds, cpu: (cpu.user + cpu.system) / 1e6, bytes: recorder ? statSync(file).size : 0 };
  } finally {
    await host.shutdown();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function pool(host: Host): Promise<void> {
  const created = await poolsOf(host.engine).createFunctionPool({ workers: 4, label: 'bench record' });
  const handles = [];
  for (let i = 0; i < taskCount; i++) handles.push(created.applyAsync(square, [i]));
  for (const handle of handles) await handle.get();
  await created.terminate();
}

async function flood(host: Host): Promise<void> {
  const run = await host.engine.launch({
    program: 'python3',
    args: [generator, String(floodBytes)],
    shell: false,
    closeStdin: true,
    lens: 'off',
  });
  await host.engine.join(run.id);
}

/** Off and on alternate, so the machine's other load falls on both alike. */
async function compare(label: string, work: (host: Host) => Promise<void>) {
  const off: number[] = [];
  const on: number[] = [];
  const cpuOff: number[] = [];
  const cpuOn: number[] = [];
  let bytes = 0;
  for (let i = 0; i < repeats; i++) {
    const plain = await measure(work, false);
    off.push(plain.seconds);
    cpuOff.push(plain.cpu);
    const recorded = await measure(work, true);
    on.push(recorded.seconds);
    cpuOn.push(recorded.cpu);
    bytes = recorded.bytes;
    note(
      `${label}: off ${plain.seconds.toFixed(2)} s (CPU ${plain.cpu.toFixed(2)} s), ` +
        `on ${recorded.seconds.toFixed(2)} s (CPU ${recorded.cpu.toFixed(2)} s), ${bytes} bytes`,
    );
  }
  return { off: median(off), on: median(on), cpuOff: median(cpuOff), cpuOn: median(cpuOn), bytes };
}

const benchmark: Benchmark = {
  name: 'record',
  description:
    'The cost of recording a session: a pool of many tiny tasks and an output flood, recording on vs off',
  async run() {
    const tasks = await compare(`${taskCount} tasks`, pool);
    const output = await compare(`${floodBytes / 1e6} MB of output`, flood);
    const measurements: Measurement[] = [
      { subject: `pool of ${taskCount} tiny tasks, recording off`, value: tasks.off, unit: 's' },
      { subject: `pool of ${taskCount} tiny tasks, recording on`, value: tasks.on, unit: 's' },
      { subject: `pool of ${taskCount} tiny tasks, host CPU, recording off`, value: tasks.cpuOff, unit: 's' },
      { subject: `pool of ${taskCount} tiny tasks, host CPU, recording on`, value: tasks.cpuOn, unit: 's' },
      { subject: 'recording size per 1,000 tasks', value: (tasks.bytes / taskCount) * 1000, unit: 'bytes' },
      { subject: `${floodBytes / 1e6} MB output flood, recording off`, value: output.off, unit: 's' },
      { subject: `${floodBytes / 1e6} MB output flood, recording on`, value: output.on, unit: 's' },
      {
        subject: `recording size of the ${floodBytes / 1e6} MB flood (16 MB of lines kept)`,
        value: output.bytes,
        unit: 'bytes',
      },
    ];
    const ratios: Ratio[] = [
      { name: 'record-pool-on-vs-off', value: tasks.on / tasks.off, op: '<=', target: 1.1 },
      // The same, counted in the host's CPU: steadier than wall time on a shared machine.
      { name: 'record-pool-cpu-on-vs-off', value: tasks.cpuOn / tasks.cpuOff, op: '<=', target: 1.1 },
      { name: 'record-flood-on-vs-off', value: output.on / output.off, op: '<=', target: 1.1 },
    ];
    return { measurements, ratios };
  },
};

export default benchmark;
