import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import Ajv from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromeTrace } from '../../renderer/lib/features/replay/chrome-trace';
import { diffLines, summarize } from '../../renderer/lib/features/replay/compare';
import { readRecordingBytes } from '../../renderer/lib/features/replay/recording-file';
import {
  buildReplay,
  runningAt,
  topRuns,
  type Replay,
} from '../../renderer/lib/features/replay/replay-model';
import { taskTable } from '../../renderer/lib/features/replay/task-table';
import { readRecording } from '../../main/recording/reader';
import { connectClient } from '../support/serve';
import { fixturesDir, projectRoot } from '../support/engine';
import { recordingsFolder, recordSeed } from '../support/recordings';
import { reportOf, runCli } from './run-cli';

/**
 * The replay's model, exports and comparison on real recordings made by `forkscope record` (the
 * renderer's own modules, run in Node: DecompressionStream is in both), and `forkscope open`.
 */
const folder = recordingsFolder();
const dir = folder.path;
let pool4 = '';
let pool2 = '';
let queue = '';

async function replayOf(path: string): Promise<Replay> {
  return buildReplay(await readRecordingBytes(path, new Uint8Array(readFileSync(path))));
}

beforeAll(async () => {
  [pool4, pool2, queue] = await Promise.all([
    recordSeed(dir, '3_pool.py'),
    recordSeed(dir, '3_pool.py', { poolSize: 2 }),
    recordSeed(dir, '5_queue.py'),
  ]);
}, 60_000);
afterAll(() => folder.remove());

describe('replay of a recording', () => {
  it('reads the file in the page as the Node reader does', async () => {
    const page = await readRecordingBytes('r.fsrec', new Uint8Array(readFileSync(pool4)));
    const node = await readRecording(pool4);
    expect(page.complete).toBe(true);
    expect(page.entries).toEqual(node.entries);
    expect(page.header).toEqual(node.header);
  });

  it('shows at the middle of the run exactly the tasks the report says were running then', async () => {
    const replay = await replayOf(pool4);
    const report = await reportOf(pool4, dir);
    const tasks = report.pools[0]!.tasks;
    expect(tasks).toHaveLength(5);
    // Halfway between the first task's start and the last one's end: some task is always running.
    const first = Math.min(...tasks.map((task) => task.started!));
    const last = Math.max(...tasks.map((task) => task.ended!));
    for (const t of [(first + last) / 2, first + 1, last - 1]) {
      const expected = tasks.filter((task) => task.started! <= t && t < task.ended!).map((task) => task.call);
      const shown = runningAt(replay.pools[0]!, t).map((task) => task.label);
      expect(shown.sort()).toEqual(expected.sort());
      expect(shown.length).toBeGreaterThan(0);
    }
    // Before the pool existed nothing runs; at the end all five are done.
    expect(runningAt(replay.pools[0]!, first - 1)).toEqual([]);
    expect(replay.pools[0]!.tasks.every((task) => task.state === 'done')).toBe(true);
  });

  it('refuses a foreign file and a newer version in one sentence each', async () => {
    const foreign = gzipSync('hello\n');
    await expect(readRecordingBytes('x.fsrec', new Uint8Array(foreign))).rejects.toThrow(
      'x.fsrec is not a Forkscope recording (its first line is not a recording header).',
    );
    const newer = gzipSync(JSON.stringify({ format: 'forkscope-recording', version: 99 }) + '\n');
    await expect(readRecordingBytes('n.fsrec', new Uint8Array(newer))).rejects.toThrow(
      'n.fsrec was written by a newer Forkscope (recording format version 99; this one reads up to 2). Update Forkscope to read it.',
    );
    await expect(readRecordingBytes('p.txt', new Uint8Array(Buffer.from('plain')))).rejects.toThrow(
      'not gzip-compressed',
    );
  });
});

describe('exports', () => {
  const schema = JSON.parse(
    readFileSync(join(fixturesDir, 'trace-event-format.schema.json'), 'utf8'),
  ) as object;
  const check = new Ajv({ strict: false, allErrors: true }).compile(schema);

  it('writes a Chrome trace that passes the Trace Event Format schema, with a slice for every task', async () => {
    const replay = await replayOf(pool4);
    const report = await reportOf(pool4, dir);
    const trace = chromeTrace(replay);
    const valid = check(trace);
    expect(check.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
    const slices = trace.traceEvents.filter((event) => event.ph === 'X' && event.cat?.startsWith('task'));
    expect(slices.map((s) => s.name).sort()).toEqual(report.pools[0]!.tasks.map((task) => task.call).sort());
    // Each on its worker's pid track, lasting what the task lasted.
    for (const task of report.pools[0]!.tasks) {
      const slice = slices.find((s) => s.name === task.call)!;
      expect(slice.pid).toBe(task.workerPid);
      expect(slice.dur! / 1000).toBeCloseTo(task.ended! - task.started!, 0);
    }
    // Every pid track is named, and the run's process has its lifetime slice.
    const named = new Set(trace.traceEvents.filter((e) => e.name === 'process_name').map((e) => e.pid));
    for (const event of trace.traceEvents) expect(named.has(event.pid)).toBe(true);
    const run = topRuns(replay)[0]!;
    expect(trace.traceEvents.some((e) => e.cat === 'process' && e.pid === run.pid)).toBe(true);
    // One run's trace is the same picture here: the recording holds one run.
    expect(chromeTrace(replay, run.id).traceEvents.filter((e) => e.cat?.startsWith('task'))).toHaveLength(5);
  });

  it('draws each queue item from its put to its get as a flow arrow between two processes', async () => {
    const replay = await replayOf(queue);
    const report = await reportOf(queue, dir);
    const trace = chromeTrace(replay);
    expect(check(trace)).toBe(true);
    const got = report.queues.flatMap((q) => q.items).filter((item) => item.got !== null);
    expect(got.map((item) => item.value).sort()).toEqual(["'A'", "'B'", "'C'"]);
    const starts = trace.traceEvents.filter((e) => e.ph === 's');
    const ends = trace.traceEvents.filter((e) => e.ph === 'f');
    expect(starts).toHaveLength(got.length);
    for (const start of starts) {
      const end = ends.find((e) => e.id === start.id)!;
      const item = got.find((i) => Math.abs(i.put.t - replay.start - start.ts! / 1000) < 1)!;
      expect(start.pid).toBe(item.put.pid);
      expect(end.pid).toBe(item.got!.pid);
      expect(end.pid).not.toBe(start.pid);
      expect(end.ts!).toBeGreaterThanOrEqual(start.ts!);
    }
  });

  it('writes the task table as CSV and TSV, one row per task', async () => {
    const replay = await replayOf(pool4);
    const csv = taskTable(replay.pools[0]!, 'csv').replace(/\r\n$/, '').split('\r\n');
    expect(csv[0]).toBe(
      'pool,task,call,state,worker_pid,lane,submitted,started,ended,wait_ms,duration_ms,attempts,exit_code,error',
    );
    expect(csv).toHaveLength(6);
    expect(csv[1]).toMatch(/^p1,1,long_time_task\(0\),done,\d+,\d,/);
    const tsv = taskTable(replay.pools[0]!, 'tsv').replace(/\r\n$/, '').split('\r\n');
    expect(tsv.map((row) => row.split('\t').length)).toEqual(Array(6).fill(14));
  });
});

describe('compare', () => {
  it('puts Pool(4) and Pool(2) side by side: their totals, workers and per-task waits', async () => {
    const [a, b] = await Promise.all([replayOf(pool4), replayOf(pool2)]);
    const left = summarize({ replay: a, run: topRuns(a)[0]! });
    const right = summarize({ replay: b, run: topRuns(b)[0]! });
    const [ra, rb] = await Promise.all([reportOf(pool4, dir), reportOf(pool2, dir)]);
    expect(left.total).toBe(ra.processes[0]!.end! - ra.processes[0]!.start!);
    expect(right.total).toBe(rb.processes[0]!.end! - rb.processes[0]!.start!);
    expect([left.workers, right.workers]).toEqual([4, 2]);
    expect([left.tasks.length, right.tasks.length]).toEqual([5, 5]);
    // With two workers, three tasks wait for one to free; with four, one does. Waiting is told by
    // order (started after another task ended), not by a time bound a loaded machine can exceed.
    const waited = (side: typeof left) => {
      const firstEnd = Math.min(...side.tasks.map((task) => task.endedAt!));
      return side.tasks.filter((task) => task.startedAt! >= firstEnd).length;
    };
    expect([waited(left), waited(right)]).toEqual([1, 3]);
  });

  it('diffs outputs line by line, optionally ignoring numbers', () => {
    const left = ['Parent process 10.', 'Run task 0 (11)...', 'done'];
    const right = ['Parent process 20.', 'Run task 0 (21)...', 'Run task 1 (22)...', 'done'];
    expect(diffLines(left, right, true).map((l) => l.kind)).toEqual(['same', 'same', 'right', 'same']);
    expect(diffLines(left, right).filter((l) => l.kind !== 'same')).toHaveLength(5);
  });
});

describe('forkscope open', () => {
  it('serves the recording in serve mode and prints the address that replays it', async () => {
    const logDir = join(dir, 'open-logs');
    const child = spawn(
      process.execPath,
      [join(projectRoot, 'bin', 'forkscope.mjs'), 'open', pool4, '--no-browser', '--log-dir', logDir],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      const line = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no address:\n${output}`)), 15_000);
        child.stdout.on('data', () => {
          const match = /^Replay of (.*): (\S+)$/m.exec(output);
          if (match) {
            clearTimeout(timer);
            resolve(match[2]!);
          }
        });
      });
      expect(output).toContain(`Replay of ${pool4}: `);
      const url = new URL(line);
      const hash = new URLSearchParams(url.hash.slice(1));
      expect(hash.get('recording')).toBe('file:1');
      const { client, close } = await connectClient({
        port: Number(url.port),
        token: hash.get('token')!,
        origin: url.origin,
      });
      try {
        const list = await client.call('recordings.list', {});
        expect(list[0]).toMatchObject({ id: 'file:1', opened: true, path: pool4 });
        // The current session is listed too, and nothing outside the list can be read.
        expect(list.some((r) => r.current)).toBe(true);
        await expect(client.call('recordings.read', { id: 'session:../../etc', offset: 0 })).rejects.toThrow(
          'There is no recording',
        );
        const part = await client.call('recordings.read', { id: 'file:1', offset: 0 });
        expect(part.done).toBe(true);
        expect(Buffer.from(part.data, 'base64').equals(readFileSync(pool4))).toBe(true);
      } finally {
        close();
      }
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
  });

  it('refuses a file that is not a recording in one line, before starting anything', async () => {
    const bad = join(dir, 'bad.fsrec');
    writeFileSync(bad, 'not a recording');
    const result = await runCli(['open', bad], { cwd: dir });
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(
      `forkscope: ${bad} is not a Forkscope recording (it is not gzip-compressed).\n`,
    );
  });
});
