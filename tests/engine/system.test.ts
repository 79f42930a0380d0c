import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isForkscopeError, type ProcessRow } from '../../contract';
import type { Engine } from '../../main/engine/engine';
import { createTestEngine, eventually, projectRoot } from '../support/engine';

const linux = process.platform === 'linux';
let engine: Engine;
const started: ChildProcess[] = [];

/** Starts `sleep <seconds>` from this test process: only these are ever signalled here. */
function startSleeps(count: number, seconds: string, cwd?: string): ChildProcess[] {
  const children = Array.from({ length: count }, () =>
    spawn('sleep', [seconds], { stdio: 'ignore', cwd, detached: true }),
  );
  started.push(...children);
  return children;
}

async function rows(): Promise<ProcessRow[]> {
  await engine.system.refresh();
  return (await engine.system.snapshot()).rows;
}

async function refusal(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (isForkscopeError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected a refusal');
}

beforeAll(() => {
  engine = createTestEngine();
});

afterEach(() => {
  // Each was started as its own group leader: the group goes, grandchildren included.
  for (const child of started.splice(0)) {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
});

afterAll(async () => {
  await engine.shutdown();
});

describe('snapshots', () => {
  // How soon they show is the bench's to measure (a refresh reads /proc at once); here, that they do.
  it('shows 20 new sleep processes under their parent, then one killed is gone', async () => {
    engine.system.watch(10_000);
    const before = new Set((await engine.system.snapshot()).rows.map((row) => row.key));
    const children = startSleeps(20, '901.5');
    const pids = new Set(children.map((child) => child.pid!));
    const startedAt = Date.now();
    const found = (await eventually(
      async () => {
        const mine = (await rows()).filter((row) => pids.has(row.pid));
        return mine.length === 20 ? mine : null;
      },
      10_000,
      '20 sleeps in the snapshot',
    ))!;
    for (const row of found) {
      expect(row.ppid).toBe(process.pid);
      expect(row.name).toBe('sleep');
      expect(row.cmd).toBe('sleep 901.5');
      expect(before.has(row.key)).toBe(false);
      expect(row.user).toBe(userInfo().username);
      expect(['S', 'R']).toContain(row.state);
      expect(Math.abs(row.start - startedAt)).toBeLessThan(5000);
    }

    expect(found.some((row) => row.memory > 0)).toBe(true);
    const victim = found[0]!;
    const result = await engine.system.kill({
      pid: victim.pid,
      signal: 'TERM',
      tree: false,
      start: victim.start,
    });
    expect(result.signalled).toEqual([{ pid: victim.pid, name: 'sleep' }]);
    await eventually(
      async () => !(await rows()).some((row) => row.key === victim.key),
      5000,
      'the killed sleep to go',
    );
    expect((await rows()).filter((row) => pids.has(row.pid))).toHaveLength(19);
  });

  it('sends only differences: added, removed and changed rows by key', async () => {
    const diffs: { added: ProcessRow[]; removed: string[] }[] = [];
    engine.system.on('diff', (diff) => diffs.push(diff));
    await engine.system.snapshot();
    const [child] = startSleeps(1, '902.5');
    await eventually(async () => (await rows()).some((row) => row.pid === child!.pid), 5000);
    const added = diffs.flatMap((diff) => diff.added).find((row) => row.pid === child!.pid);
    expect(added?.cmd).toBe('sleep 902.5');
    child!.kill('SIGKILL');
    await eventually(async () => !(await rows()).some((row) => row.pid === child!.pid), 5000);
    expect(diffs.flatMap((diff) => diff.removed)).toContain(added!.key);
    const total = (await engine.system.snapshot()).rows.length;
    for (const diff of diffs) expect(diff.added.length + diff.removed.length).toBeLessThan(total);
  });

  it('marks Forkscope itself, its helper, a run and the run’s descendants', async () => {
    const run = await engine.launch({
      program: 'sh',
      args: ['-c', 'sleep 903.5 & sleep 903.5 & wait'],
      shell: false,
      closeStdin: true,
    });
    try {
      const found = (await eventually(async () => {
        const all = await rows();
        const sleeps = all.filter((row) => row.cmd === 'sleep 903.5');
        return sleeps.length === 2 ? all : null;
      }, 5000))!;
      expect(found.find((row) => row.pid === process.pid)?.own).toBe('forkscope');
      for (const pid of engine.helperPids)
        expect(found.find((row) => row.pid === pid)?.own).toBe('forkscope');
      const root = found.find((row) => row.pid === run.pid)!;
      expect(root).toMatchObject({ own: 'run', runId: run.id });
      for (const row of found.filter((candidate) => candidate.cmd === 'sleep 903.5')) {
        expect(row).toMatchObject({ own: 'descendant', runId: run.id, ppid: run.pid });
      }
    } finally {
      await engine.kill(run.id);
    }
  });

  it('pauses and changes the interval as settings', () => {
    expect(engine.system.configure({ intervalMs: 500 })).toEqual({ intervalMs: 500, paused: false });
    expect(engine.system.configure({ paused: true }).paused).toBe(true);
    expect(engine.system.configure({ paused: false, intervalMs: 1000 })).toEqual({
      intervalMs: 1000,
      paused: false,
    });
  });
});

describe('details', () => {
  it.runIf(linux)('reads cmd, cwd, user, start time, state and threads from /proc', async () => {
    const cwd = realpathSync(mkdtempSync(join(tmpdir(), 'forkscope-details-')));
    const [child] = startSleeps(1, '904.5', cwd);
    const startedAt = Date.now();
    const details = await eventually(() => engine.system.details(child!.pid!), 3000);
    expect(details).toMatchObject({
      pid: child!.pid,
      ppid: process.pid,
      name: 'sleep',
      cmd: 'sleep 904.5',
      cwd,
      cwdError: null,
      user: userInfo().username,
      threads: 1,
      parentName: expect.any(String),
    });
    expect(details.exe).toMatch(/sleep$/);
    expect(['S', 'R']).toContain(details.state);
    expect(details.stateMeaning).toMatch(/sleeping|running/);
    expect(Math.abs(details.start - startedAt)).toBeLessThan(5000);
  });

  it('says when the process has already exited', () => {
    const gone = spawnSync('true').pid;
    expect(() => engine.system.details(gone)).toThrow(/already exited/);
  });
});

describe('safe kill', () => {
  it('refuses pid 1 before any syscall, with a clear sentence', async () => {
    const error = await refusal(engine.system.kill({ pid: 1, signal: 'KILL', tree: false }));
    expect(error.code).toBe('refused');
    expect(error.message).toMatch(/pid 1 is the system’s init process/);
  });

  it('refuses Forkscope itself, its helper and its parent', async () => {
    const self = await refusal(engine.system.kill({ pid: process.pid, signal: 'TERM', tree: false }));
    expect(self).toMatchObject({ code: 'refused', message: expect.stringMatching(/is Forkscope itself/) });
    const parent = await refusal(engine.system.kill({ pid: process.ppid, signal: 'TERM', tree: false }));
    expect(parent).toMatchObject({ code: 'refused', message: expect.stringMatching(/Forkscope’s parent/) });
    for (const pid of engine.helperPids) {
      const helper = await refusal(engine.system.kill({ pid, signal: 'KILL', tree: false }));
      expect(helper).toMatchObject({
        code: 'refused',
        message: expect.stringMatching(/part of Forkscope itself/),
      });
    }
  });

  it('refuses a tree that holds Forkscope', async () => {
    const error = await refusal(engine.system.kill({ pid: process.ppid, signal: 'TERM', tree: true }));
    expect(error.code).toBe('refused');
  });

  it('refuses a pid whose start time differs from the snapshot’s (reused pid)', async () => {
    const [child] = startSleeps(1, '905.5');
    const row = (await eventually(
      async () => (await rows()).find((candidate) => candidate.pid === child!.pid),
      3000,
    ))!;
    const error = await refusal(
      engine.system.kill({ pid: row.pid, signal: 'TERM', tree: false, start: row.start - 60_000 }),
    );
    expect(error).toMatchObject({ code: 'refused', message: expect.stringMatching(/reused/) });
    expect(child!.exitCode).toBeNull();
    expect(child!.signalCode).toBeNull();
  });

  it('says "already exited" for a pid that is gone (ESRCH)', async () => {
    const gone = spawnSync('true').pid;
    const error = await refusal(engine.system.kill({ pid: gone, signal: 'TERM', tree: false }));
    expect(error).toMatchObject({ code: 'already-exited', message: `pid ${gone} has already exited.` });
  });

  it('kills a whole tree, parent first', async () => {
    const [parent] = [
      spawn('sh', ['-c', 'sleep 906.5 & sleep 906.5 & wait'], { stdio: 'ignore', detached: true }),
    ];
    started.push(parent!);
    await eventually(
      async () =>
        (await rows()).filter((row) => row.cmd === 'sleep 906.5' && row.ppid === parent!.pid).length === 2,
      5000,
    );
    const result = await engine.system.kill({ pid: parent!.pid!, signal: 'KILL', tree: true });
    expect(result.signalled.map((entry) => entry.name)).toEqual(['sh', 'sleep', 'sleep']);
    await eventually(
      async () =>
        !(await rows()).some(
          (row) => result.signalled.some((entry) => entry.pid === row.pid) && row.state !== 'Z',
        ),
      5000,
      'the tree to go',
    );
  });

  const root = linux && process.getuid?.() === 0 && spawnSync('setpriv', ['--version']).status === 0;
  const asNobody = ['--reuid=65534', '--regid=65534', '--clear-groups'];
  // Node itself must be runnable by that user; the project's files need not be (a clone may sit in a 0700 home).
  const nobodyRunsNode =
    root && spawnSync('setpriv', [...asNobody, process.execPath, '-e', '0'], { cwd: tmpdir() }).status === 0;
  it.runIf(nobodyRunsNode)(
    'says "permission denied" when the system refuses (EPERM), as another user',
    async () => {
      const [child] = startSleeps(1, '907.5');
      // The monitor is bundled into one file in a fresh world-readable folder, so user 65534 reads
      // nothing of the clone, wherever it lives.
      const dir = mkdtempSync(join(tmpdir(), 'forkscope-as-nobody-'));
      chmodSync(dir, 0o755);
      const script = join(dir, 'kill-as-nobody.mjs');
      await build({
        stdin: {
          contents: [
            "import { SystemMonitor } from './main/engine/system/monitor';",
            'const monitor = new SystemMonitor({ ownPids: () => ({ self: process.pid, helpers: [], runs: new Map() }), lookupRun: () => null });',
            `try { await monitor.kill({ pid: ${child!.pid}, signal: 'TERM', tree: false }); console.log('sent'); }`,
            'catch (error) { console.log(JSON.stringify({ code: error.code, message: error.message })); }',
          ].join('\n'),
          resolveDir: projectRoot,
          loader: 'ts',
        },
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node20',
        outfile: script,
        logLevel: 'silent',
      });
      chmodSync(script, 0o644);
      const result = spawnSync('setpriv', [...asNobody, process.execPath, script], {
        cwd: dir,
        encoding: 'utf8',
        env: { ...process.env, HOME: dir },
      });
      rmSync(dir, { recursive: true, force: true });
      const answer = JSON.parse(result.stdout.trim().split('\n').pop() ?? '{}');
      expect(answer.code).toBe('permission-denied');
      expect(answer.message).toMatch(/^permission denied: sleep \(pid \d+\) belongs to root/);
      expect(child!.exitCode).toBeNull();
    },
  );
});
