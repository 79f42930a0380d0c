import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DescendantLane } from '../../contract';
import type { Engine } from '../../main/engine/engine';
import { listExamples, startExample } from '../../main/engine/examples/catalog';
import { createTestEngine, eventually, projectRoot } from '../support/engine';

const dirs = {
  programs: join(projectRoot, 'main', 'engine', 'examples', 'programs'),
  python: join(projectRoot, 'main', 'engine', 'examples', 'python'),
};
let engine: Engine;

beforeAll(() => {
  engine = createTestEngine();
});

afterAll(async () => {
  await engine.shutdown();
});

async function runOriginal(
  id: string,
): Promise<{ root: DescendantLane; children: DescendantLane[]; output: string }> {
  const { runIds } = await startExample(id, engine, dirs);
  const runId = runIds[0]!;
  await engine.join(runId, 30_000);
  const info = (await eventually(() => {
    const current = engine.system.tracker.info(runId);
    return !current.tracking ? current : null;
  }, 10_000))!;
  const root = info.lanes.find((lane) => lane.root)!;
  const output = engine
    .readOutput(runId, 0, 1000)
    .lines.map((line) => line.text)
    .join('\n');
  return { root, children: info.lanes.filter((lane) => !lane.root), output };
}

describe.runIf(process.platform === 'linux')('descendants of the Python originals', () => {
  it('lists the originals under Examples, each opening where its picture is', () => {
    const originals = listExamples(dirs).filter((example) => example.title.startsWith('Python original'));
    expect(originals.map((example) => example.id)).toEqual([
      'python-fork',
      'python-process',
      'python-pool',
      'python-subprocess-call',
      'python-subprocess-communicate',
      'python-queue',
    ]);
    expect(originals.map((example) => example.view)).toEqual([
      'runs',
      'runs',
      'pools',
      'runs',
      'runs',
      'queues',
    ]);
  });

  it('python3 -u 3_pool.py: four worker lanes that start after the parent and end before it', async () => {
    const { root, children, output } = await runOriginal('python-pool');
    expect(output).toContain('All subprocesses done.');
    const workers = children.filter((lane) => lane.ppid === root.pid && lane.cmd.includes('3_pool.py'));
    expect(workers.length).toBeGreaterThanOrEqual(4);
    // The pids the workers print are the lanes' pids.
    for (const match of output.matchAll(/Run task \d \((\d+)\)/g)) {
      expect(workers.map((lane) => lane.pid)).toContain(Number(match[1]));
    }
    for (const lane of workers) {
      expect(lane.start).toBeGreaterThanOrEqual(root.start);
      expect(lane.end).not.toBeNull();
      expect(lane.end!).toBeLessThanOrEqual(root.end!);
      expect(lane.depth).toBe(1);
    }
  });

  it('python3 -u 1_fork.py: the forked child', async () => {
    const { root, children, output } = await runOriginal('python-fork');
    const childPid = Number(/I am child process \((\d+)\)/.exec(output)?.[1]);
    expect(childPid).toBeGreaterThan(0);
    const child = children.find((lane) => lane.pid === childPid);
    expect(child).toBeDefined();
    expect(child!.start).toBeGreaterThanOrEqual(root.start);
    expect(child!.end).not.toBeNull();
  });

  it('python3 -u 5_queue.py: the writer and the reader', async () => {
    const { root, children, output } = await runOriginal('python-queue');
    const writer = Number(/Process to write: (\d+)/.exec(output)?.[1]);
    const reader = Number(/Process to read: (\d+)/.exec(output)?.[1]);
    const pids = children.map((lane) => lane.pid);
    expect(pids).toContain(writer);
    expect(pids).toContain(reader);
    for (const lane of children) expect(lane.end!).toBeLessThanOrEqual(root.end!);
  });

  it('tracks any run: a shell that starts two sleeps in turn', async () => {
    const run = await engine.launch({
      program: 'sh',
      args: ['-c', 'sleep 0.3; sleep 0.3; echo done'],
      shell: false,
      closeStdin: true,
    });
    const first = engine.system.tracker.track(run.id);
    expect(first.tracking).toBe(true);
    expect(first.sampleHz).toBeGreaterThanOrEqual(10);
    await engine.join(run.id, 10_000);
    const info = (await eventually(() => {
      const current = engine.system.tracker.info(run.id);
      return !current.tracking ? current : null;
    }, 10_000))!;
    const sleeps = info.lanes.filter((lane) => lane.name === 'sleep');
    expect(sleeps).toHaveLength(2);
    // In turn: the second began after the first's 0.3 s (start times are the kernel's), and the
    // first lane ended no later than the second. An end is when the sampler saw it, which a loaded
    // machine can delay past any fixed window.
    expect(sleeps[1]!.start - sleeps[0]!.start).toBeGreaterThanOrEqual(250);
    expect(sleeps[0]!.end!).toBeGreaterThanOrEqual(sleeps[0]!.start);
    expect(sleeps[0]!.end!).toBeLessThanOrEqual(sleeps[1]!.end!);
  });
});
