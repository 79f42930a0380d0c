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

  it('keeps the head of a huge line without breaking a character, and says how much is left', async () => {
    const { output } = capture();
    const huge = 'é'.repeat(20_000) + '\n';
    await feed(output, [Buffer.from(huge)]);
    const [line] = output.read(0, 1).lines;
    expect(line!.text).toMatch(/^é+$/);
    expect(Buffer.byteLength(line!.text) + line!.continuedBytes!).toBe(40_000);
    expect(Buffer.byteLength(line!.text)).toBeLessThanOrEqual(16 * 1024);
  });

  it('holds a newline-free flood as one line: its head, the rest counted, every byte in the log', async () => {
    const { output } = capture();
    const chunk = Buffer.alloc(64 * 1024, 'x');
    const chunks = Array.from({ length: 40 }, () => chunk);
    chunks.push(Buffer.from('tail\r\nnext\n'));
    const source = new PassThrough();
    const done = output.attach('stdout', source);
    for (const [i, each] of chunks.entries()) {
      source.write(each);
      await new Promise((resolve) => setImmediate(resolve));
      // While the line goes on, its head is shown as the unfinished line.
      if (i === 5) expect(output.unfinished().stdout).toBe('x'.repeat(4096));
    }
    source.end();
    await done;
    await output.close();
    const { lines } = output.read(0, 10);
    expect(lines.map((line) => line.text.length)).toEqual([16 * 1024, 4]);
    expect(lines[0]!.continuedBytes).toBe(40 * 64 * 1024 + 4 - 16 * 1024);
    expect(lines[1]).not.toHaveProperty('continuedBytes');
    expect(readFileSync(output.stats().stdout.logPath).length).toBe(40 * 64 * 1024 + 11);
  });

  it('bounds the window in bytes and each read in bytes, with a cursor to go on', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'forkscope-capture-'));
    const output = new OutputCapture(dir, 'r1', 10_000, () => {}, { bytes: 1024 * 1024 });
    const line = (i: number) => `${String(i).padStart(6, '0')}${'y'.repeat(10_000 - 7)}\n`;
    await feed(
      output,
      Array.from({ length: 300 }, (_, i) => Buffer.from(line(i))),
    );
    const window = output.read(0, 10_000, 256 * 1024);
    // 1 MiB holds about 104 lines of 10,000 bytes; the oldest went.
    expect(window.firstSeq).toBeGreaterThan(190);
    expect(window.firstSeq).toBeLessThan(200);
    expect(window.lines.length).toBe(26);
    expect(window.continueFrom).toBe(window.firstSeq + 26);
    const rest = output.read(window.continueFrom!, 10_000, 256 * 1024);
    expect(rest.lines[0]!.text.startsWith(String(window.continueFrom).padStart(6, '0'))).toBe(true);
    expect(output.read(290, 5, 256 * 1024).continueFrom).toBeNull();
    output.release();
  });
});
