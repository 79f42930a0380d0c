/**
 * Issue 11, part 4: "stdout and stderr share one window: during a 30 MB stderr flood the stdout tab
 * lost its first lines". Each stream keeps its own window on the server; both are numbered in one
 * sequence, so a read from the start gives them back merged, in the order they came.
 */
import { statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEngine } from '../support/engine';
import { stderrFloodFirstLines, stderrFloodLines, stderrFloodScript } from '../support/output-floods';
import { connectClient, startServe, type ServeProcess } from '../support/serve';

const stderrBytes = stderrFloodLines * 101;
const firstLines = stderrFloodFirstLines;

describe('each stream keeps its own window', () => {
  const engine = createTestEngine();
  afterAll(() => engine.shutdown());

  it('after a 30 MB stderr flood, stdout still reads back its first five lines, before stderr’s window', async () => {
    const launched = await engine.launch({
      program: 'python3',
      args: ['-c', stderrFloodScript],
      shell: false,
      closeStdin: true,
    });
    const record = await engine.join(launched.id, 60_000);
    expect(record.exit?.code).toBe(0);
    expect(record.output.stdout.lines).toBe(5);
    expect(record.output.stderr.lines).toBe(stderrFloodLines);
    await engine.run(launched.id).capture.close();
    expect(statSync(record.output.stderr.logPath).size).toBe(stderrBytes);

    const stdout = engine.readOutput(launched.id, 0, 10_000, 'stdout');
    expect(stdout.lines.map((line) => [line.seq, line.stream, line.text])).toEqual(
      firstLines.map((text, seq) => [seq, 'stdout', text]),
    );

    // Merged: stdout's lines first (they came first), then stderr's own newest 5,000.
    const merged = engine.readOutput(launched.id, 0, 10_000);
    expect(merged.lines.slice(0, 5).map((line) => line.text)).toEqual(firstLines);
    const stderr = merged.lines.slice(5);
    expect(stderr).toHaveLength(5000);
    expect(stderr.every((line) => line.stream === 'stderr')).toBe(true);
    expect(stderr.map((line) => line.seq)).toEqual(
      Array.from({ length: 5000 }, (_, i) => 300_005 - 5000 + i),
    );
    expect(stderr.at(-1)!.text).toBe(`err-299-999 ${'x'.repeat(88)}`);
    // Every line from firstSeq on is held; before it, only stdout's.
    expect(merged.firstSeq).toBe(300_005 - 5000);
    expect(merged.nextSeq).toBe(300_005);
  }, 90_000);
});

describe('each stream keeps its own window, through the API', () => {
  let serve: ServeProcess;
  beforeAll(async () => {
    serve = await startServe();
  });
  afterAll(() => serve?.stop());

  it('runs.readOutput from the start gives stdout’s first lines after a stderr flood', async () => {
    const { client, close } = await connectClient(serve);
    try {
      const launched = await client.call('runs.launch', {
        program: 'python3',
        args: ['-c', stderrFloodScript],
        closeStdin: true,
      });
      const record = await client.call('runs.join', { id: launched.id, timeoutMs: 60_000 });
      expect(record.exit?.code).toBe(0);
      const answer = await client.call('runs.readOutput', { id: launched.id, limit: 10 });
      expect(answer.lines.map((line) => [line.stream, line.text])).toEqual([
        ...firstLines.map((text) => ['stdout', text]),
        ...Array.from({ length: 5 }, (_, n) => [
          'stderr',
          `err-295-${String(n).padStart(3, '0')} ${'x'.repeat(88)}`,
        ]),
      ]);
    } finally {
      close();
    }
  }, 90_000);
});
