/**
 * Item 7 of issue 9 (and the log parts of 5 and 6): logs never follow planted links, never overwrite
 * a previous session, are private to their owner, and never fail silently. Real processes, real
 * serve mode, real filesystems (tmpfs mounts where the test runs as root).
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../contract';
import type { Engine } from '../../main/engine/engine';
import { openLogSession, sessionMarker } from '../../main/engine/output/log-session';
import { createTestEngine, eventually, projectRoot } from '../support/engine';
import { connectClient, startServe } from '../support/serve';

const engines: Engine[] = [];
const mounts: string[] = [];
afterAll(async () => {
  await Promise.all(engines.map((engine) => engine.shutdown()));
  for (const dir of mounts) spawnSync('umount', ['-l', dir]);
});

/**
 * A fresh tmpfs with these options (`size=20m`, `ro`…), or the reason there is none: mounting
 * needs root (and a sandbox that allows it). Root ignores permission bits, so a read-only mount is
 * the honest way to get an unwritable folder.
 */
function tmpfs(options: string): { dir: string } | { skip: string } {
  const dir = mkdtempSync(join(tmpdir(), 'forkscope-test-mount-'));
  const result = spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { encoding: 'utf8' });
  if (result.status !== 0)
    return { skip: `mount -t tmpfs refused: ${(result.stderr || result.error?.message || '').trim()}` };
  mounts.push(dir);
  return { dir };
}

const mountProbe = tmpfs('size=1m');
const mountSkip = 'skip' in mountProbe ? mountProbe.skip : null;

/** Every record the engine publishes for a run, in order (what the UI's alerts are made from). */
function recordsOf(engine: Engine): RunRecord[] {
  const records: RunRecord[] = [];
  engine.registry.on('run', (record) => records.push(record));
  return records;
}

function engineIn(logDir: string, options: Parameters<typeof createTestEngine>[0] = {}): Engine {
  const engine = createTestEngine({ logDir, ...options });
  engines.push(engine);
  return engine;
}

/** Serve mode with these arguments until it prints its log folder (or exits): its output and exit code. */
async function serveOnce(
  args: string[],
): Promise<{ output: string; code: number | null; logDir: string | null }> {
  const child = spawn(process.execPath, ['out/main/serve.js', '--port', '0', ...args], {
    cwd: projectRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code, signal) => {
      if (signal) output += `[killed by ${signal}]`;
      resolve(code);
    }),
  );
  const started = await Promise.race([
    exited.then(() => false),
    new Promise<boolean>((resolve) => {
      const check = () => /Log budget: .+\n/.test(output) && resolve(true);
      child.stdout.on('data', check);
      setTimeout(() => resolve(false), 15_000);
    }),
  ]);
  if (started) child.kill('SIGINT');
  const code = await exited;
  return { output, code, logDir: /Logs of every run: (.+)\n/.exec(output)?.[1] ?? null };
}

describe('log files and folders (item 7)', () => {
  it('makes a new session folder on every start, also inside a reused --log-dir, and keeps the previous one', async () => {
    const root = mkdtempSync(join(tmpdir(), 'forkscope-test-logroot-'));
    const first = await serveOnce(['--log-dir', root]);
    const second = await serveOnce(['--log-dir', root]);
    expect(first.code, first.output).toBe(0);
    expect(second.code, second.output).toBe(0);
    expect(first.logDir).not.toBe(second.logDir);
    for (const session of [first.logDir!, second.logDir!]) {
      expect(session.startsWith(root + '/')).toBe(true);
      expect(statSync(session).mode & 0o777).toBe(0o700);
      expect(statSync(join(session, sessionMarker)).mode & 0o777).toBe(0o600);
    }
    expect(readdirSync(root).sort()).toEqual(
      [first.logDir!, second.logDir!].map((path) => path.slice(root.length + 1)).sort(),
    );
  });

  it('creates each log exclusively: a symlink planted at a log’s path is neither followed nor replaced', async () => {
    const logDir = mkdtempSync(join(tmpdir(), 'forkscope-test-planted-'));
    const target = join(mkdtempSync(join(tmpdir(), 'forkscope-test-victim-')), 'precious');
    writeFileSync(target, 'do not overwrite\n');
    // The engine names its first run r1: plant links where both its logs will go.
    symlinkSync(target, join(logDir, 'r1.stdout.log'));
    symlinkSync(target, join(logDir, 'r1.stderr.log'));
    const engine = engineIn(logDir);
    const run = await engine.launch({
      program: 'sh',
      args: ['-c', 'echo overwritten; echo overwritten >&2'],
      shell: false,
      closeStdin: true,
    });
    expect(run.id).toBe('r1');
    const ended = await engine.join(run.id, 10_000);
    expect(ended.state).toBe('exited');
    expect(readFileSync(target, 'utf8')).toBe('do not overwrite\n');
    expect(lstatSync(join(logDir, 'r1.stdout.log')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(logDir, 'r1.stdout.log'))).toBe(target);
    // Captured in memory all the same.
    expect(ended.output.stdout.bytes).toBe('overwritten\n'.length);
  });

  it('writes log files 0600 in a 0700 folder', async () => {
    const logDir = join(mkdtempSync(join(tmpdir(), 'forkscope-test-modes-')), 'session');
    const engine = engineIn(logDir);
    const run = await engine.launch({
      program: 'sh',
      args: ['-c', 'echo private; echo secret >&2'],
      shell: false,
      closeStdin: true,
    });
    const ended = await engine.join(run.id, 10_000);
    expect(statSync(logDir).mode & 0o777).toBe(0o700);
    expect(statSync(ended.output.stdout.logPath).mode & 0o777).toBe(0o600);
    expect(statSync(ended.output.stderr.logPath).mode & 0o777).toBe(0o600);
    expect(readFileSync(ended.output.stdout.logPath, 'utf8')).toBe('private\n');
    expect(readFileSync(ended.output.stderr.logPath, 'utf8')).toBe('secret\n');
  });

  it('creates a stream’s log with its first byte: a silent stream has none, its path still reported', async () => {
    const logDir = mkdtempSync(join(tmpdir(), 'forkscope-test-lazy-'));
    const engine = engineIn(logDir);
    // Quiet at first, then stderr only: the log is made late and still gets every byte.
    const run = await engine.launch({
      program: 'sh',
      args: ['-c', 'sleep 0.3; echo late >&2'],
      shell: false,
      closeStdin: true,
    });
    const ended = await engine.join(run.id, 10_000);
    const { stdout, stderr } = ended.output;
    expect(stdout.logPath).toBe(join(logDir, `${run.id}.stdout.log`));
    expect(() => statSync(stdout.logPath)).toThrow(/ENOENT/);
    expect(stdout).toMatchObject({ bytes: 0, logged: 0, logIncomplete: null });
    expect(readFileSync(stderr.logPath, 'utf8')).toBe('late\n');
    expect(stderr).toMatchObject({ bytes: 5, logged: 5, logIncomplete: null });
    expect(statSync(stderr.logPath).mode & 0o777).toBe(0o600);
  });

  it('never reuses an existing session folder: a link planted at its name is passed over', () => {
    const root = mkdtempSync(join(tmpdir(), 'forkscope-test-reuse-'));
    const victim = mkdtempSync(join(tmpdir(), 'forkscope-test-victim-dir-'));
    const now = new Date('2026-01-02T03:04:05Z');
    symlinkSync(victim, join(root, `2026-01-02T03-04-05-${process.pid}`));
    const session = openLogSession(root, now);
    expect(session).toBe(join(root, `2026-01-02T03-04-05-${process.pid}-1`));
    expect(readdirSync(victim)).toEqual([]);
    expect(openLogSession(root, now)).toBe(join(root, `2026-01-02T03-04-05-${process.pid}-2`));
  });
});

describe('log failures are never silent (item 5)', () => {
  it('serve mode refuses to start, in one line naming the folder, when the log folder cannot be made', async () => {
    const result = await serveOnce(['--log-dir', '/dev/null/logs']);
    expect(result.code).toBe(1);
    expect(result.logDir).toBeNull();
    const lines = result.output.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^forkscope: Cannot write logs to \/dev\/null\/logs: ENOTDIR/);
  });

  it.skipIf(mountSkip)('serve mode refuses a read-only --log-dir (EROFS), naming it', async () => {
    const mount = tmpfs('ro,size=1m');
    if ('skip' in mount) throw new Error(mount.skip);
    const result = await serveOnce(['--log-dir', mount.dir]);
    expect(result.code).toBe(1);
    expect(result.output.trim()).toMatch(
      new RegExp(`^forkscope: Cannot write logs to ${mount.dir}: EROFS[^\n]*$`),
    );
  });

  it.skipIf(mountSkip)(
    'a full disk marks the run "log incomplete from byte N" and the counters say what is on disk',
    async () => {
      const mount = tmpfs('size=20m');
      if ('skip' in mount) throw new Error(mount.skip);
      const engine = engineIn(join(mount.dir, 'session'), { logBudgetBytes: 1024 ** 3 });
      const records = recordsOf(engine);
      const run = await engine.launch({
        program: 'head',
        args: ['-c', '50000006', '/dev/zero'],
        shell: false,
        closeStdin: true,
      });
      const ended = await engine.join(run.id, 20_000);
      expect(ended.state).toBe('exited');
      expect(ended.exit?.code).toBe(0);
      const { stdout } = ended.output;
      const onDisk = statSync(stdout.logPath).size;
      expect(stdout.bytes).toBe(50_000_006);
      expect(onDisk).toBeLessThan(20 * 1024 * 1024 + 1);
      expect(stdout.logged).toBe(onDisk);
      expect(stdout.logIncomplete).toBe(
        `log incomplete from byte ${onDisk}: ENOSPC: no space left on device, write`,
      );
      // Published while it ran, not only in the final record: the UI raises its alert from this.
      expect(
        records.some(
          (record) => record.id === run.id && record.endedAt === null && record.output.stdout.logIncomplete,
        ),
      ).toBe(true);
    },
  );

  it('a log that cannot be created (a planted link) is reported from byte 0', async () => {
    const logDir = mkdtempSync(join(tmpdir(), 'forkscope-test-planted2-'));
    symlinkSync('/etc/hostname', join(logDir, 'r1.stdout.log'));
    const engine = engineIn(logDir);
    const run = await engine.launch({ program: 'echo', args: ['hello'], shell: false, closeStdin: true });
    const ended = await engine.join(run.id, 10_000);
    expect(ended.output.stdout.bytes).toBe(6);
    expect(ended.output.stdout.logged).toBe(0);
    expect(ended.output.stdout.logIncomplete).toMatch(/^log incomplete from byte 0: EEXIST/);
    expect(ended.output.stderr.logIncomplete).toBeNull();
  });
});

describe('log budget and retention (item 6)', () => {
  const launch = (engine: Engine, script: string, timeoutMs?: number) =>
    engine.launch({ program: 'sh', args: ['-c', script], shell: false, closeStdin: true, timeoutMs });

  it('by default stops logging a run past the budget and keeps its in-memory window', async () => {
    const engine = engineIn(mkdtempSync(join(tmpdir(), 'forkscope-test-budget-')), {
      logBudgetBytes: 1_000_000,
    });
    const run = await launch(engine, 'yes | head -c 5000000');
    const ended = await engine.join(run.id, 20_000);
    const { stdout } = ended.output;
    expect(ended.state).toBe('exited');
    expect(stdout.bytes).toBe(5_000_000);
    expect(stdout.lines).toBe(2_500_000);
    expect(stdout.logged).toBeGreaterThanOrEqual(1_000_000);
    expect(stdout.logged).toBeLessThan(5_000_000);
    expect(statSync(stdout.logPath).size).toBe(stdout.logged);
    expect(stdout.logIncomplete).toMatch(
      new RegExp(`^log incomplete from byte ${stdout.logged}: the log budget is used up`),
    );
    expect(ended.output.log).toMatchObject({ policy: 'stop-logging', warning: { kind: 'budget-exceeded' } });
  });

  it('stops the run past the budget when its policy says so', async () => {
    const engine = engineIn(mkdtempSync(join(tmpdir(), 'forkscope-test-budget-')), {
      logBudgetBytes: 1_000_000,
      logPolicy: 'stop-run',
    });
    const run = await launch(engine, 'exec yes', 30_000);
    const ended = await engine.join(run.id, 15_000);
    expect(ended.endedAt).not.toBeNull();
    expect(ended.exit?.stoppedBy).toBe('terminate');
    expect(ended.error?.message).toMatch(/^Stopped because the log budget is used up/);
    expect(ended.output.log.warning?.kind).toBe('budget-exceeded');
  });

  it('keeps logging past the budget when told so for that run (runs.setLogPolicy)', async () => {
    const engine = engineIn(mkdtempSync(join(tmpdir(), 'forkscope-test-budget-')), {
      logBudgetBytes: 1_000_000,
    });
    const run = await launch(engine, 'sleep 0.5; yes | head -c 3000000');
    expect(engine.setLogPolicy(run.id, 'keep-logging').output.log.policy).toBe('keep-logging');
    const ended = await engine.join(run.id, 20_000);
    expect(ended.output.stdout.logged).toBe(3_000_000);
    expect(ended.output.stdout.logIncomplete).toBeNull();
    expect(statSync(ended.output.stdout.logPath).size).toBe(3_000_000);
  });

  it('"keep logging" chosen after the budget stopped a run resumes it, and says which bytes are missing', async () => {
    const engine = engineIn(mkdtempSync(join(tmpdir(), 'forkscope-test-budget-')), {
      logBudgetBytes: 1_000_000,
    });
    const run = await engine.launch({
      program: 'sh',
      args: ['-c', 'yes | head -c 2000000; read line; yes | head -c 1000000'],
      shell: false,
      closeStdin: false,
    });
    const stopped: string = await eventually(
      () => engine.run(run.id).snapshot().output.stdout.logIncomplete ?? '',
      10_000,
      'the budget',
    );
    await eventually(
      () => engine.run(run.id).snapshot().output.stdout.bytes === 2_000_000,
      10_000,
      'the first half',
    );
    engine.setLogPolicy(run.id, 'keep-logging');
    engine.writeStdin(run.id, 'go\n');
    const ended = await engine.join(run.id, 20_000);
    const { stdout } = ended.output;
    expect(stopped).toMatch(/^log incomplete from byte \d+: the log budget is used up/);
    const gapStart = Number(/byte (\d+)/.exec(stopped)![1]);
    expect(stdout.logIncomplete).toBe(
      `log incomplete: received bytes ${gapStart}–2000000 are not in it (the log budget is used up (${/\((.*)\)$/.exec(stopped)![1]}); logging resumed)`,
    );
    expect(stdout.logged).toBe(gapStart + 1_000_000);
    expect(statSync(stdout.logPath).size).toBe(stdout.logged);
  });

  it('warns while a run writes fast, and when the budget is 80 % used', async () => {
    const engine = engineIn(mkdtempSync(join(tmpdir(), 'forkscope-test-budget-')), {
      logBudgetBytes: 1024 ** 3,
    });
    const records = recordsOf(engine);
    const fast = await launch(engine, 'exec yes', 2500);
    await engine.join(fast.id, 10_000);
    const warning = records.find((record) => record.id === fast.id && record.output.log.warning)?.output.log
      .warning;
    expect(warning?.kind).toBe('fast');
    expect(warning?.message).toMatch(
      /^Writing [\d.]+ MB\/s to its log: the log budget \([\d.]+ [MG]B left\) lasts about \d+ s at this rate\.$/,
    );

    const small = engineIn(mkdtempSync(join(tmpdir(), 'forkscope-test-budget-')), {
      logBudgetBytes: 10_000_000,
    });
    const smallRecords = recordsOf(small);
    const run = await launch(small, 'yes | head -c 8500000; sleep 1.2; echo done');
    await small.join(run.id, 20_000);
    const budgetWarning = smallRecords.find((record) => record.output.log.warning?.kind === 'budget-80');
    expect(budgetWarning?.output.log.warning?.message).toMatch(
      /^The log budget is 8\d % used \(8\.\d MB of 9\.5 MB\)\.$/,
    );
  });

  it('deletes old session folders at start (the newest 20, none older than 14 days), never a folder it did not make', async () => {
    const root = mkdtempSync(join(tmpdir(), 'forkscope-test-retention-'));
    const day = 24 * 3600_000;
    // 25 sessions, one a day, the oldest 25 days ago; a folder of someone else's; a file.
    for (let age = 1; age <= 25; age++) {
      const folder = join(root, `old-${String(age).padStart(2, '0')}`);
      mkdirSync(folder);
      writeFileSync(
        join(folder, sessionMarker),
        JSON.stringify({ startedAt: Date.now() - age * day, pid: 1 }),
      );
      writeFileSync(join(folder, 'r1.stdout.log'), 'x');
    }
    mkdirSync(join(root, 'not-ours'));
    writeFileSync(join(root, 'notes.txt'), 'keep');
    const result = await serveOnce(['--log-dir', root, '--log-keep-sessions', '20', '--log-keep-days', '14']);
    expect(result.code, result.output).toBe(0);
    const left = readdirSync(root).sort();
    // This session plus the 13 days younger than 14 days (the day-14 one is just past it).
    const kept = Array.from({ length: 13 }, (_, index) => `old-${String(index + 1).padStart(2, '0')}`);
    expect(left).toEqual([...kept, 'not-ours', 'notes.txt', result.logDir!.slice(root.length + 1)].sort());
    expect(result.output).toMatch(/deleted 12 old session folder\(s\)/);

    const byCount = await serveOnce(['--log-dir', root, '--log-keep-sessions', '3']);
    expect(readdirSync(root).filter((name) => name.startsWith('old-'))).toEqual(['old-01']);
    expect(readdirSync(root)).toContain(result.logDir!.slice(root.length + 1));
    expect(byCount.code).toBe(0);
  });

  it('refuses a bad budget setting, naming it', async () => {
    const result = await serveOnce(['--log-budget', 'lots']);
    expect(result.code).toBe(2);
    expect(result.output.trim()).toBe(
      'forkscope: --log-budget (FORKSCOPE_LOG_BUDGET) must be a size such as 5G, 500M or 1048576, not "lots".',
    );
  });

  it('"Clear finished" deletes the logs of the runs it clears only when asked', async () => {
    const engine = engineIn(mkdtempSync(join(tmpdir(), 'forkscope-test-clear-')));
    const kept = await engine.join((await launch(engine, 'echo kept')).id, 10_000);
    expect(engine.clearFinished(false)).toBe(1);
    expect(readFileSync(kept.output.stdout.logPath, 'utf8')).toBe('kept\n');
    const deleted = await engine.join((await launch(engine, 'echo deleted')).id, 10_000);
    expect(engine.clearFinished(true)).toBe(1);
    expect(() => statSync(deleted.output.stdout.logPath)).toThrow(/ENOENT/);
    expect(() => statSync(deleted.output.stderr.logPath)).toThrow(/ENOENT/);
    expect(readFileSync(kept.output.stdout.logPath, 'utf8')).toBe('kept\n');
  });

  it('serves a run’s log as a download under the token, and nothing without it', async () => {
    const serve = await startServe();
    const { client, close } = await connectClient(serve);
    try {
      const run = await client.call('runs.launch', {
        program: 'sh',
        args: ['-c', 'seq 1 100000'],
        closeStdin: true,
      });
      const ended = await client.call('runs.join', { id: run.id, timeoutMs: 10_000 });
      const base = `${serve.origin}/logs/${run.id}/stdout`;
      const ok = await fetch(`${base}?token=${encodeURIComponent(serve.token)}`);
      expect(ok.status).toBe(200);
      expect(ok.headers.get('content-disposition')).toBe(`attachment; filename="${run.id}.stdout.log"`);
      expect(ok.headers.get('cache-control')).toBe('no-store');
      const body = await ok.text();
      expect(body.length).toBe(ended.output.stdout.bytes);
      expect(body.endsWith('99999\n100000\n')).toBe(true);
      expect((await fetch(`${base}?token=wrong`)).status).toBe(401);
      expect((await fetch(base)).status).toBe(401);
      expect((await fetch(`${serve.origin}/logs/r999/stdout?token=${serve.token}`)).status).toBe(404);
      expect(
        (await fetch(`${serve.origin}/logs/${run.id}/../../etc/passwd?token=${serve.token}`)).status,
      ).toBe(404);
      expect((await fetch(`${base}?token=${serve.token}`, { method: 'POST' })).status).toBe(405);
    } finally {
      close();
      await serve.stop();
    }
  });
});
