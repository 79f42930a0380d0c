import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createHost, type Host } from '../../main/api/host';
import { poolsOf } from '../../main/engine/pool';
import { readRecording } from '../../main/recording/reader';
import { startRecorder } from '../../main/recording/recorder';
import { buildReport } from '../../main/recording/report';
import { eventually, projectRoot } from '../support/engine';

const tasksModule = join(projectRoot, 'main', 'engine', 'examples', 'programs', 'pool-tasks.js');
const dir = mkdtempSync(join(tmpdir(), 'forkscope-replay-pool-'));
const hosts: Host[] = [];
afterAll(async () => {
  await Promise.all(hosts.map((host) => host.shutdown()));
  rmSync(dir, { recursive: true, force: true });
});

function host(): Host {
  const made = createHost({ appRoot: projectRoot, logDir: join(dir, `logs-${hosts.length}`) });
  hosts.push(made);
  return made;
}

/**
 * A busy pool recorded by the recorder the app and the CLI use: task summaries are held until they
 * settle (or two sync flushes) and written column by column; what a reader gets is every task's
 * last state all the same.
 */
describe('recording a busy function pool', () => {
  it('holds every task’s final state: 3,000 tasks, some failed, each with its worker and times', async () => {
    const recorded = host();
    const path = join(dir, 'busy.fsrec');
    const recorder = startRecorder(recorded, path);
    const pool = await poolsOf(recorded.engine).createFunctionPool({ workers: 4, label: 'busy' });
    const handles = Array.from({ length: 3000 }, (_, index) =>
      index % 500 === 499
        ? pool.applyAsync(`${tasksModule}#fail`, [`task ${index + 1}`])
        : pool.applyAsync(`${tasksModule}#square`, [index]),
    );
    await Promise.allSettled(handles.map((handle) => handle.get()));
    await pool.terminate();
    await recorder.stop();

    const recording = await readRecording(path);
    expect(recording.header.version).toBe(2);
    expect(recording.complete).toBe(true);
    const [report] = buildReport(recording).pools;
    expect(report!.tasks).toHaveLength(3000);
    const workerPids = new Set(pool.record().lanes.map((lane) => lane.pid));
    for (const task of report!.tasks) {
      const failed = task.index % 500 === 0;
      expect(task.state).toBe(failed ? 'failed' : 'done');
      expect(task.call).toBe(failed ? `fail("task ${task.index}")` : `square(${task.index - 1})`);
      expect(workerPids.has(task.workerPid)).toBe(true);
      expect(task.started).toBeGreaterThanOrEqual(task.submitted);
      expect(task.ended).toBeGreaterThanOrEqual(task.started!);
      if (failed) expect(task.error).toContain(`task ${task.index}`);
    }
  });

  it('writes a task that runs on within two seconds, so a recording cut short still shows it running', async () => {
    const recorded = host();
    const path = join(dir, 'long.fsrec');
    const recorder = startRecorder(recorded, path);
    const pool = await poolsOf(recorded.engine).createFunctionPool({ workers: 1, label: 'long' });
    const long = pool.applyAsync(`${tasksModule}#sleep`, [60_000]);
    // The file as a crash would leave it: read while the task runs, up to the last sync flush.
    const running = await eventually(async () => {
      const read = await readRecording(path);
      const task = buildReport(read).pools[0]?.tasks[0];
      return task?.state === 'running' ? { read, task } : null;
    }, 10_000);
    expect(running.read.complete).toBe(false);
    expect(running.task.workerPid).toBe(pool.record().lanes[0]!.pid);
    expect(running.task.started).not.toBeNull();
    await pool.terminate();
    await long.get().catch(() => undefined);
    await recorder.stop();
    const [report] = buildReport(await readRecording(path)).pools;
    expect(report!.tasks.map((task) => task.state)).toEqual(['cancelled']);
  });
});
