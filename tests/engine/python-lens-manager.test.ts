import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../main/engine/engine';
import { createTestEngine, eventually, fixturesDir } from '../support/engine';

// A Manager().Queue() lives in the manager's server process, used through proxies over the
// manager's own connections: the lens shows the managed queue, not those connections.
const fixtures = join(fixturesDir, 'python');
const python = execFileSync('python3', ['-c', 'import sys; print(sys.executable)']).toString().trim();
let engine: Engine;

beforeAll(() => {
  engine = createTestEngine();
});
afterAll(async () => {
  await engine.shutdown();
});

/** Runs manager_queue.py to its end; its output, exit code and what the lens saw. */
async function runManagerQueue(args: string[], lens: 'auto' | 'off') {
  const record = await engine.launch({
    program: python,
    args: ['-u', 'manager_queue.py', ...args],
    cwd: fixtures,
    shell: false,
    closeStdin: true,
    lens,
    timeoutMs: 60_000,
  });
  await engine.join(record.id, 60_000);
  const detail = (await eventually(() => {
    const seen = engine.python.detail(record.id);
    const settled = seen.status.state !== 'waiting' && engine.python.session(record.id)?.finished !== false;
    return settled ? seen : null;
  }, 10_000))!;
  const output = engine
    .readOutput(record.id, 0, 10_000)
    .lines.map((line) => `${line.stream}: ${line.text}`)
    .join('\n');
  const queues = engine.queues.list().filter((queue) => queue.runId === record.id);
  return { detail, output, exitcode: engine.run(record.id).snapshot().exit?.code ?? null, queues };
}

describe.runIf(process.platform === 'linux')('the Python lens and a Manager().Queue()', () => {
  it.each([
    ['fork', 'Queue'],
    ['spawn', 'Queue'],
    ['fork', 'JoinableQueue'],
  ])(
    '%s, Manager().%s: one queue with the ten items, put by the producer and got by the consumer; no manager pipes; output unchanged',
    async (method, kind) => {
      const args = kind === 'JoinableQueue' ? [method, 'joinable'] : [method];
      const off = await runManagerQueue(args, 'off');
      const on = await runManagerQueue(args, 'auto');
      expect(off.output).toContain('consumer got [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]');
      expect(on.output).toBe(off.output);
      expect(on.exitcode).toBe(0);
      expect(on.detail.status).toMatchObject({ state: 'on', errors: 0, lost: 0 });

      expect(on.queues.filter((queue) => queue.kind === 'pipe')).toEqual([]);
      expect(on.queues).toHaveLength(1);
      const [queue] = on.queues;
      expect(queue!.name).toMatch(new RegExp(`^Manager\\(\\)\\.${kind} · q\\d+$`));
      // Every item was marked done: the parent's join had nothing left to wait for. The consumer's
      // last task_done travels on its own connection and may land after the parent's exit.
      await eventually(
        () => engine.queues.info(queue!.id).unfinished === 0 || null,
        5_000,
        'the last task_done',
      );
      const producer = on.detail.processes.find((process) => process.target === 'produce')!;
      const consumer = on.detail.processes.find((process) => process.target === 'consume')!;
      const { items, total } = engine.queues.items(queue!.id, 1, 100);
      expect(total).toBe(10);
      expect(items.map((item) => item.preview)).toEqual(
        Array.from({ length: 10 }, (_, i) => `('item', ${i})`),
      );
      for (const item of items) {
        expect(item.state).toBe('got');
        expect(item.putBy).toBe(`pid:${producer.pid}`);
        expect(item.gotBy).toBe(`pid:${consumer.pid}`);
      }
    },
  );
});
