import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { taskSummary, type TaskSummary } from '../../contract';
import {
  decodeTaskColumns,
  encodeTaskColumns,
  taskColumnFields,
  taskColumnsEntry,
} from '../../contract/recording-columns';
import { recordingFormat, recordingVersion } from '../../contract/recordings';
import { readRecording } from '../../main/recording/reader';

const dir = mkdtempSync(join(tmpdir(), 'forkscope-columns-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Summaries as a function pool makes them: settled ones with results, queued ones without. */
function summaries(count: number, from = 1): TaskSummary[] {
  return Array.from({ length: count }, (_, index) => {
    const id = from + index;
    const settled = id % 3 !== 0;
    return {
      id,
      label: `square(${id})`,
      input: `${id}`,
      output: settled ? `${id * id}` : null,
      state: settled ? (id % 7 === 0 ? 'failed' : 'done') : 'queued',
      lane: settled ? id % 4 : null,
      pid: settled ? 40_000 + (id % 4) : null,
      runId: null,
      queuedAt: 1_764_469_000_000 + id,
      startedAt: settled ? 1_764_469_000_500 + id * 2 : null,
      endedAt: settled ? 1_764_469_000_501 + id * 2 : null,
      attempts: 1,
      items: 1,
      exitcode: null,
      error: id % 7 === 0 && settled ? 'ValueError: "seven" \n broke' : null,
    };
  });
}

function roundTrip(tasks: TaskSummary[]) {
  const json = encodeTaskColumns('p1', tasks);
  expect(json).not.toBeNull();
  return decodeTaskColumns(JSON.parse(json!));
}

describe('task batches column by column (recording format 2)', () => {
  it('reads back every task exactly, its keys in their order', () => {
    const tasks = summaries(5000);
    const back = roundTrip(tasks);
    expect(back).toEqual({ poolId: 'p1', tasks });
    expect(back!.tasks.map((task) => Object.keys(task))).toEqual(tasks.map((task) => Object.keys(task)));
  });

  it('is a fraction of the objects as JSON', () => {
    const tasks = summaries(5000);
    const columns = encodeTaskColumns('p1', tasks)!;
    expect(columns.length).toBeLessThan(JSON.stringify({ poolId: 'p1', tasks }).length / 3);
  });

  it('keeps a distributed pool’s host and tries, and non-integer times', () => {
    const tasks = summaries(20).map((task, index) => ({
      ...task,
      queuedAt: task.queuedAt + 0.25,
      host: index % 2 ? 'b.example' : null,
      tries:
        index % 5
          ? []
          : [{ lane: 1, host: 'a', pid: 9, startedAt: 1.5, endedAt: 2, exitcode: null, error: 'lost' }],
    }));
    expect(roundTrip(tasks)).toEqual({ poolId: 'p1', tasks });
  });

  it('keeps a batch of one, ids far apart and negative numbers', () => {
    expect(roundTrip(summaries(1))).toEqual({ poolId: 'p1', tasks: summaries(1) });
    const tasks = [...summaries(2, 1), ...summaries(2, 2 ** 40)].map((task, index) => ({
      ...task,
      exitcode: index % 2 ? -9 : 2 ** 52,
    }));
    expect(roundTrip(tasks)).toEqual({ poolId: 'p1', tasks });
  });

  it('leaves a batch it cannot write exactly to the plain event', () => {
    const [first, second] = summaries(2);
    // Some tasks with a host and some without: absent is not null.
    expect(encodeTaskColumns('p1', [{ ...first!, host: 'a' }, second!])).toBeNull();
    // A key the column list does not know.
    expect(encodeTaskColumns('p1', [{ ...first!, extra: 1 } as TaskSummary])).toBeNull();
    expect(encodeTaskColumns('p1', [])).toBeNull();
  });

  it('knows every key of a task summary', () => {
    expect([...taskColumnFields].sort()).toEqual(Object.keys(taskSummary.shape).sort());
  });

  it('refuses a damaged entry instead of inventing tasks', () => {
    expect(decodeTaskColumns({ poolId: 'p', n: 2, fields: ['id'], cols: [[1]] })).toBeNull();
    expect(decodeTaskColumns({ poolId: 'p', n: 1, fields: ['__proto__'], cols: [[{}]] })).toBeNull();
    expect(decodeTaskColumns({ poolId: 'p', n: 1, fields: ['id', 'x'], cols: [[1]] })).toBeNull();
  });
});

describe('reading recordings of both versions', () => {
  const tasks = summaries(12);
  const record = { id: 'p1', kind: 'function' };

  function write(name: string, version: number, lines: object[]) {
    const header = {
      format: recordingFormat,
      version,
      createdAt: 1_764_469_000_000,
      forkscope: '0.1.0',
      host: { pid: 1, platform: 'linux', hostname: 'h' },
      command: null,
      limits: { maxBytes: 1e9, maxOutputBytes: 1e9 },
    };
    const path = join(dir, name);
    writeFileSync(path, gzipSync([header, ...lines].map((line) => JSON.stringify(line)).join('\n') + '\n'));
    return path;
  }

  it('reads version 1 (task objects) and version 2 (columns) to the same entries', async () => {
    const end = {
      t: 3,
      e: 'recording.end',
      p: { endedAt: 3, entries: 3, bytes: 0, droppedEvents: 0, droppedLines: 0 },
    };
    const v1 = write('v1.fsrec', 1, [
      { t: 1, e: 'pools.updated', p: record },
      { t: 2, e: 'pools.tasks', p: { poolId: 'p1', tasks } },
      end,
    ]);
    const v2 = write('v2.fsrec', recordingVersion, [
      { t: 1, e: 'pools.updated', p: record },
      { t: 2, e: taskColumnsEntry, p: JSON.parse(encodeTaskColumns('p1', tasks)!) as unknown },
      end,
    ]);
    expect(recordingVersion).toBe(2);
    const [one, two] = [await readRecording(v1), await readRecording(v2)];
    expect(one.complete && two.complete).toBe(true);
    expect(two.entries).toEqual(one.entries);
    expect(two.entries[1]).toEqual({ t: 2, e: 'pools.tasks', p: { poolId: 'p1', tasks } });
  });

  it('reads a damaged columns entry as where the recording was cut', async () => {
    const path = write('damaged.fsrec', 2, [
      { t: 1, e: 'pools.updated', p: record },
      { t: 2, e: taskColumnsEntry, p: { poolId: 'p1', n: 3, fields: ['id'], cols: [[1]] } },
    ]);
    const read = await readRecording(path);
    expect(read.complete).toBe(false);
    expect(read.entries.map((entry) => entry.e)).toEqual(['pools.updated']);
  });
});
