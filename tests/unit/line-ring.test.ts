import { describe, expect, it } from 'vitest';
import { LineBudget } from '../../main/engine/output/line-budget';
import { LineRing, lineHeadBytes } from '../../main/engine/output/line-ring';

const KiB = 1024;

/** A deterministic stream of pseudo-random numbers (the same lines on every run). */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

/** Lines of mixed lengths (some past a line's head, some with CRLF), each naming its index. */
function sampleLines(count: number, seed: number): string[] {
  const next = random(seed);
  return Array.from({ length: count }, (_, i) => {
    const roll = next();
    const length = roll < 0.05 ? 20 * KiB + Math.floor(next() * 10 * KiB) : Math.floor(next() * 3000);
    return `#${i}:` + 'ü'.repeat(length >> 1);
  });
}

/**
 * Feeds `lines` to the ring in read-sized chunks of one reused buffer, as the capture does: runs
 * of short lines of one stream as a batch, long lines one by one. Line i goes to stdout when
 * `toStdout(i)`.
 */
function feed(ring: LineRing, lines: string[], toStdout = (i: number) => i % 2 === 0): void {
  const staging = Buffer.alloc(256 * KiB);
  const ends = new Int32Array(64);
  let i = 0;
  while (i < lines.length) {
    let fill = 0;
    while (i < lines.length) {
      const stream = toStdout(i) ? 'stdout' : 'stderr';
      let batched = 0;
      const batchStart = fill;
      // A batch: consecutive short lines of one stream.
      while (i < lines.length && batched < ends.length && (toStdout(i) ? 'stdout' : 'stderr') === stream) {
        const bytes = Buffer.from(lines[i]! + (i % 3 === 0 ? '\r\n' : '\n'));
        if (fill + bytes.length > staging.length || bytes.length > lineHeadBytes) break;
        bytes.copy(staging, fill);
        fill += bytes.length;
        ends[batched++] = fill - 1;
        i++;
      }
      ring.pushLines(stream, staging, batchStart, ends, batched, 0);
      if (batched > 0) continue;
      const bytes = Buffer.from(lines[i]! + (i % 3 === 0 ? '\r\n' : '\n'));
      if (fill + bytes.length > staging.length) break;
      bytes.copy(staging, fill);
      ring.push(stream, staging, fill, fill + bytes.length - 1, 0);
      fill += bytes.length;
      i++;
    }
    // The capture reuses its buffers: whatever the ring did not copy is gone.
    staging.fill(0x3f);
  }
}

function expected(line: string): { text: string; continuedBytes?: number } {
  const bytes = Buffer.from(line);
  if (bytes.length <= lineHeadBytes) return { text: line };
  let stop = lineHeadBytes;
  while ((bytes[stop]! & 0xc0) === 0x80) stop--;
  return { text: bytes.toString('utf8', 0, stop), continuedBytes: bytes.length - stop };
}

describe('LineRing', () => {
  it('holds the newest lines within its byte limit, whole, in order, wrapping around its arena', () => {
    const lines = sampleLines(3000, 7);
    const ring = new LineRing(10_000, { bytes: 512 * KiB, budget: new LineBudget(64 * 1024 * KiB) });
    feed(ring, lines);
    expect(ring.arenaBytes).toBe(512 * KiB);
    expect(ring.nextSeq).toBe(3000);
    expect(ring.firstSeq).toBeGreaterThan(2000);
    const { lines: held, continueFrom } = ring.read(0, 10_000);
    expect(continueFrom).toBeNull();
    // Every line from firstSeq on is held; before it, only one stream's newest may still be.
    const seqs = held.map((line) => line.seq);
    expect(seqs.filter((seq) => seq >= ring.firstSeq)).toEqual(
      Array.from({ length: 3000 - ring.firstSeq }, (_, i) => ring.firstSeq + i),
    );
    expect(seqs[0]).toBeLessThanOrEqual(ring.firstSeq);
    for (const line of held) {
      expect({ text: line.text, continuedBytes: line.continuedBytes }).toEqual({
        continuedBytes: undefined,
        ...expected(lines[line.seq]!),
      });
      expect(line.stream).toBe(line.seq % 2 === 0 ? 'stdout' : 'stderr');
    }
  });

  it('stops a read at its byte bound with a cursor, and finds the newest lines that fit a bound', () => {
    const ring = new LineRing(100);
    const line = Buffer.from('z'.repeat(1000));
    for (let i = 0; i < 100; i++) ring.push('stdout', line, 0, line.length, i);
    const first = ring.read(10, 50, 4500);
    expect(first.lines.map((each) => each.seq)).toEqual([10, 11, 12, 13]);
    expect(first.continueFrom).toBe(14);
    expect(ring.read(96, 50, 4500).continueFrom).toBeNull();
    // One line is always answered, however small the bound.
    expect(ring.read(0, 5, 10).lines).toHaveLength(1);
    expect(ring.newestWithin(0, 4500)).toBe(96);
    expect(ring.newestWithin(98, 4500)).toBe(98);
    ring.release();
  });

  it('keeps all rings together within a shared budget: a flooding ring takes from the biggest, not from small ones', () => {
    const budget = new LineBudget(2 * 1024 * KiB);
    const limits = { bytes: 4 * 1024 * KiB, budget };
    const idle = new LineRing(10_000, limits);
    const small = new LineRing(10_000, limits);
    const flood = new LineRing(10_000, limits);
    const line = Buffer.from('f'.repeat(1000));
    for (let i = 0; i < 2000; i++) idle.push('stdout', line, 0, line.length, i);
    expect(idle.arenaBytes).toBe(2 * 1024 * KiB);
    small.push('stdout', line, 0, 10, 0);
    for (let i = 0; i < 20_000; i++) {
      flood.push('stdout', line, 0, line.length, i);
    }
    expect(budget.usedBytes).toBe(idle.arenaBytes + small.arenaBytes + flood.arenaBytes);
    // Past the budget only by the floor each ring may hold whatever it says.
    expect(budget.usedBytes).toBeLessThanOrEqual(2 * 1024 * KiB + 3 * 64 * KiB);
    expect(idle.arenaBytes).toBeLessThan(2 * 1024 * KiB);
    expect(flood.arenaBytes).toBeGreaterThanOrEqual(idle.arenaBytes / 2);
    expect(small.arenaBytes).toBeLessThanOrEqual(64 * KiB);
    expect(small.read(0, 1).lines[0]!.text).toBe('ffffffffff');
    expect(idle.read(idle.nextSeq - 1, 1).lines[0]!.text).toBe('f'.repeat(1000));
    expect(flood.read(19_999, 1).lines[0]!.seq).toBe(19_999);
    for (const ring of [idle, small, flood]) ring.release();
    expect(budget.usedBytes).toBe(0);
  });

  it('keeps a window per stream: a flood on stderr leaves stdout’s first lines, read back in order', () => {
    const lines = [
      ...Array.from({ length: 5 }, (_, i) => `out ${i}`),
      ...Array.from({ length: 50_000 }, (_, i) => `err ${i} ${'e'.repeat(90)}`),
    ];
    const ring = new LineRing(1000, { bytes: 1024 * KiB, budget: new LineBudget(64 * 1024 * KiB) });
    feed(ring, lines, (i) => i < 5);
    expect(ring.nextSeq).toBe(50_005);
    expect(ring.arenaBytes).toBeLessThanOrEqual(1024 * KiB);
    const merged = ring.read(0, 2000).lines;
    expect(merged.slice(0, 5).map((line) => [line.seq, line.stream, line.text])).toEqual(
      Array.from({ length: 5 }, (_, i) => [i, 'stdout', `out ${i}`]),
    );
    // stderr holds its own newest 1,000 lines, after stdout's in the merged order.
    expect(merged.slice(5).map((line) => line.seq)).toEqual(
      Array.from({ length: 1000 }, (_, i) => 49_005 + i),
    );
    expect(ring.firstSeq).toBe(49_005);
    expect(ring.read(0, 2000, Infinity, 'stdout').lines.map((line) => line.text)).toEqual(
      Array.from({ length: 5 }, (_, i) => `out ${i}`),
    );
    expect(ring.read(49_004, 3, Infinity, 'stderr').lines.map((line) => line.seq)).toEqual([
      49_005, 49_006, 49_007,
    ]);
    // A cursor read from the middle skips stdout's older lines; newestWithin counts both streams.
    expect(ring.read(3, 3).lines.map((line) => line.seq)).toEqual([3, 4, 49_005]);
    // Each stderr line is 100 bytes of text: ten of them fit 1,000 bytes, eleven do not.
    const tail = ring.newestWithin(0, 1000);
    expect(ring.read(tail, 100).lines.map((line) => line.seq)).toEqual(
      Array.from({ length: 10 }, (_, i) => 49_995 + i),
    );
  });

  it('bounds both streams of a run together: the stream that holds more gives back half', () => {
    const budget = new LineBudget(64 * 1024 * KiB);
    const ring = new LineRing(100_000, { bytes: 1024 * KiB, budget });
    const line = Buffer.from('x'.repeat(999) + '\n');
    const burst = (stream: 'stdout' | 'stderr', count: number) => {
      for (let i = 0; i < count; i++) ring.push(stream, line, 0, 999, i);
    };
    burst('stderr', 3000);
    expect(ring.arenaBytes).toBeLessThanOrEqual(1024 * KiB);
    expect(ring.arenaBytes).toBeGreaterThan(1024 * KiB - 70 * KiB);
    expect(budget.usedBytes).toBe(ring.arenaBytes);
    // Now stdout floods too: stderr, holding more, gives back half of its storage.
    burst('stdout', 3000);
    expect(ring.arenaBytes).toBeLessThanOrEqual(1024 * KiB);
    expect(budget.usedBytes).toBe(ring.arenaBytes);
    const held = (stream: 'stdout' | 'stderr') => ring.read(0, 100_000, Infinity, stream).lines.length;
    expect(held('stdout')).toBeGreaterThan(200);
    expect(held('stderr')).toBeGreaterThan(200);
    ring.release();
    expect(budget.usedBytes).toBe(0);
  });

  it('keeps only what fits of a batch bigger than its window, in lines and in bytes', () => {
    const ring = new LineRing(10, { budget: new LineBudget(64 * 1024 * KiB) });
    const text = Array.from({ length: 100 }, (_, i) => `l${i}\n`).join('');
    const buffer = Buffer.from(text);
    const ends = new Int32Array(100);
    let at = 0;
    for (let i = 0; i < 100; i++) {
      ends[i] = buffer.indexOf(10, at);
      at = ends[i]! + 1;
    }
    ring.pushLines('stdout', buffer, 0, ends, 100, 7);
    expect(ring.read(0, 100).lines.map((line) => line.text)).toEqual(
      Array.from({ length: 10 }, (_, i) => `l${90 + i}`),
    );
    expect(ring.firstSeq).toBe(90);
    expect(ring.nextSeq).toBe(100);
  });

  it('refuses limits that cannot hold a line', () => {
    expect(() => new LineRing(0)).toThrow(/at least one line/);
    expect(() => new LineRing(10, { bytes: 100_000 })).toThrow(/at least 131072 bytes/);
    expect(() => new LineBudget(0)).toThrow(/must be positive/);
  });
});
