import { chmodSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DescendantLane, DescendantsInfo } from '../../contract';
import type { Engine } from '../../main/engine/engine';
import { describeWait } from '../../main/engine/system/waits';
import { createTestEngine, eventually } from '../support/engine';

/**
 * Every run's process tree is recorded from its first moment without anyone asking, shims are
 * folded, and each process's wait is described in the kernel's words. Real processes only.
 */

let engine: Engine;
let dir: string;
/** The system's interpreter itself (not a pyenv shim): the shim test makes its own. */
const python = '/usr/bin/python3';
const hasPython = existsSync(python);

beforeAll(() => {
  engine = createTestEngine();
  dir = mkdtempSync(join(tmpdir(), 'forkscope-tree-'));
});

afterAll(async () => {
  await engine.shutdown();
});

async function finished(runId: string): Promise<DescendantsInfo> {
  await engine.join(runId, 60_000);
  return (await eventually(
    () => {
      const info = engine.system.tracker.info(runId);
      return !info.tracking ? info : null;
    },
    15_000,
    'the tree to be done',
  ))!;
}

function output(runId: string): string {
  return engine
    .readOutput(runId, 0, 1000)
    .lines.map((line) => line.text)
    .join('\n');
}

/** A lane of a live run once the sampler has seen it wait (not run). */
async function laneWaiting(
  runId: string,
  pick: (lane: DescendantLane) => boolean,
  what: string,
): Promise<DescendantLane> {
  const found = await eventually(
    () => {
      const lane = engine.system.tracker
        .info(runId)
        .lanes.find((candidate) => pick(candidate) && candidate.why);
      return lane && lane.why!.kind !== 'running' ? lane : null;
    },
    15_000,
    what,
  );
  return found!;
}

const pool = `
import os, time
from concurrent.futures import ProcessPoolExecutor

def work(n):
    time.sleep(0.3)
    return os.getpid()

if __name__ == '__main__':
    with ProcessPoolExecutor(3) as executor:
        pids = sorted(set(executor.map(work, range(6))))
    print('workers', ' '.join(map(str, pids)), flush=True)
`;

/** Runs the pool program through `program` (the interpreter or a shim) and waits for its tree to be done. */
async function runPool(program: string) {
  writeFileSync(join(dir, 'pool.py'), pool);
  const run = await engine.launch({
    program,
    args: ['-u', join(dir, 'pool.py')],
    shell: false,
    closeStdin: true,
    lens: 'off',
  });
  const info = await finished(run.id);
  const workers = /workers ([\d ]+)/.exec(output(run.id))?.[1]?.split(' ').map(Number) ?? [];
  expect(workers.length).toBeGreaterThanOrEqual(1);
  return { run, info, workers, root: info.lanes.find((lane) => lane.root)! };
}

describe.runIf(process.platform === 'linux' && hasPython)('every run’s process tree, always', () => {
  it('a ProcessPoolExecutor program, never tracked by hand, shows all its workers afterwards', async () => {
    const { run, info, workers, root } = await runPool(python);
    expect(root.pid).toBe(run.pid);
    expect(root.logicalParent?.label).toMatch(/Forkscope/);
    const pids = info.lanes.map((lane) => lane.pid);
    for (const pid of workers) expect(pids).toContain(pid);
    for (const lane of info.lanes) {
      expect(lane.end).not.toBeNull();
      // Python collects its workers' exits at once: none of them is called a zombie.
      if (workers.includes(lane.pid)) expect(lane.zombie).toBe(false);
    }
  });

  it('behind a shim (a sh script named python3 that execs the real one after a readlink), the shim is folded', async () => {
    const shims = mkdtempSync(join(dir, 'shims-'));
    const shim = join(shims, 'python3');
    // The sleep makes the shim's phase long enough to be seen every time (a pyenv shim runs ~20 helpers).
    writeFileSync(
      shim,
      `#!/bin/sh\nsleep 0.3\nreal=$(readlink -f ${python}; sleep 0.1)\nexec "$real" "$@"\n`,
    );
    chmodSync(shim, 0o755);
    const { info, workers, root } = await runPool(shim);
    // One lane for the pid: named after what it became, with the shim it was before.
    expect(root.cmd).toContain('pool.py');
    expect(root.cmd).not.toContain(shim);
    expect(root.execs.length).toBeGreaterThanOrEqual(1);
    expect(root.execs[0]!.cmd).toContain(shim);
    // The shim's helpers (its sleeps, the subshell of $(...)) are folded.
    const helpers = info.lanes.filter((lane) => lane.folded);
    expect(helpers.map((lane) => lane.name)).toContain('sleep');
    for (const lane of helpers) expect(lane.end!).toBeLessThanOrEqual(root.execs.at(-1)!.until);
    // Shown in order of start, the unfolded lanes are the interpreter and its workers.
    const shown = info.lanes
      .filter((lane) => !lane.folded)
      .sort((a, b) => a.start - b.start || a.pid - b.pid);
    expect(shown[0]!.pid).toBe(root.pid);
    for (const lane of shown.slice(1)) expect(lane.cmd).toMatch(/python|pool\.py/);
    for (const pid of workers) expect(shown.map((lane) => lane.pid)).toContain(pid);
  });

  it('a child whose exit nobody collects for a second is a zombie; one collected at once is not', async () => {
    const script = [
      'import os, sys, time',
      'a = os.fork()',
      'if a == 0: os._exit(3)',
      'b = os.fork()',
      'if b == 0:',
      '    time.sleep(0.2); os._exit(0)',
      'os.waitpid(b, 0)',
      'time.sleep(1.2)',
      'os.waitpid(a, 0)',
      'print("children", a, b, flush=True)',
    ].join('\n');
    const run = await engine.launch({
      program: python,
      args: ['-u', '-c', script],
      shell: false,
      closeStdin: true,
      lens: 'off',
    });
    const info = await finished(run.id);
    const [, a, b] = /children (\d+) (\d+)/.exec(output(run.id))!.map(Number);
    const left = info.lanes.find((lane) => lane.pid === a)!;
    const collected = info.lanes.find((lane) => lane.pid === b)!;
    expect(left.zombie).toBe(true);
    expect(left.reaped! - left.end!).toBeGreaterThan(500);
    expect(collected.zombie).toBe(false);
    expect(collected.end).not.toBeNull();
  });

  it('the Runs record gives the real OS parent (the spawn helper) and says what it is', async () => {
    const run = await engine.launch({ program: 'true', args: [], shell: false, closeStdin: true });
    expect(engine.helperPids).toContain(run.ppid);
    expect(run.ppidName).toBe('spawn helper');
    expect(run.ppid).not.toBe(process.pid);
  });
});

describe.runIf(process.platform === 'linux' && hasPython)('why it waits, in words', () => {
  it('reading a pipe, waiting for a child, sleeping, and on a futex', async () => {
    // sh waits for its pipeline; cat reads the pipe whose write end sleep holds.
    const shell = await engine.launch({
      program: 'sh',
      args: ['-c', 'sleep 30 | cat; echo done'],
      shell: false,
      closeStdin: true,
    });
    const locked = await engine.launch({
      program: python,
      args: [
        '-c',
        'import threading\nl = threading.Lock()\nl.acquire()\nprint("locked", flush=True)\nl.acquire()',
      ],
      shell: false,
      closeStdin: true,
      lens: 'off',
    });
    try {
      const sleeper = await laneWaiting(shell.id, (lane) => lane.name === 'sleep', 'the sleep');
      expect(sleeper.why!.text).toMatch(/^sleeping \((clock_)?nanosleep\)$/);
      expect(sleeper.why!.kind).toBe('sleep');

      const cat = await laneWaiting(shell.id, (lane) => lane.name === 'cat', 'cat');
      expect(cat.why!.kind).toBe('read');
      expect(cat.why!.text).toBe(`waiting to read from a pipe (fd 0 ← pid ${sleeper.pid})`);

      const sh = await laneWaiting(shell.id, (lane) => lane.root, 'the shell');
      expect(sh.why!.kind).toBe('child');
      expect(sh.why!.text).toMatch(/^waiting for (a child|its child pid \d+) to exit$/);
      // The lane's colour over time: at least the wait it is in now.
      expect(sh.waits.at(-1)?.kind).toBe('child');

      const lock = await laneWaiting(locked.id, (lane) => lane.root, 'the locked interpreter');
      expect(lock.why!.text).toBe('waiting on a lock (futex)');
      expect(lock.why!.kind).toBe('lock');

      // The System view's details say the same, with the kernel stack where readable.
      const details = await engine.system.details(cat.pid);
      expect(details.why?.text).toBe(`waiting to read from a pipe (fd 0 ← pid ${sleeper.pid})`);
      expect(details.why?.source).toBe('kernel');
      const direct = describeWait(sleeper.pid, { stack: true });
      expect(direct?.syscall).toMatch(/nanosleep/);
    } finally {
      await Promise.all([engine.kill(shell.id), engine.kill(locked.id)]);
    }
  });
});
