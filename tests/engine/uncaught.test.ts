import { afterAll, describe, expect, it } from 'vitest';
import { findUncaught } from '../../main/engine/uncaught';
import { createTestEngine } from '../support/engine';

const engine = createTestEngine();
afterAll(() => engine.shutdown());

async function ended(program: string, args: string[]) {
  const run = await engine.launch({ program, args, shell: false, closeStdin: true, lens: 'off' });
  return engine.join(run.id, 20_000);
}

const lineAt = (id: string, seq: number) => engine.readOutput(id, seq, 1).lines[0];

describe('an exit after an uncaught exception says so, and where its report starts', () => {
  it('Python: the traceback on stderr, even a chained one, with output after it on stdout', async () => {
    const run = await ended('python3', [
      '-c',
      [
        'import sys',
        'print("working")',
        'try:',
        '    {}["key"]',
        'except KeyError:',
        '    raise ValueError("bad input\\nsecond line")',
      ].join('\n'),
    ]);
    expect(run.exit).toMatchObject({ code: 1, exitcode: 1 });
    expect(run.exit?.meaning).toBe(
      'Python raised an exception (see the traceback on stderr): ValueError: bad input',
    );
    expect(run.exit?.uncaught).toMatchObject({ language: 'python', error: 'ValueError: bad input' });
    // The jump goes to the first traceback of the chain (the KeyError's).
    const start = lineAt(run.id, run.exit!.uncaught!.seq);
    expect(start).toMatchObject({ stream: 'stderr', text: 'Traceback (most recent call last):' });
    const after = engine.readOutput(run.id, run.exit!.uncaught!.seq, 20).lines.map((line) => line.text);
    expect(after.some((text) => text.startsWith('KeyError'))).toBe(true);
  });

  it('Node: an uncaught Error and a rejected promise', async () => {
    const thrown = await ended('node', ['-e', 'console.error("before"); throw new TypeError("boom")']);
    expect(thrown.exit?.meaning).toBe(
      'Node.js ended on an uncaught exception (see the stack trace on stderr): TypeError: boom',
    );
    expect(lineAt(thrown.id, thrown.exit!.uncaught!.seq)?.text).toBe('[eval]:1');

    const rejected = await ended('node', ['-e', 'Promise.reject(new RangeError("far"))']);
    expect(rejected.exit?.uncaught).toMatchObject({ language: 'node', error: 'RangeError: far' });
  });

  it('a plain failure stays a general error; an exception printed and handled is not one', async () => {
    const plain = await ended('python3', ['-c', 'import sys; sys.exit(1)']);
    expect(plain.exit?.meaning).toMatch(/1: a general error/);
    expect(plain.exit?.uncaught).toBeUndefined();
    const handled = await ended('python3', [
      '-c',
      [
        'import sys, traceback',
        'try:',
        '    1 / 0',
        'except ZeroDivisionError:',
        '    traceback.print_exc()',
        'for i in range(30): print("cleaning up", i, file=sys.stderr)',
        'sys.exit(1)',
      ].join('\n'),
    ]);
    expect(handled.exit?.meaning).toMatch(/1: a general error/);
    const ok = await ended('node', ['-e', 'console.log(1)']);
    expect(ok.exit?.meaning).toBe('success');
  });

  it('reads only stderr: a traceback printed on stdout is not the end of the program', () => {
    const line = (seq: number, stream: 'stdout' | 'stderr', text: string) => ({ seq, stream, t: 0, text });
    expect(
      findUncaught([
        line(0, 'stdout', 'Traceback (most recent call last):'),
        line(1, 'stdout', '  File "x.py", line 1, in <module>'),
        line(2, 'stdout', 'ValueError: shown, not raised'),
      ]),
    ).toBeNull();
  });
});
