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

/** Feeds `lines` to the ring in read-sized chunks of one reused buffer, as the capture does. */
function feed(ring: LineRing, lines: string[]): void {
  const staging = Buffer.alloc(256 * KiB);
  let i = 0;
  while (i < lines.length) {
    let fill = 0;
    while (i < lines.length) {
      const bytes = Buffer.from(lines[i]! + (i % 3 === 0 ? '\r\n' : '\n'));
      if (fill + bytes.length > staging.length) break;
      bytes.copy(staging, fill);
      ring.push(i % 2 === 0 ? 'stdout' : 'stderr', staging, fill, fill + bytes.length - 1, i);
      fill += bytes.length;
      i++;
    }
    ring.flush();
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
    expect(held[0]!.seq).toBe(ring.firstSeq);
    expect(held.at(-1)!.seq).toBe(2999);
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
    idle.flush();
    expect(idle.arenaBytes).toBe(2 * 1024 * KiB);
    small.push('stdout', line, 0, 10, 0);
    small.flush();
    for (let i = 0; i < 20_000; i++) {
      flood.push('stdout', line, 0, line.length, i);
      if (i % 100 === 0) flood.flush();
    }
    flood.flush();
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

  it('refuses limits that cannot hold a line', () => {
    expect(() => new LineRing(0)).toThrow(/at least one line/);
    expect(() => new LineRing(10, { bytes: 1000 })).toThrow(/at least 65536 bytes/);
    expect(() => new LineBudget(0)).toThrow(/must be positive/);
  });
});
