import { createHash } from 'node:crypto';
import { createReadStream, readdirSync, readFileSync, statSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { ForkscopeError } from '../../contract';
import { createTestEngine, eventually } from '../support/engine';

const engine = createTestEngine();
afterAll(() => engine.shutdown());

const launch = (program: string, args: string[] = [], extra: Record<string, unknown> = {}) =>
  engine.launch({ program, args, shell: false, closeStdin: false, ...extra });

const allText = (id: string) =>
  engine
    .readOutput(id, 0, 10_000)
    .lines.map((line) => `${line.stream}:${line.text}`)
    .join('\n');

async function expectError(promise: Promise<unknown> | (() => unknown), code: string, text?: RegExp) {
  let caught: unknown;
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ForkscopeError);
  expect((caught as ForkscopeError).code).toBe(code);
  if (text) expect((caught as ForkscopeError).message).toMatch(text);
}

describe('subprocess', () => {
  it('captures stdout and stderr apart and explains the exit code', async () => {
    const run = await launch('python3', [
      '-c',
      "import sys; print('out'); print('err', file=sys.stderr); sys.exit(3)",
    ]);
    const ended = await engine.join(run.id, 10_000);
    expect(ended.state).toBe('exited');
    expect(ended.exit).toMatchObject({ code: 3, exitcode: 3, signal: null });
    expect(ended.exit?.meaning).toMatch(/exit code 3/);
    expect(allText(run.id)).toContain('stdout:out');
    expect(allText(run.id)).toContain('stderr:err');
    expect(ended.output.stdout.bytes).toBe(4);
    expect(ended.pid).toBeGreaterThan(0);
  });

  it('writes to stdin later and closes it on demand (sort)', async () => {
    const run = await launch('sort');
    expect(run.stdinOpen).toBe(true);
    engine.writeStdin(run.id, 'pear\napple\n');
    engine.writeStdin(run.id, 'mango\n');
    engine.closeStdin(run.id);
    const ended = await engine.join(run.id, 10_000);
    expect(ended.exit?.exitcode).toBe(0);
    expect(engine.readOutput(run.id, 0, 10).lines.map((line) => line.text)).toEqual([
      'apple',
      'mango',
      'pear',
    ]);
  });

  it('writes input at start and closes stdin, as communicate(input)', async () => {
    const run = await launch('tr', ['a-z', 'A-Z'], { input: 'hello\n', closeStdin: true });
    await engine.join(run.id, 10_000);
    expect(allText(run.id)).toBe('stdout:HELLO');
  });

  it('applies cwd and env overrides, and removes variables set to null', async () => {
    process.env.FORKSCOPE_TEST_REMOVE = 'present';
    const run = await launch('sh', ['-c', 'pwd; echo "$GREETING"; echo "[${FORKSCOPE_TEST_REMOVE:-gone}]"'], {
      cwd: '/tmp',
      env: { GREETING: 'hi there', FORKSCOPE_TEST_REMOVE: null },
    });
    await engine.join(run.id, 10_000);
    expect(allText(run.id)).toBe('stdout:/tmp\nstdout:hi there\nstdout:[gone]');
  });

  it('runs through a shell only when asked', async () => {
    const withShell = await engine.launch({
      program: 'echo a b | wc -w',
      args: [],
      shell: true,
      closeStdin: true,
    });
    await engine.join(withShell.id, 10_000);
    expect(allText(withShell.id).trim()).toBe('stdout:2');
    const without = await launch('echo', ['$HOME', '|', 'wc']);
    await engine.join(without.id, 10_000);
    expect(allText(without.id)).toBe('stdout:$HOME | wc');
  });

  it('kills a run at its timeout, as Python’s run(timeout=…), and says so', async () => {
    const run = await launch('sleep', ['100'], { timeoutMs: 300 });
    const ended = await engine.join(run.id, 10_000);
    expect(ended.state).toBe('signalled');
    expect(ended.exit).toMatchObject({ signal: 'SIGKILL', exitcode: -9, stoppedBy: 'timeout' });
    expect(ended.error?.code).toBe('timeout');
  });

  it('terminates with SIGTERM and reports -15 with its meaning', async () => {
    const run = await launch('sleep', ['100']);
    const ended = await engine.terminate(run.id);
    expect(ended.exit).toMatchObject({ signal: 'SIGTERM', exitcode: -15, stoppedBy: 'terminate' });
    expect(ended.exit?.meaning).toMatch(/SIGTERM.*Terminate/);
  });

  it('kills with SIGKILL', async () => {
    const run = await launch('sleep', ['100']);
    const ended = await engine.kill(run.id);
    expect(ended.exit).toMatchObject({ signal: 'SIGKILL', exitcode: -9, stoppedBy: 'kill' });
  });

  it('records a missing program as a failed run with a clear error, and goes on', async () => {
    const run = await launch('no-such-program');
    expect(run.state).toBe('failed');
    expect(run.error?.code).toBe('command-not-found');
    expect(run.error?.message).toMatch(/command not found: no-such-program/);
    const next = await launch('true');
    expect((await engine.join(next.id, 10_000)).exit?.exitcode).toBe(0);
  });
});

describe('bad input', () => {
  it('names a missing working directory', async () => {
    await expectError(launch('ls', [], { cwd: '/no/such/dir' }), 'bad-cwd', /\/no\/such\/dir does not exist/);
  });

  it('refuses a NUL byte in an argument', async () => {
    await expectError(
      launch('echo', ['fine', 'bad\0arg']),
      'invalid-argument',
      /Argument 2 contains a NUL byte/,
    );
  });

  it('refuses an argument list too long for the system', async () => {
    const args = Array.from({ length: 30_000 }, (_, i) => `argument-${i}-${'x'.repeat(100)}`);
    await expectError(launch('echo', args), 'argument-list-too-long', /E2BIG/);
  });

  it('refuses a write to the stdin of a process that has exited', async () => {
    const run = await launch('true');
    await engine.join(run.id, 10_000);
    await expectError(() => engine.writeStdin(run.id, 'late\n'), 'stdin-closed', /has exited/);
  });

  it('survives EPIPE when the reader goes away while being written to', async () => {
    const run = await launch('head', ['-c', '1']);
    const chunk = 'x'.repeat(64 * 1024);
    for (let i = 0; i < 50; i++) {
      try {
        engine.writeStdin(run.id, chunk);
      } catch (error) {
        expect((error as ForkscopeError).code).toBe('stdin-closed');
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const ended = await engine.join(run.id, 10_000);
    expect(ended.exit?.exitcode).toBe(0);
    expect(ended.stdinOpen).toBe(false);
  });

  it('refuses unknown runs with not-found', async () => {
    await expectError(() => engine.run('r999999'), 'not-found');
  });
});

describe('output capture', () => {
  it('keeps every byte of a 100 MB flood in the log and a bounded window in memory', async () => {
    const script =
      'import sys\nline = b"0123456789" * 9 + b"abcdefghi\\n"\nblock = line * 10000\nfor _ in range(100): sys.stdout.buffer.write(block)';
    const run = await launch('python3', ['-c', script]);
    const ended = await engine.join(run.id, 60_000);
    expect(ended.exit?.exitcode).toBe(0);
    const expected = 100 * 10_000 * 100;
    expect(ended.output.stdout.bytes).toBe(expected);
    expect(ended.output.stdout.lines).toBe(1_000_000);
    expect(statSync(ended.output.stdout.logPath).size).toBe(expected);

    const line = Buffer.from('0123456789'.repeat(9) + 'abcdefghi\n');
    const want = createHash('sha256');
    const block = Buffer.concat(Array.from({ length: 10_000 }, () => line));
    for (let i = 0; i < 100; i++) want.update(block);
    const got = createHash('sha256');
    for await (const chunk of createReadStream(ended.output.stdout.logPath)) got.update(chunk as Buffer);
    expect(got.digest('hex')).toBe(want.digest('hex'));

    const window = engine.readOutput(run.id, 0, 10);
    expect(window.firstSeq).toBeGreaterThan(0);
    expect(window.nextSeq).toBe(1_000_000);
    expect(window.lines[0]?.seq).toBe(window.firstSeq);
  });

  it('numbers lines of both streams in one sequence, in order', async () => {
    // Pauses between writes: two pipes written at the same instant may be read in either order.
    const run = await launch('sh', ['-c', 'echo one; sleep 0.2; echo two >&2; sleep 0.2; echo three']);
    await engine.join(run.id, 10_000);
    const lines = engine.readOutput(run.id, 0, 10).lines;
    expect(lines.map((line) => [line.seq, line.stream, line.text])).toEqual([
      [0, 'stdout', 'one'],
      [1, 'stderr', 'two'],
      [2, 'stdout', 'three'],
    ]);
    expect(lines[2]!.t).toBeGreaterThanOrEqual(lines[0]!.t);
  });

  it('shows an unfinished line (a prompt) before its newline comes', async () => {
    const run = await launch('sh', ['-c', 'printf "Name? "; read name; echo "Hello, $name"']);
    await eventually(() => engine.run(run.id).capture.unfinished().stdout === 'Name? ', 10_000, 'the prompt');
    expect(engine.readOutput(run.id, 0, 10)).toMatchObject({ lines: [], unfinished: { stdout: 'Name? ' } });
    engine.writeStdin(run.id, 'Ada\n');
    await engine.join(run.id, 10_000);
    expect(allText(run.id)).toBe('stdout:Name? Hello, Ada');
    expect(engine.readOutput(run.id, 0, 10).unfinished).toEqual({ stdout: null, stderr: null });
  });

  it('keeps a last line without a newline', async () => {
    const run = await launch('printf', ['no newline']);
    await engine.join(run.id, 10_000);
    expect(allText(run.id)).toBe('stdout:no newline');
  });
});

describe('lifetime', () => {
  it('kills a child that ignores SIGTERM after the grace period', async () => {
    const run = await launch('sh', ['-c', 'trap "" TERM; echo ready; while :; do sleep 0.1; done']);
    await eventually(() => allText(run.id).includes('ready'), 10_000, 'ready');
    const started = Date.now();
    const ended = await engine.terminate(run.id, 500);
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    expect(ended.exit).toMatchObject({ signal: 'SIGKILL', exitcode: -9, stoppedBy: 'terminate' });
  });

  it('stops the whole tree: no sleep is left behind', async () => {
    const run = await launch('sh', ['-c', 'sleep 1000 & sleep 1000 & wait']);
    const pgid = run.pid!;
    await eventually(() => liveMembers(pgid).length === 3, 10_000, 'three members');
    await engine.terminate(run.id);
    await eventually(() => liveMembers(pgid).length === 0, 10_000, 'an empty group');
  });
});

/** Processes of a group that are alive (not zombies: this sandbox's PID 1 does not reap orphans). */
function liveMembers(pgid: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid && fields[0] !== 'Z') pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

describe('the spawn helper', () => {
  it('if it dies, running commands are not reported as successes, and can still be stopped', async () => {
    const own = createTestEngine();
    try {
      const run = await own.launch({ program: 'sleep', args: ['300'], shell: false, closeStdin: true });
      process.kill(own.helperPids[0]!, 'SIGKILL');
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(own.run(run.id).snapshot().state).toBe('running');
      const ended = await own.kill(run.id);
      expect(ended.exit?.exitcode).toBeNull();
      expect(ended.exit?.meaning).toMatch(/exit status is unknown/);
      expect(ended.error?.code).toBe('unavailable');
      const next = await own.launch({ program: 'true', args: [], shell: false, closeStdin: true });
      expect((await own.join(next.id, 10_000)).exit?.exitcode).toBe(0);
    } finally {
      await own.shutdown();
    }
  });
});
