import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LensDetail, PoolRecord, TaskSummary } from '../../contract';
import type { Engine } from '../../main/engine/engine';
import { poolsOf } from '../../main/engine/pool';
import { createTestEngine, eventually, fixturesDir, projectRoot } from '../support/engine';

const seeds = join(projectRoot, 'main', 'engine', 'examples', 'python');
const fixtures = join(fixturesDir, 'python');
const python = execFileSync('python3', ['-c', 'import sys; print(sys.executable)']).toString().trim();
let engine: Engine;

beforeAll(() => {
  engine = createTestEngine();
});
afterAll(async () => {
  await engine.shutdown();
});

interface Ran {
  runId: string;
  lens: LensDetail;
  pools: { record: PoolRecord; tasks: TaskSummary[] }[];
  stdout: string;
  stderr: string;
  exitcode: number | null;
}

async function runPython(
  args: string[],
  options: { lens?: 'auto' | 'off'; cwd?: string } = {},
): Promise<Ran> {
  const record = await engine.launch({
    program: python,
    args: ['-u', ...args],
    cwd: options.cwd ?? fixtures,
    shell: false,
    closeStdin: true,
    lens: options.lens ?? 'auto',
    timeoutMs: 60_000,
  });
  await engine.join(record.id, 60_000);
  // The last events of exiting processes arrive just after the run ends.
  const lens = (await eventually(() => {
    const detail = engine.python.detail(record.id);
    return detail.status.state !== 'waiting' && engine.python.session(record.id)?.finished !== false
      ? detail
      : null;
  }, 10_000))!;
  const pools = poolsOf(engine)
    .list()
    .filter((pool) => pool.runId === record.id)
    .map((pool) => ({ record: pool.record(), tasks: pool.summaries(1, 100_000) }));
  // An orphan (1_fork.py's child) may still be writing when its parent's run has ended.
  let lines = engine.readOutput(record.id, 0, 100_000).lines;
  for (let settled = 0; settled < 3;) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const now = engine.readOutput(record.id, 0, 100_000).lines;
    settled = now.length === lines.length ? settled + 1 : 0;
    lines = now;
  }
  const text = (stream: string) =>
    lines
      .filter((line) => line.stream === stream)
      .map((line) => line.text)
      .join('\n');
  return {
    runId: record.id,
    lens,
    pools,
    stdout: text('stdout'),
    stderr: text('stderr'),
    exitcode: engine.run(record.id).snapshot().exit?.code ?? null,
  };
}

describe.runIf(process.platform === 'linux')('the Python lens', () => {
  it('3_pool.py: 4 worker lanes, 5 tasks, the fifth starts on the first worker that frees, after a wait', async () => {
    const ran = await runPython([join(seeds, '3_pool.py')], { cwd: seeds });
    expect(ran.lens.status.state).toBe('on');
    expect(ran.pools).toHaveLength(1);
    const [{ record, tasks }] = ran.pools as [Ran['pools'][number]];
    expect(record.kind).toBe('python');
    expect(record.runId).toBe(ran.runId);
    expect(record.lanes).toHaveLength(4);
    expect(tasks).toHaveLength(5);
    expect(tasks.every((task) => task.state === 'done')).toBe(true);
    expect(tasks.map((task) => task.label)).toEqual([0, 1, 2, 3, 4].map((n) => `long_time_task(${n})`));
    const lanePids = record.lanes.map((lane) => lane.pid);
    for (const task of tasks) expect(lanePids).toContain(task.pid);
    const byStart = [...tasks].sort((a, b) => a.startedAt! - b.startedAt!);
    const fifth = byStart[4]!;
    const firstFreed = byStart.slice(0, 4).sort((a, b) => a.endedAt! - b.endedAt!)[0]!;
    expect(fifth.pid).toBe(firstFreed.pid);
    expect(fifth.startedAt!).toBeGreaterThanOrEqual(firstFreed.endedAt! - 1);
    expect(fifth.startedAt! - fifth.queuedAt).toBeGreaterThan(0);
    // What the program printed agrees: each task ran on the pid it says.
    for (const task of tasks) {
      expect(ran.stdout).toContain(`Run task ${task.label.slice(15, 16)} (${task.pid})...`);
    }
  });

  it('5_queue.py: A, B, C put by the writer and got by the reader, then the reader terminated by its parent', async () => {
    const ran = await runPython([join(seeds, '5_queue.py')], { cwd: seeds });
    expect(ran.lens.status.queues).toHaveLength(1);
    const queueId = ran.lens.status.queues[0]!;
    const { items } = engine.queues.items(queueId);
    const writer = ran.lens.processes.find((process) => process.target === 'write')!;
    const reader = ran.lens.processes.find((process) => process.target === 'read')!;
    expect(items.map((item) => item.preview)).toEqual(["'A'", "'B'", "'C'"]);
    for (const item of items) {
      expect(item.state).toBe('got');
      expect(item.putBy).toBe(`pid:${writer.pid}`);
      expect(item.gotBy).toBe(`pid:${reader.pid}`);
      expect(item.gotAt!).toBeGreaterThanOrEqual(item.putAt);
    }
    const parent = ran.lens.processes.find((process) => process.via === 'the program')!;
    expect(ran.lens.signals).toContainEqual(
      expect.objectContaining({ from: parent.pid, to: reader.pid, signal: 15, via: 'Process.terminate' }),
    );
    expect(reader.exitcode).toBe(-15);
    expect(writer.exitcode).toBe(0);
    expect(reader.starter).toBe(parent.pid);
  });

  it('1_fork.py and 2_process.py: the child, how it started, and its lifetime inside its parent’s', async () => {
    const fork = await runPython([join(seeds, '1_fork.py')], { cwd: seeds });
    const parent = fork.lens.processes.find((process) => process.via === 'the program')!;
    const child = fork.lens.processes.find((process) => process.via === 'os.fork')!;
    expect(child.ppid).toBe(parent.pid);
    expect(fork.stdout).toContain(`I am child process (${child.pid}) and my parent is ${parent.pid}.`);

    const proc = await runPython([join(seeds, '2_process.py')], { cwd: seeds });
    const main = proc.lens.processes.find((process) => process.via === 'the program')!;
    const started = proc.lens.processes.find((process) => process.via.startsWith('Process'))!;
    expect(started).toMatchObject({
      via: 'Process (fork)',
      target: 'run_proc',
      exitcode: 0,
      starter: main.pid,
    });
    expect(started.startedAt).toBeGreaterThanOrEqual(main.startedAt);
    expect(started.endedAt!).toBeLessThanOrEqual(main.endedAt!);
  });

  it.each([
    ['4a_subprocess_call.py', ['nslookup', 'www.python.org']],
    ['4b_subprocess_communicate.py', ['nslookup']],
  ])(
    '%s: the Popen call with its argv, or the FileNotFoundError where nslookup is missing',
    async (file, argv) => {
      const ran = await runPython([join(seeds, file)], { cwd: seeds });
      const popen = ran.lens.processes.find((process) => process.via.startsWith('subprocess.Popen'))!;
      expect(popen.argv).toEqual(argv);
      expect(popen.starter).toBe(ran.lens.processes.find((process) => process.via === 'the program')!.pid);
      const installed = (() => {
        try {
          execFileSync('sh', ['-c', 'command -v nslookup']);
          return true;
        } catch {
          return false;
        }
      })();
      if (installed) expect(popen.via).toBe('subprocess.Popen');
      else expect(popen.error).toMatch(/^FileNotFoundError: /);
    },
  );

  it('ProcessPoolExecutor(max_workers=3), 8 tasks, one raising ValueError: 8 bars on 3 lanes, one failed with its traceback', async () => {
    const ran = await runPython(['executor_fail.py']);
    const [{ record, tasks }] = ran.pools as [Ran['pools'][number]];
    expect(record.label).toMatch(/^ProcessPoolExecutor\(max_workers=3\)/);
    expect(tasks).toHaveLength(8);
    expect(record.lanes.length).toBeLessThanOrEqual(3);
    expect(new Set(tasks.map((task) => task.pid)).size).toBeLessThanOrEqual(3);
    const failed = tasks.filter((task) => task.state === 'failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.label).toBe('work(5)');
    const detail = poolsOf(engine).get(record.id).detail(failed[0]!.id);
    expect(detail.failure).toMatchObject({ name: 'ValueError', message: 'ValueError: five is not allowed' });
    expect(detail.failure!.stack).toContain('raise ValueError("five is not allowed")');
    expect(tasks.filter((task) => task.state === 'done')).toHaveLength(7);
  });

  it('Pool(2, maxtasksperchild=1) over 6 tasks: replaced workers are new lanes, each task on the pid that ran it', async () => {
    const ran = await runPython(['pool_pids.py', 'fork', '1']);
    const [{ record, tasks }] = ran.pools as [Ran['pools'][number]];
    expect(tasks).toHaveLength(6);
    expect(record.lanes.length).toBeGreaterThanOrEqual(6);
    expect(record.lanes.some((lane) => lane.replacedBy !== null)).toBe(true);
    for (const task of tasks) {
      const detail = poolsOf(engine).get(record.id).detail(task.id);
      expect(detail.result, `task ${task.id}: ${task.state} ${task.error ?? ''}`).toBe(String(task.pid));
    }
  });

  it.each(['fork', 'spawn', 'forkserver'])(
    'the same pool under the %s start method: same tasks, each on its real pid',
    async (method) => {
      const ran = await runPython(['pool_pids.py', method]);
      const [{ record, tasks }] = ran.pools as [Ran['pools'][number]];
      expect(record.label).toBe(`Pool(2) · ${method}`);
      expect(tasks.map((task) => task.label)).toEqual([0, 1, 2, 3, 4, 5].map((n) => `whoami(${n})`));
      for (const task of tasks) {
        expect(task.state).toBe('done');
        expect(poolsOf(engine).get(record.id).detail(task.id).result).toBe(String(task.pid));
      }
    },
  );

  it('every way a pool is given work: each task’s input is its arguments (or its chunk’s items), in the summary and the details', async () => {
    const ran = await runPython(['pool_inputs.py']);
    expect(ran.exitcode).toBe(0);
    const [pool, executor] = ran.pools as [Ran['pools'][number], Ran['pools'][number]];
    // imap's tasks are made as they start, so in no set order beside the others.
    const inputs = (tasks: TaskSummary[]) => tasks.map((task) => [task.label, task.input]).sort();
    expect(inputs(pool.tasks)).toEqual([
      ['work × 2 (chunk 1 of 2)', '0, 1'],
      ['work × 2 (chunk 2 of 2)', '2, 3'],
      ['work(10)', '10'],
      ['work(11)', '11'],
      ['work(7, scale=2)', '7, scale=2'],
    ]);
    expect(inputs(executor.tasks)).toEqual([
      ['work(20)', '20'],
      ['work(21)', '21'],
      ["work(5, scale='ab')", "5, scale='ab'"],
    ]);
    const applied = pool.tasks.find((task) => task.label === 'work(7, scale=2)')!;
    const detail = poolsOf(engine).get(pool.record.id).detail(applied.id);
    expect(detail).toMatchObject({ input: '7, scale=2', result: '14', state: 'done' });
  });

  it('bare os.fork children’s exit codes, as their parent collected them with os.waitpid, wait, wait4 and waitid', async () => {
    const [on, off] = [
      await runPython(['fork_exits.py']),
      await runPython(['fork_exits.py'], { lens: 'off' }),
    ];
    // What every wait returned, and the traceback of the one that raised, are Python's own.
    expect(on.stdout).toBe(off.stdout);
    expect(on.stdout).toContain('still running (0, 0)');
    expect(on.stderr).toBe(off.stderr);
    expect(on.stderr).toMatch(/^Traceback[^]*os\.waitpid\(-1, 0\)\nChildProcessError: /);
    expect([on.exitcode, off.exitcode]).toEqual([1, 1]);
    const parent = on.lens.processes.find((process) => process.via === 'the program')!;
    const children = on.lens.processes.filter((process) => process.via === 'os.fork');
    // Listed as their connections came, which the scheduler orders: compared by exit code.
    const byCode = children
      .map((child) => [child.ppid, child.exitcode] as const)
      .sort((a, b) => a[1]! - b[1]!);
    expect(byCode).toEqual([
      [parent.pid, -9],
      [parent.pid, 10],
      [parent.pid, 11],
      [parent.pid, 12],
    ]);
    expect(on.lens.status.errors).toBe(0);
  });

  async function deadlocked(file: string): Promise<{ runId: string; cycle: string[] }> {
    const record = await engine.launch({
      program: python,
      args: [file],
      cwd: fixtures,
      shell: false,
      closeStdin: true,
    });
    try {
      const cycle = await eventually(
        () =>
          engine.queues
            .waitGraph()
            .cycles.find((candidate) =>
              engine.python.status(record.id).queues.length > 0 ? candidate.length >= 2 : false,
            ),
        15_000,
        'a wait-for cycle',
      );
      return { runId: record.id, cycle: cycle! };
    } finally {
      await engine.kill(record.id);
    }
  }

  it('a JoinableQueue.join() whose consumer never calls task_done(): both blocked, on each other', async () => {
    const { runId, cycle } = await deadlocked('deadlock_join.py');
    const detail = engine.python.detail(runId);
    const consumer = detail.processes.find((process) => process.target === 'consumer')!;
    const main = detail.processes.find((process) => process.via === 'the program')!;
    expect(cycle.sort()).toEqual([`pid:${consumer.pid}`, `pid:${main.pid}`].sort());
  });

  it('two processes each waiting on a queue the other never fills: the cycle', async () => {
    const { runId, cycle } = await deadlocked('deadlock_cross.py');
    const detail = engine.python.detail(runId);
    const left = detail.processes.find((process) => process.target === 'left')!;
    const right = detail.processes.find((process) => process.target === 'right')!;
    expect(cycle.sort()).toEqual([`pid:${left.pid}`, `pid:${right.pid}`].sort());
  });

  it('lists the items never got when the reader is terminated with items still queued', async () => {
    const ran = await runPython(['queue_leftover.py']);
    expect(ran.stdout).toContain('reader exit code -15');
    const queueId = ran.lens.status.queues[0]!;
    const neverGot = engine.queues.items(queueId, 1, 100, 'never-got').items;
    expect(neverGot.map((item) => item.preview)).toEqual(["'C'", "'D'", "'E'"]);
    expect(neverGot.every((item) => item.state === 'lost-closed')).toBe(true);
  });

  it('a busy queue: every put and get reaches its item, in order, with its own time, and none is lost', async () => {
    // Most of these come in batched "items" lines; the gets during the producer's pause waited
    // and come alone, between two batches.
    const n = 3000;
    const ran = await runPython(['queue_busy.py', String(n)]);
    expect(ran.stdout).toBe(`got ${n} sum ${(n * (n - 1)) / 2}`);
    expect(ran.lens.status).toMatchObject({ lost: 0, errors: 0 });
    expect(ran.lens.status.events).toBeGreaterThanOrEqual(2 * n);
    const producer = ran.lens.processes.find((process) => process.target === 'produce')!;
    const parent = ran.lens.processes.find((process) => process.via === 'the program')!;
    const { items, total } = engine.queues.items(ran.lens.status.queues[0]!, 1, 10_000);
    expect(total).toBe(n);
    expect(items.map((item) => item.preview)).toEqual(Array.from({ length: n }, (_, i) => `('item', ${i})`));
    for (const [i, item] of items.entries()) {
      expect(item.state).toBe('got');
      expect(item.putBy).toBe(`pid:${producer.pid}`);
      expect(item.gotBy).toBe(`pid:${parent.pid}`);
      expect(item.gotAt!).toBeGreaterThanOrEqual(item.putAt);
      if (i > 0) expect(item.putAt).toBeGreaterThanOrEqual(items[i - 1]!.putAt);
    }
    // The pause shows between the bursts, at its place in the items' own times.
    const gap = items[n / 2]!.putAt - items[n / 2 - 1]!.putAt;
    expect(gap).toBeGreaterThanOrEqual(400);
  });

  it('changes nothing the programs print or how they exit', async () => {
    // The seeds print pids and random durations: compared with every number replaced. Their
    // processes write to one pipe at once (print writes the text and its newline apart), so lines
    // interleave and even cut into each other differently from run to run: what is compared is
    // the characters they hold. The 10,000-task map below prints one line: compared exactly.
    const same = (text: string) => text.replace(/\d+(\.\d+)?/g, 'N');
    const comparable = (text: string) => [...same(text).replaceAll('\n', '')].sort().join('');
    for (const file of [
      '1_fork.py',
      '2_process.py',
      '3_pool.py',
      '4a_subprocess_call.py',
      '4b_subprocess_communicate.py',
      '5_queue.py',
    ]) {
      const [on, off] = [
        await runPython([join(seeds, file)], { cwd: seeds }),
        await runPython([join(seeds, file)], { cwd: seeds, lens: 'off' }),
      ];
      expect(on.lens.status.state, file).toBe('on');
      expect(off.lens.status.state, file).toBe('off');
      expect(comparable(on.stdout), file).toBe(comparable(off.stdout));
      expect(same(on.stderr), file).toBe(same(off.stderr));
      expect(on.exitcode, file).toBe(off.exitcode);
    }
    const [on, off] = [
      await runPython(['map_many.py', '10000']),
      await runPython(['map_many.py', '10000'], { lens: 'off' }),
    ];
    expect(on.stdout).toBe(off.stdout);
    expect(on.stdout).toBe('10000 333283335000');
    expect(on.pools[0]!.record.counts.done).toBe(on.pools[0]!.record.counts.total);
  });

  it('a Lock held by one process: the other is shown waiting in Lock.acquire, on the holder', async () => {
    const record = await engine.launch({
      program: python,
      args: ['lock_wait.py'],
      cwd: fixtures,
      shell: false,
      closeStdin: true,
    });
    try {
      const waiting = (await eventually(
        () => {
          const detail = engine.python.detail(record.id);
          return detail.processes.find((process) => process.waiting?.what === 'Lock.acquire') ? detail : null;
        },
        10_000,
        'a process waiting on the lock',
      ))!;
      const holder = waiting.processes.find((process) => process.target === 'hold')!;
      const waiter = waiting.processes.find((process) => process.target === 'wait_for')!;
      expect(waiter.waiting).toMatchObject({ what: 'Lock.acquire', on: `pid ${holder.pid} (holds it)` });
    } finally {
      await engine.kill(record.id);
    }
  });

  it('behind a pyenv-style shim (a sh script named python3 that execs the interpreter) the lens is on', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'forkscope-shim-'));
    try {
      const shim = join(dir, 'python3');
      writeFileSync(shim, `#!/bin/sh\nreadlink -f "$0" >/dev/null\nexec "${python}" "$@"\n`);
      chmodSync(shim, 0o755);
      const record = await engine.launch({
        program: shim,
        args: ['map_many.py', '1000'],
        cwd: fixtures,
        shell: false,
        closeStdin: true,
      });
      await engine.join(record.id, 30_000);
      const status = (await eventually(
        () => (engine.python.session(record.id)?.finished ? engine.python.status(record.id) : null),
        10_000,
      ))!;
      expect(status.state).toBe('on');
      expect(status.pools).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says the lens is off when no Python process could connect, and the program runs unchanged', async () => {
    const isolated = await runPython(['-I', 'map_many.py', '100']);
    expect(isolated.stdout).toBe('100 328350');
    expect(isolated.lens.status).toMatchObject({ state: 'off' });
    expect(isolated.lens.status.reason).toMatch(/No Python process connected/);
    // The lens itself, pointed at an endpoint that is not there: the same output, nothing more.
    const env = { ...process.env, PYTHONPATH: join(projectRoot, 'main', 'engine', 'python', 'lens') };
    const lensless = execFileSync(python, ['map_many.py', '100'], {
      cwd: fixtures,
      env: { ...env, FORKSCOPE_LENS: '/nonexistent/lens.sock', FORKSCOPE_LENS_SECRET: 'x' },
    });
    expect(lensless.toString()).toBe('100 328350\n');
    const plain = await engine.launch({ program: 'true', args: [], shell: false, closeStdin: true });
    expect(engine.python.status(plain.id)).toMatchObject({ state: 'off', reason: 'Not a Python program.' });
  });
});
