import { describe, expect, it } from 'vitest';
import type { OutputLine, StreamName } from '../../contract';
import { echoLines, unfinishedLines, withEchoes } from '../../renderer/lib/features/runs/console-lines';
import {
  emptyWindows,
  interleave,
  mergeStreamWindows,
  windowsContiguous,
} from '../../renderer/lib/features/runs/output-window';

const line = (seq: number, stream: StreamName, text = `${stream} ${seq}`): OutputLine => ({
  seq,
  stream,
  t: seq,
  text,
});

describe('each stream keeps its own window', () => {
  it('a stderr flood does not push the first stdout lines out', () => {
    const limit = 100;
    let windows = mergeStreamWindows(emptyWindows, [line(0, 'stdout'), line(1, 'stdout')], limit);
    // 1,000 stderr lines come in batches, as the publisher sends them.
    for (let seq = 2; seq < 1002; seq += 50) {
      const batch = Array.from({ length: 50 }, (_, index) => line(seq + index, 'stderr'));
      windows = mergeStreamWindows(windows, batch, limit);
    }
    expect(windows.stdout.map((each) => each.text)).toEqual(['stdout 0', 'stdout 1']);
    expect(windows.stderr).toHaveLength(limit);
    expect(windows.stderr[0]!.seq).toBe(902);
    // Merged, in the order they came; no hole a back-fill could fill.
    const merged = interleave(windows.stdout, windows.stderr);
    expect(merged.slice(0, 3).map((each) => each.seq)).toEqual([0, 1, 902]);
    expect(windowsContiguous(windows, limit)).toBe(true);
  });

  it('knows a hole among the lines it should hold', () => {
    const windows = mergeStreamWindows(
      emptyWindows,
      [line(0, 'stdout'), line(1, 'stderr'), line(5, 'stdout')],
      10,
    );
    expect(windowsContiguous(windows, 10)).toBe(false);
    const filled = mergeStreamWindows(
      windows,
      [2, 3, 4].map((seq) => line(seq, 'stderr')),
      10,
    );
    expect(windowsContiguous(filled, 10)).toBe(true);
  });
});

describe('stdin echoes are shown where they were sent', () => {
  it('inside the prompt each one answered: Name? / Ada / Age? / 36 / Ada is 36', () => {
    // The program printed "Name? " without a newline; Ada was sent; then "Age? "; then 36.
    const ada = echoLines('Ada\n', 0, [], 10, { stdout: 'Name? ', stderr: null });
    const age = echoLines('36\n', 0, ada, 20, { stdout: 'Name? Age? ', stderr: null });
    const echoes = [...ada, ...age];
    const before = [line(0, 'stderr', 'starting')];

    // While the second prompt still waits for its newline.
    const waiting = withEchoes(
      [...before, ...unfinishedLines({ stdout: 'Name? Age? ', stderr: null }, 15)],
      echoes,
    );
    expect(waiting.map((each) => [each.stream, each.text])).toEqual([
      ['stderr', 'starting'],
      ['stdout', 'Name? '],
      ['stdin', 'Ada'],
      ['stdout', 'Age? '],
      ['stdin', '36'],
      ['stdout', ''],
    ]);

    // Once the line ends: the answer comes after both inputs, never below them.
    const done = withEchoes(
      [...before, line(1, 'stdout', 'Name? Age? Ada is 36'), line(2, 'stdout', 'bye')],
      echoes,
    );
    expect(done.map((each) => [each.stream, each.text])).toEqual([
      ['stderr', 'starting'],
      ['stdout', 'Name? '],
      ['stdin', 'Ada'],
      ['stdout', 'Age? '],
      ['stdin', '36'],
      ['stdout', 'Ada is 36'],
      ['stdout', 'bye'],
    ]);
    // Rows stay in seq order with distinct seqs (the console windows and anchors by seq).
    const rowSeqs = done.map((each) => each.seq);
    expect(rowSeqs).toEqual([...rowSeqs].sort((a, b) => a - b));
    expect(new Set(rowSeqs).size).toBe(rowSeqs.length);
    expect(done[5]!.seq).toBe(1);
  });

  it('falls back to its place between lines when the prompt was rewritten', () => {
    const echo = echoLines('y\n', 0, [], 1, { stdout: '10%', stderr: null });
    const rows = withEchoes([line(0, 'stdout'), line(1, 'stdout', 'done')], echo);
    expect(rows.map((each) => each.text)).toEqual(['stdout 0', 'y', 'done']);
  });
});
