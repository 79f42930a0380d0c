import type { OutputLine, StreamName } from '../../../contract';
import { LineBudget, type BudgetedRing } from './line-budget';

const streamNames: readonly StreamName[] = ['stdout', 'stderr'];
const MiB = 1024 * 1024;

/** The most bytes of one line held in memory: a longer line keeps its head, the rest is only in the log. */
export const lineHeadBytes = 16 * 1024;
/** The most line bytes one run holds by default (its window is also bounded in lines). */
export const defaultRunBytes = 8 * MiB;
/** Every run's rings together; past it, the biggest rings give back half of theirs. */
export const sharedLineBudget = new LineBudget(128 * MiB);
/** A ring may hold this much whatever the budget says: room for a few whole line heads. */
const floorBytes = 64 * 1024;
const firstArenaBytes = 4 * 1024;
/** Lines closer than this in the same buffer are copied in one go, the newline between them too. */
const maxGap = 2;

export interface LineRingLimits {
  /** The most line bytes this ring holds (at least 64 KiB). */
  bytes?: number;
  budget?: LineBudget;
}

export interface ReadLines {
  lines: OutputLine[];
  /** Where the next read goes on when this one stopped at its byte bound; null when it did not. */
  continueFrom: number | null;
}

/** The end of the first `max` bytes from `start`, moved back so no UTF-8 sequence is cut. */
export function headEnd(buffer: Uint8Array, start: number, max: number): number {
  let stop = start + max;
  while (stop > start && (buffer[stop]! & 0xc0) === 0x80) stop--;
  return stop;
}

/**
 * The newest lines of one run, both streams interleaved, with sequence numbers, bounded in lines
 * and in bytes. A line's bytes are copied into the ring's own circular arena (up to its first
 * 16 KiB; `continuedBytes` says how much more the log holds), so a line never keeps a reused
 * read buffer alive, and decoded only when read: a flood costs one indexOf per line and one copy
 * per read chunk (consecutive lines from the same buffer are copied together), never a string per line.
 */
export class LineRing implements BudgetedRing {
  // Allocated small and doubled up to `capacity` as lines come: most runs print a few lines, and
  // a command pool or a spawn loop starts thousands of runs.
  private vstarts: Float64Array;
  private lengths: Int32Array;
  private times: Float64Array;
  private streams: Uint8Array;
  private readonly continued = new Map<number, number>();
  private size: number;
  private seq = 0;
  private first = 0;

  /**
   * Line bytes live at virtual positions that only grow; position v sits at arena offset
   * (v - base) % arena.length, so a line may wrap around the arena's end. `head` is where the
   * oldest line starts, `tail` where the newest ends.
   */
  private arena = Buffer.alloc(0);
  private base = 0;
  private head = 0;
  private tail = 0;
  private readonly maxBytes: number;
  private readonly floor: number;
  private readonly budget: LineBudget;

  /** Lines pushed but not copied yet: one run of `source` bytes that lands at `pendingAt`. */
  private pending: Buffer | null = null;
  private pendingStart = 0;
  private pendingEnd = 0;
  private pendingAt = 0;

  constructor(
    readonly capacity: number,
    limits: LineRingLimits = {},
  ) {
    if (!(Number.isInteger(capacity) && capacity > 0)) {
      throw new RangeError(`A line window must hold at least one line, not ${capacity}.`);
    }
    this.maxBytes = limits.bytes ?? defaultRunBytes;
    if (!(this.maxBytes >= floorBytes)) {
      throw new RangeError(`A line window must allow at least ${floorBytes} bytes, not ${this.maxBytes}.`);
    }
    this.budget = limits.budget ?? sharedLineBudget;
    this.floor = floorBytes;
    this.size = Math.min(capacity, 64);
    this.vstarts = new Float64Array(this.size);
    this.lengths = new Int32Array(this.size);
    this.times = new Float64Array(this.size);
    this.streams = new Uint8Array(this.size);
  }

  /** Doubles the slots; only before the first wrap, so every line still sits at slot = seq. */
  private grow(): void {
    const size = Math.min(this.capacity, this.size * 2);
    const vstarts = new Float64Array(size);
    const lengths = new Int32Array(size);
    const times = new Float64Array(size);
    const streams = new Uint8Array(size);
    vstarts.set(this.vstarts);
    lengths.set(this.lengths);
    times.set(this.times);
    streams.set(this.streams);
    this.vstarts = vstarts;
    this.lengths = lengths;
    this.times = times;
    this.streams = streams;
    this.size = size;
  }

  get nextSeq(): number {
    return this.seq;
  }

  get firstSeq(): number {
    return this.first;
  }

  get arenaBytes(): number {
    return this.arena.length;
  }

  /**
   * Adds the line `buffer[start, end)` (without its newline). Its bytes are copied before the
   * caller changes `buffer` again, at the latest by `flush()`. `continued`: bytes of the line
   * the caller already left out (they are in the log only).
   */
  push(stream: StreamName, buffer: Buffer, start: number, end: number, time: number, continued = 0): void {
    // A CRLF line ends without its CR.
    if (end > start && buffer[end - 1] === 13) end--;
    let stop = end;
    if (end - start > lineHeadBytes) {
      stop = headEnd(buffer, start, lineHeadBytes);
      continued += end - stop;
    }
    const length = stop - start;
    if (this.seq - this.first >= this.capacity) this.evictOldest();
    if (this.seq === this.size && this.size < this.capacity) this.grow();

    const joins = this.pending === buffer && start >= this.pendingEnd && start - this.pendingEnd <= maxGap;
    if (!joins) this.flush();
    let at = joins ? this.pendingAt + (start - this.pendingStart) : this.tail;
    if (at + length - this.head > this.arena.length) {
      const before = this.arena;
      this.makeRoom(at + length - this.head);
      if (this.arena !== before) at = this.tail;
      while (at + length - this.head > this.arena.length) this.evictOldest();
    }
    if (this.pending === null) {
      this.pending = buffer;
      this.pendingStart = start;
      this.pendingAt = at;
    }
    this.pendingEnd = stop;
    this.tail = at + length;

    const slot = this.seq % this.size;
    this.vstarts[slot] = at;
    this.lengths[slot] = length;
    this.times[slot] = time;
    this.streams[slot] = stream === 'stdout' ? 0 : 1;
    if (continued > 0) this.continued.set(this.seq, continued);
    this.seq++;
  }

  /** Copies the lines pushed since the last flush into the arena; their source may change after. */
  flush(): void {
    const source = this.pending;
    if (!source) return;
    this.pending = null;
    // Lines evicted before they were copied are not copied.
    const from = Math.max(this.pendingAt, this.head);
    const sourceFrom = this.pendingStart + (from - this.pendingAt);
    if (this.pendingEnd > sourceFrom) this.copyIn(source, sourceFrom, this.pendingEnd, from);
  }

  private copyIn(source: Buffer, start: number, end: number, at: number): void {
    const arena = this.arena;
    const offset = (at - this.base) % arena.length;
    const first = Math.min(end - start, arena.length - offset);
    source.copy(arena, offset, start, start + first);
    if (start + first < end) source.copy(arena, 0, start + first, end);
  }

  private evictOldest(): void {
    if (this.continued.size > 0) this.continued.delete(this.first);
    this.first++;
    this.head = this.first < this.seq ? this.vstarts[this.first % this.size]! : this.tail;
  }

  /** Grows the arena towards `needed` bytes: freely up to the floor, past it as the budget allows. */
  private makeRoom(needed: number): void {
    const current = this.arena.length;
    if (current >= this.maxBytes) return;
    let target = Math.min(this.maxBytes, Math.max(needed, current * 2, firstArenaBytes));
    const free = Math.max(0, Math.min(target, this.floor) - current);
    const asked = target - current - free;
    if (asked > 0 && !this.budget.request(this, asked)) target = current + free;
    if (target <= current) return;
    this.budget.adjust(this, free);
    this.relayout(target);
  }

  /** Gives the budget back half the arena (not below the floor); the oldest lines that no longer fit go. */
  shrink(): number {
    const current = this.arena.length;
    if (current <= this.floor) return 0;
    const target = Math.max(this.floor, current >> 1);
    this.flush();
    while (this.tail - this.head > target) this.evictOldest();
    this.relayout(target);
    return current - target;
  }

  /** A new arena of `size` bytes holding the live lines from its start. */
  private relayout(size: number): void {
    this.flush();
    const next = Buffer.allocUnsafeSlow(size);
    const old = this.arena;
    const live = this.tail - this.head;
    if (live > 0) {
      const offset = (this.head - this.base) % old.length;
      const first = Math.min(live, old.length - offset);
      old.copy(next, 0, offset, offset + first);
      if (first < live) old.copy(next, first, 0, live - first);
    }
    this.arena = next;
    this.base = this.head;
  }

  /** The ring's run is forgotten: its memory goes back, and nothing is read from it again. */
  release(): void {
    this.budget.release(this);
    this.pending = null;
    this.arena = Buffer.alloc(0);
    this.first = this.seq;
    this.head = this.base = this.tail;
    this.continued.clear();
  }

  private text(slot: number): string {
    const arena = this.arena;
    const length = this.lengths[slot]!;
    if (length === 0) return '';
    const offset = (this.vstarts[slot]! - this.base) % arena.length;
    if (offset + length <= arena.length) return arena.toString('utf8', offset, offset + length);
    return Buffer.concat([
      arena.subarray(offset),
      arena.subarray(0, offset + length - arena.length),
    ]).toString('utf8');
  }

  /**
   * Lines from `fromSeq` on: at most `limit` of them and, past the first, at most `maxBytes` of
   * line text (as held in memory, in UTF-8).
   */
  read(fromSeq: number, limit: number, maxBytes = Infinity): ReadLines {
    this.flush();
    const from = Math.max(fromSeq, this.first);
    const to = Math.min(this.seq, from + limit);
    const lines: OutputLine[] = [];
    let bytes = 0;
    for (let seq = from; seq < to; seq++) {
      const slot = seq % this.size;
      bytes += this.lengths[slot]!;
      if (bytes > maxBytes && seq > from) return { lines, continueFrom: seq };
      const line: OutputLine = {
        seq,
        stream: streamNames[this.streams[slot]!]!,
        t: this.times[slot]!,
        text: this.text(slot),
      };
      const continuedBytes = this.continued.size > 0 ? this.continued.get(seq) : undefined;
      if (continuedBytes !== undefined) line.continuedBytes = continuedBytes;
      lines.push(line);
    }
    return { lines, continueFrom: null };
  }

  /** The oldest sequence number from `fromSeq` on whose lines, to the newest, hold at most `maxBytes` (one line at least). */
  newestWithin(fromSeq: number, maxBytes: number): number {
    const from = Math.max(fromSeq, this.first);
    let bytes = 0;
    for (let seq = this.seq - 1; seq >= from; seq--) {
      bytes += this.lengths[seq % this.size]!;
      if (bytes > maxBytes && seq < this.seq - 1) return seq + 1;
    }
    return from;
  }
}
