import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { OutputCapture } from '../../main/engine/output/output-capture';

function capture(windowLines = 100) {
  const dir = mkdtempSync(join(tmpdir(), 'forkscope-capture-'));
  let notified = 0;
  const output = new OutputCapture(dir, 'r1', windowLines, () => notified++);
  return { output, notified: () => notified };
}

async function feed(output: OutputCapture, chunks: Buffer[]) {
  const source = new PassThrough();
  const done = output.attach('stdout', source);
  for (const chunk of chunks) {
    source.write(chunk);
    await new Promise((resolve) => setImmediate(resolve));
  }
  source.end();
  await done;
  await output.close();
}

describe('OutputCapture', () => {
  it('decodes UTF-8 sequences split across chunks', async () => {
    const { output } = capture();
    const text = Buffer.from('héllo wörld ✓ 日本\nzweite Zeile 🎉\n');
    // Split inside every multi-byte sequence we can find.
    const cuts = [2, 9, 15, 18, 22, 35];
    const chunks = cuts.map((cut, i) => text.subarray(i === 0 ? 0 : cuts[i - 1], cut));
    chunks.push(text.subarray(cuts.at(-1)));
    await feed(output, chunks);
    expect(output.read(0, 10).lines.map((line) => line.text)).toEqual([
      'héllo wörld ✓ 日本',
      'zweite Zeile 🎉',
    ]);
  });

  it('writes every byte to the log and keeps only the newest lines in memory', async () => {
    const { output } = capture(10);
    const lines = Array.from({ length: 1000 }, (_, i) => `line ${i}\r\n`).join('');
    await feed(output, [Buffer.from(lines.slice(0, 5000)), Buffer.from(lines.slice(5000))]);
    const stats = output.stats();
    expect(readFileSync(stats.stdout.logPath, 'utf8')).toBe(lines);
    expect(stats.stdout.lines).toBe(1000);
    const window = output.read(0, 100);
    expect(window.firstSeq).toBe(990);
    expect(window.lines.map((line) => line.text)).toEqual(
      Array.from({ length: 10 }, (_, i) => `line ${990 + i}`),
    );
  });

  it('cuts a huge line for display without breaking a character, and says how much is left', async () => {
    const { output } = capture();
    const huge = 'é'.repeat(20_000) + '\n';
    await feed(output, [Buffer.from(huge)]);
    const [line] = output.read(0, 1).lines;
    expect(line!.text).toMatch(/^é+ … \(\d+ more bytes in the log\)$/);
    expect(line!.text).not.toContain('\uFFFD');
  });
});
