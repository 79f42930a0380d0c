import { describe, expect, it } from 'vitest';
import type { OutputLine, RunRecord } from '../../contract';
import {
  draftToParams,
  emptyDraft,
  multiLineScriptAt,
  parseArgs,
  parseEnv,
  rerunParams,
} from '../../renderer/lib/features/runs/launch-input';
import { isContiguous, mergeWindow } from '../../renderer/lib/features/runs/output-window';
import { readOutputPages } from '../../renderer/lib/features/runs/read-output';
import { LineRing } from '../../main/engine/output/line-ring';
import { buildRunTree, countRuns, filterRunTree } from '../../renderer/lib/features/runs/run-tree';
import {
  echoLines,
  highlightHtml,
  lineHtml,
  overstrike,
  stdinPayload,
  stripAnsi,
  withEchoes,
} from '../../renderer/lib/features/runs/console-lines';

const line = (seq: number, text = `line ${seq}`): OutputLine => ({ seq, stream: 'stdout', t: seq, text });
const seqs = (lines: OutputLine[]) => lines.map((each) => each.seq);

describe('the launch form’s input', () => {
  it('takes one argument per line, literally, ignoring blank lines', () => {
    expect(parseArgs(`-c\nimport sys; print("a b")\n\n  spaced  \n`)).toEqual([
      '-c',
      'import sys; print("a b")',
      '  spaced  ',
    ]);
  });

  it('takes the lines after -c / -e as one multi-line script, unless asked not to', () => {
    const text = '-u\n-c\nfor i in range(2):\n    print(i)\n\nprint("done")\n';
    expect(multiLineScriptAt(text)).toBe(2);
    expect(parseArgs(text, true)).toEqual(['-u', '-c', 'for i in range(2):\n    print(i)\n\nprint("done")']);
    expect(parseArgs(text, false)).toEqual([
      '-u',
      '-c',
      'for i in range(2):',
      '    print(i)',
      'print("done")',
    ]);
    // One line after the flag: nothing to choose, the same either way.
    expect(multiLineScriptAt('-c\nprint(1)\n')).toBe(-1);
    expect(parseArgs('-c\nprint(1)\n', true)).toEqual(['-c', 'print(1)']);
    expect(parseArgs('-e\nconsole.log(1)\nconsole.log(2)', true)).toEqual([
      '-e',
      'console.log(1)\nconsole.log(2)',
    ]);
    // The launch form does it by default.
    const params = draftToParams({ ...emptyDraft, program: 'python3', args: '-c\na = 1\nprint(a)' });
    expect(params.ok && params.value.args).toEqual(['-c', 'a = 1\nprint(a)']);
  });

  it('re-runs a command with its argv, cwd and shell', () => {
    const record = {
      argv: ['python3', '-c', 'print(1)'],
      cwd: '/tmp',
      shell: false,
      label: 'py',
    } as RunRecord;
    expect(rerunParams(record)).toEqual({
      program: 'python3',
      args: ['-c', 'print(1)'],
      shell: false,
      cwd: '/tmp',
      label: 'py',
    });
    const shell = {
      argv: ['/bin/sh', '-c', 'echo hi | wc'],
      cwd: '/',
      shell: true,
      label: 'sh',
    } as RunRecord;
    expect(rerunParams(shell)).toMatchObject({ program: 'echo hi | wc', args: [], shell: true });
  });

  it('reads KEY=VALUE lines, -KEY removals and comments, and names a bad line', () => {
    expect(parseEnv('A=1\n# note\nB=x=y\n-HOME\nEMPTY=')).toEqual({
      ok: true,
      value: { A: '1', B: 'x=y', HOME: null, EMPTY: '' },
    });
    const bad = parseEnv('A=1\nnot a pair');
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.message).toContain('line 2');
  });

  it('builds launch parameters, closing stdin only after some input', () => {
    const base = { ...emptyDraft, program: ' sort ', timeout: '1.5' };
    expect(draftToParams(base)).toEqual({
      ok: true,
      value: { program: 'sort', args: [], shell: false, closeStdin: false, lens: 'auto', timeoutMs: 1500 },
    });
    const withInput = draftToParams({ ...base, input: 'b\na\n', timeout: '' });
    expect(withInput.ok && withInput.value).toMatchObject({ input: 'b\na\n', closeStdin: true });
    expect(draftToParams({ ...base, program: ' ' })).toMatchObject({ ok: false, field: 'program' });
    expect(draftToParams({ ...base, timeout: '-1' })).toMatchObject({ ok: false, field: 'timeout' });
  });
});

describe('the output window', () => {
  it('appends live lines and keeps only the newest', () => {
    const held = [line(0), line(1)];
    expect(seqs(mergeWindow(held, [line(2), line(3)], 3))).toEqual([1, 2, 3]);
  });

  it('merges a back-filled page with live lines without duplicates', () => {
    const live = [line(8), line(9)];
    const page = [line(5), line(6), line(7), line(8)];
    expect(seqs(mergeWindow(live, page, 10))).toEqual([5, 6, 7, 8, 9]);
  });

  it('knows when lines were skipped', () => {
    expect(isContiguous([line(3), line(4)])).toBe(true);
    expect(isContiguous([line(3), line(5)])).toBe(false);
  });
});

describe('back-filling long lines', () => {
  it('follows the server’s cursor until the asked window is read, page by page', async () => {
    const ring = new LineRing(1000);
    const text = Buffer.from('w'.repeat(20_000));
    for (let i = 0; i < 100; i++) ring.push('stdout', text, 0, text.length, i);
    // The ring answers as the server does, with a small byte bound so the window takes pages.
    const asked: number[] = [];
    const read = (fromSeq: number, limit: number) => {
      asked.push(fromSeq);
      const { lines, continueFrom } = ring.read(fromSeq, limit, 100_000);
      return Promise.resolve({
        lines,
        continueFrom,
        firstSeq: ring.firstSeq,
        nextSeq: ring.nextSeq,
        unfinished: { stdout: null, stderr: null },
      });
    };
    let held: OutputLine[] = [];
    const last = await readOutputPages(read, 20, 50, (page) => (held = mergeWindow(held, page.lines, 5000)));
    expect(seqs(held)).toEqual(Array.from({ length: 50 }, (_, i) => 20 + i));
    expect(asked).toEqual([20, 26, 32, 38, 44, 50, 56, 62, 68]);
    expect(last.continueFrom).toBeNull();
    expect(held[0]!.continuedBytes).toBe(20_000 - 16 * 1024);
    ring.release();
  });
});

describe('the runs tree', () => {
  const record = (id: string, startedAt: number, parentId: string | null = null) =>
    ({ id, startedAt, parentId }) as RunRecord;

  it('nests children under their parent, newest top-level runs first', () => {
    const tree = buildRunTree([
      record('a', 1),
      record('b', 2, 'a'),
      record('c', 3),
      record('d', 4, 'missing'),
    ]);
    expect(tree.map((node) => node.record.id)).toEqual(['d', 'c', 'a']);
    expect(tree[2]!.children.map((node) => node.record.id)).toEqual(['b']);
  });

  it('filters by label, pid or id, keeps a matching child’s parent, and hides finished runs', () => {
    const run = (
      id: string,
      label: string,
      pid: number,
      state: RunRecord['state'],
      parentId: string | null = null,
    ) => ({ id, label, pid, state, parentId, startedAt: Number(id.slice(1)) }) as RunRecord;
    const tree = buildRunTree([
      run('r1', 'python3 server.py', 100, 'running'),
      run('r2', 'worker', 101, 'exited', 'r1'),
      run('r3', 'sleep 5', 102, 'exited'),
      run('r4', 'echo hi', 103, 'running'),
    ]);
    const ids = (nodes: ReturnType<typeof buildRunTree>) =>
      nodes.flatMap(function flat(node): string[] {
        return [node.record.id, ...node.children.flatMap(flat)];
      });
    expect(ids(filterRunTree(tree, { query: 'WORK', hideFinished: false }))).toEqual(['r1', 'r2']);
    expect(ids(filterRunTree(tree, { query: '102', hideFinished: false }))).toEqual(['r3']);
    expect(ids(filterRunTree(tree, { query: '', hideFinished: true }))).toEqual(['r4', 'r1']);
    expect(ids(filterRunTree(tree, { query: 'sleep', hideFinished: true }))).toEqual([]);
    expect(countRuns(tree)).toBe(4);
  });
});

describe('stdin and its echo', () => {
  it('sends the text as typed plus one newline; an empty box sends a newline', () => {
    expect(stdinPayload('')).toBe('\n');
    expect(stdinPayload('Ada')).toBe('Ada\n');
    expect(stdinPayload('a\n')).toBe('a\n\n');
  });

  it('echoes each sent line as a local stdin row, in order between the run’s lines', () => {
    const first = echoLines('a\n\n', 4, [], 1);
    expect(first.map((echo) => [echo.text, echo.stream, echo.echo])).toEqual([
      ['a', 'stdin', true],
      ['', 'stdin', true],
    ]);
    const second = echoLines('\n', 4, first, 2);
    const seqsOf = [...first, ...second].map((echo) => echo.seq);
    expect(seqsOf).toEqual([...seqsOf].sort((a, b) => a - b));
    expect(Math.max(...seqsOf)).toBeLessThan(5);
    expect(Math.min(...seqsOf)).toBeGreaterThan(4);

    const merged = withEchoes([line(3), line(4), line(5)], [...first, ...second]);
    expect(merged.map((each) => each.text)).toEqual(['line 3', 'line 4', 'a', '', '', 'line 5']);
    // Echoes older than the held window drop out with it.
    expect(withEchoes([line(6)], first).map((each) => each.text)).toEqual(['line 6']);
    // Sent before the run wrote anything: shown before its first line.
    const early = echoLines('x\n', -1, [], 0);
    expect(withEchoes([line(0)], early).map((each) => each.text)).toEqual(['x', 'line 0']);
  });
});

describe('console lines', () => {
  it('renders ANSI colours as classes and escapes HTML', () => {
    const html = lineHtml(line(0, '\x1b[31m<b>red</b>\x1b[0m & more'));
    expect(html).toContain('ansi-red-fg');
    expect(html).toContain('&lt;b&gt;');
    expect(html).not.toContain('<b>');
    expect(lineHtml(line(1, '<script>'))).toBe('&#60;script&#62;');
  });

  it('shows a progress bar as a terminal would: each carriage return overwrites the line', () => {
    expect(overstrike('progress 10%\rprogress 20%\rprogress 30%')).toBe('progress 30%');
    expect(overstrike('downloading 100 files\rdone')).toBe('doneloading 100 files');
    expect(lineHtml(line(2, '\r50% [##  ]\r60% [### ]'))).toBe('60% [### ]');
  });

  it('highlights matches in the plain text, case-insensitively', () => {
    expect(stripAnsi('\x1b[1mbold\x1b[0m')).toBe('bold');
    expect(highlightHtml('\x1b[32mError: <x>\x1b[0m error', 'ERROR')).toBe(
      '<mark>Error</mark>: &#60;x&#62; <mark>error</mark>',
    );
  });
});
