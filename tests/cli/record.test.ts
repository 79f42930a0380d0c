import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync, gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { eventually, projectRoot } from '../support/engine';
import { reportOf, runCli, tempFolder } from './run-cli';

const seeds = join(projectRoot, 'main', 'engine', 'examples', 'python');
const hasPython = (() => {
  try {
    execFileSync('python3', ['-c', 'pass']);
    return true;
  } catch {
    return false;
  }
})();

/** The text of one stream as the recording holds it: every output line the engine captured. */
function recordedText(file: string, stream: 'stdout' | 'stderr'): string {
  const entries = gunzipSync(readFileSync(file)).toString().trim().split('\n').slice(1);
  return entries
    .map((line) => JSON.parse(line) as { e: string; p: { lines?: { stream: string; text: string }[] } })
    .filter((entry) => entry.e === 'runs.output')
    .flatMap((entry) => entry.p.lines ?? [])
    .filter((line) => line.stream === stream)
    .map((line) => line.text + '\n')
    .join('');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    const state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
    return state !== 'Z';
  } catch {
    return false;
  }
}

describe('forkscope record', () => {
  it('passes stdin, stdout and stderr through byte for byte, and records the run', async () => {
    const dir = tempFolder();
    // Every byte value, no trailing newline, a lone CR, invalid UTF-8: nothing may be cut or re-encoded.
    const input = Buffer.concat([randomBytes(300_000), Buffer.from([0, 13, 0xff, 0xfe])]);
    const program = `
      const chunks = [];
      process.stdin.on('data', (c) => chunks.push(c));
      process.stdin.on('end', () => {
        const all = Buffer.concat(chunks);
        process.stdout.write(all);
        process.stderr.write(Buffer.from([0xc3, 0x28, 10, 13, 0]));
        process.stderr.write('err-tail');
      });`;
    const result = await runCli(['record', '--out', 'b.fsrec', '--', process.execPath, '-e', program], {
      cwd: dir,
      input,
    });
    expect({ status: result.status, stderr: result.stderr }).toMatchObject({ status: 0 });
    expect(result.stdout.equals(input)).toBe(true);
    const note = Buffer.from(`forkscope: recording written to ${join(dir, 'b.fsrec')}\n`);
    const stderr = Buffer.concat([Buffer.from([0xc3, 0x28, 10, 13, 0]), Buffer.from('err-tail'), note]);
    expect(result.stderrBytes.equals(stderr)).toBe(true);
    const report = await reportOf('b.fsrec', dir);
    expect(report.schemaVersion).toBe(1);
    expect(report.recording.complete).toBe(true);
    expect(report.recording.exitStatus).toBe(0);
    expect(report.processes[0]!.argv[0]).toBe(process.execPath);
    expect(report.processes[0]!.exitCode).toBe(0);
  });

  it('exits as a shell would: the code, or 128+N for signal N', async () => {
    const dir = tempFolder();
    const seven = await runCli(['record', '--out', 'seven.fsrec', '--', 'sh', '-c', 'exit 7'], { cwd: dir });
    expect(seven.status).toBe(7);
    expect((await reportOf('seven.fsrec', dir)).processes[0]!.exitCode).toBe(7);
    const killed = await runCli(['record', '--out', 'k.fsrec', '--', 'sh', '-c', 'kill -TERM $$'], {
      cwd: dir,
    });
    expect(killed.status).toBe(128 + 15);
    const report = await reportOf('k.fsrec', dir);
    expect(report.processes[0]!.signal).toBe('SIGTERM');
    expect(report.recording.exitStatus).toBe(143);
  });

  it('stops the whole tree on Ctrl-C (SIGINT) and exits 130', async () => {
    const dir = tempFolder();
    let cli = 0;
    const result = await runCli(
      ['record', '--out', 'int.fsrec', '--', 'sh', '-c', 'sleep 60 & sleep 60 & echo "pids $!"; wait'],
      {
        cwd: dir,
        onStart: (pid, stdout) => {
          cli = pid;
          void eventually(() => (/pids \d+/.test(stdout()) ? true : null), 10_000).then(() =>
            process.kill(pid, 'SIGINT'),
          );
        },
      },
    );
    expect(cli).toBeGreaterThan(0);
    expect(result.status).toBe(130);
    const sleeper = Number(/pids (\d+)/.exec(result.stdout.toString())![1]);
    expect(alive(sleeper)).toBe(false);
    expect(result.stderr).toContain('forkscope: SIGINT: stopping sh');
    const report = await reportOf('int.fsrec', dir);
    expect(report.recording.exitStatus).toBe(130);
    expect(report.processes.some((p) => p.pid === sleeper)).toBe(true);
  });

  it('refuses bad input in one line with a non-zero status', async () => {
    const dir = tempFolder();
    const missing = await runCli(['record', '--', 'no-such-program-xyz'], { cwd: dir });
    expect(missing.status).toBe(127);
    expect(missing.stderr).toBe(
      'forkscope: command not found: no-such-program-xyz (ENOENT). Is it installed and on PATH?\n',
    );
    expect(execFileSync('ls', [dir]).toString()).not.toContain('.fsrec');

    const noProgram = await runCli(['record'], { cwd: dir });
    expect(noProgram.status).toBe(2);
    expect(noProgram.stderr.trim().split('\n')).toHaveLength(1);

    writeFileSync(join(dir, 'foreign.fsrec'), 'hello');
    const foreign = await runCli(['report', 'foreign.fsrec'], { cwd: dir });
    expect(foreign.status).toBe(1);
    expect(foreign.stderr).toBe(
      'forkscope: foreign.fsrec is not a Forkscope recording (it is not gzip-compressed).\n',
    );

    writeFileSync(join(dir, 'json.fsrec'), gzipSync('{"format":"something-else"}\n'));
    expect((await runCli(['report', 'json.fsrec'], { cwd: dir })).stderr).toContain(
      'is not a Forkscope recording',
    );

    writeFileSync(join(dir, 'newer.fsrec'), gzipSync('{"format":"forkscope-recording","version":3}\n'));
    const newer = await runCli(['report', 'newer.fsrec'], { cwd: dir });
    expect(newer.status).toBe(1);
    expect(newer.stderr).toContain('written by a newer Forkscope (recording format version 3');

    // A header of this version with its fields missing: one clear line, not an internal error.
    writeFileSync(join(dir, 'bare.fsrec'), gzipSync('{"format":"forkscope-recording","version":2}\n'));
    const bare = await runCli(['report', 'bare.fsrec'], { cwd: dir });
    expect(bare.status).toBe(1);
    expect(bare.stderr).toMatch(
      /^forkscope: bare\.fsrec is a damaged recording: its header's createdAt is wrong/,
    );
    expect(bare.stderr.trim().split('\n')).toHaveLength(1);

    const unreadable = await runCli(['report', 'absent.fsrec'], { cwd: dir });
    expect(unreadable.stderr).toBe('forkscope: Cannot read absent.fsrec: no such file.\n');
  });

  it('reads a recording cut short up to where it ends, and says it is incomplete', async () => {
    const dir = tempFolder();
    const ok = await runCli(['record', '--out', 'full.fsrec', '--', 'sh', '-c', 'echo one; echo two'], {
      cwd: dir,
    });
    expect(ok.status).toBe(0);
    const text = gunzipSync(readFileSync(join(dir, 'full.fsrec'))).toString();
    const lines = text.split('\n');
    // As a crash would leave it: the gzip stream without its trailer, the last line torn.
    const cut = gzipSync(lines.slice(0, -3).join('\n') + '\n' + lines.at(-3)!.slice(0, 10));
    writeFileSync(join(dir, 'cut.fsrec'), cut.subarray(0, cut.length - 8));
    const report = await reportOf('cut.fsrec', dir);
    expect(report.recording.complete).toBe(false);
    expect(report.processes[0]!.argv).toEqual(['sh', '-c', 'echo one; echo two']);
  });

  it('keeps output lines up to --output-limit and counts the rest', async () => {
    const dir = tempFolder();
    const result = await runCli(
      ['record', '--out', 'o.fsrec', '--output-limit', '1k', '--', 'sh', '-c', 'seq 1 20000'],
      { cwd: dir },
    );
    expect({ status: result.status, stderr: result.stderr }).toMatchObject({ status: 0 });
    expect(result.stdout.toString().split('\n')).toHaveLength(20001);
    const report = await reportOf('o.fsrec', dir);
    expect(report.recording.droppedLines).toBeGreaterThan(0);
    const entries = gunzipSync(readFileSync(join(dir, 'o.fsrec')))
      .toString()
      .trim()
      .split('\n')
      .slice(1);
    const text = entries
      .map((line) => JSON.parse(line) as { e: string; p: { lines?: { text: string }[] } })
      .filter((entry) => entry.e === 'runs.output')
      .flatMap((entry) => entry.p.lines ?? [])
      .reduce((sum, line) => sum + line.text.length, 0);
    expect(text).toBeLessThanOrEqual(1024);
    expect(text).toBeGreaterThan(900);
  });
});

describe.runIf(hasPython && process.platform === 'linux')('forkscope record with the Python lens', () => {
  it('3_pool.py: prints what the program prints; the report lists 5 tasks on 4 worker pids with times', async () => {
    const dir = tempFolder();
    const result = await runCli(['record', '--out', 'r.fsrec', '--', 'python3', join(seeds, '3_pool.py')], {
      cwd: dir,
    });
    expect({ status: result.status, stderr: result.stderr }).toMatchObject({ status: 0 });
    const out = result.stdout.toString();
    // Python's Pool loses a worker's buffered lines when stdout is a pipe (it does so without
    // Forkscope too): what must hold is that we pass on exactly what the run wrote, as recorded.
    expect(out).toBe(recordedText(join(dir, 'r.fsrec'), 'stdout'));
    expect(out).toMatch(/^Parent process \d+\.\n/);
    expect(out.endsWith('All subprocesses done.\n')).toBe(true);
    const report = await reportOf('r.fsrec', dir);
    expect(report.pools).toHaveLength(1);
    const [pool] = report.pools;
    expect(pool!.kind).toBe('python');
    expect(pool!.tasks).toHaveLength(5);
    expect(new Set(pool!.tasks.map((task) => task.workerPid)).size).toBe(4);
    for (const task of pool!.tasks) {
      expect(task.state).toBe('done');
      expect(task.started).toBeGreaterThanOrEqual(task.submitted);
      expect(task.ended).toBeGreaterThan(task.started!);
      // The worker pid the program printed for a task is the one recorded for it.
      const printed = new RegExp(`^Run task ${task.index - 1} \\((\\d+)\\)`, 'm').exec(out)?.[1];
      if (printed !== undefined) expect(task.workerPid).toBe(Number(printed));
      // pool.apply_async(long_time_task, args=(i,)): its arguments, as the lens saw them.
      expect(task.input).toBe(String(task.index - 1));
    }
    const workers = pool!.tasks.map((task) => task.workerPid);
    expect(report.processes.filter((p) => workers.includes(p.pid)).length).toBe(4);
  });

  it('5_queue.py: items A, B, C with the writer and reader pids', async () => {
    const dir = tempFolder();
    const result = await runCli(['record', '--out', 'q.fsrec', '--', 'python3', join(seeds, '5_queue.py')], {
      cwd: dir,
    });
    expect({ status: result.status, stderr: result.stderr }).toMatchObject({ status: 0 });
    const out = result.stdout.toString();
    const writer = Number(/Process to write: (\d+)/.exec(out)![1]);
    const reader = Number(/Process to read: (\d+)/.exec(out)![1]);
    const report = await reportOf('q.fsrec', dir);
    expect(report.queues).toHaveLength(1);
    const items = report.queues[0]!.items;
    expect(items.map((item) => item.value)).toEqual(["'A'", "'B'", "'C'"]);
    for (const item of items) {
      expect(item.put.pid).toBe(writer);
      expect(item.got?.pid).toBe(reader);
      expect(item.got!.t).toBeGreaterThanOrEqual(item.put.t);
      expect(item.neverGot).toBe(false);
    }
    expect(report.waits.some((wait) => wait.pid === reader && wait.kind === 'get')).toBe(true);
  });
});
