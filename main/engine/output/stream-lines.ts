import type { OutputLine, StreamName } from '../../../contract';

/** The most bytes of one line held in memory: a longer line keeps its head, the rest is only in the log. */
export const lineHeadBytes = 16 * 1024;
/** A stream may hold this much whatever the budgets say: room for a few whole line heads. */
export const floorBytes = 64 * 1024;
const firstArenaBytes = 4 * 1024;

/** The end of the first `max` bytes from `start`, moved back so no UTF-8 sequence is cut. */
export function headEnd(buffer: Uint8Array, start: number, max: number): number {
  let stop = start + max;
  while (stop > start && (buffer[stop]! & 0xc0) === 0x80) stop--;
  return stop;
}

/** Who lets a stream's storage grow past its floor: the run's window (both streams) and, through it, every run's. */
export interface ArenaGrants {
  /** How many of `extra` more bytes `lines` may take (0 to all of them); the bytes granted are counted. */
  grant(lines: StreamLines, extra: number): number;
  /** Bytes taken without asking (up to the floor) or given back (negative). */
  took(delta: number): void;
}

/**
 * The newest lines of one stream of a run, each with its sequence number in the run (both streams
 * count in one sequence), bounded in lines and in bytes. A line's bytes are copied into the
 * stream's own circular arena (up to its first 16 KiB; `continuedBytes` says how much more the log
 * holds) and decoded only when read. Lines come in batches, one per read of the pipe: the batch's
 * bytes are copied in one go and each line costs a few typed-array stores, never an object or a
 * string — in a flood almost every line is gone again before anyone reads it.
 */
export class StreamLines {
  // Allocated small and doubled up to `capacity` as lines come: most runs print a few lines, and
  // a command pool or a spawn loop starts thousands of runs.
  private seqs: Float64Array;
  private vstarts: Float64Array;
  private lengths: Int32Array;
  private times: Float64Array;
  /** Bytes past the head of a line longer than `lineHeadBytes`, by line index. */
  private readonly continued = new Map<number, number>();
  private size: number;
  /** Lines pushed so far (the next line's index), and the index of the oldest line held. */
  private count = 0;
  private first = 0;
  /** One past the sequence number of the newest line that had to go (0 while none did). */
  lostBefore = 0;

  /**
   * Line bytes live at virtual positions that only grow; position v sits at arena offset
   * (v - base) % arena.length, so a line may wrap around the arena's end. `head` is where the
   * oldest line starts, `tail` where the newest ends.
   */
  private arena = Buffer.alloc(0);
  private base = 0;
  private head = 0;
  private tail = 0;

  constructor(
    readonly stream: StreamName,
    readonly capacity: number,
    private readonly maxBytes: number,
    private readonly grants: ArenaGrants,
  ) {
    this.size = Math.min(capacity, 64);
    this.seqs = new Float64Array(this.size);
    this.vstarts = new Float64Array(this.size);
    this.lengths = new Int32Array(this.size);
    this.times = new Float64Array(this.size);
  }

  get arenaBytes(): number {
    return this.arena.length;
  }

  get held(): number {
    return this.count - this.first;
  }

  /** Sequence number of the oldest line held, or null when none is. */
  get firstSeq(): number | null {
    return this.count > this.first ? this.seqs[this.first % this.size]! : null;
  }

  /** Sequence number of the newest line held, or null when none is. */
  get lastSeq(): number | null {
    return this.count > this.first ? this.seqs[(this.count - 1) % this.size]! : null;
  }

  /**
   * Adds one line, `buffer[start, end)` without its newline, copied at once: its head if it is
   * longer than `lineHeadBytes`. `continued`: bytes of the line the caller already left out (they
   * are in the log only).
   */
  push(buffer: Buffer, start: number, end: number, seq: number, time: number, continued = 0): void {
    // A CRLF line ends without its CR.
    if (end > start && buffer[end - 1] === 13) end--;
    let stop = end;
    if (end - start > lineHeadBytes) {
      stop = headEnd(buffer, start, lineHeadBytes);
      continued += end - stop;
    }
    const at = this.room(stop - start);
    if (at === null) return;
    this.copyIn(buffer, start, stop, at);
    this.record(seq, at, stop - start, time);
    if (continued > 0) this.continued.set(this.count - 1, continued);
  }

  /**
   * Adds `count` lines that lie one after the other in `buffer`: the first starts at `start`, line i
   * ends at `ends[i]` (its newline), and none is longer than `lineHeadBytes`. Their sequence numbers
   * are `seq`, `seq + 1`, … One copy for all of them (the newlines between them come along).
   */
  pushLines(buffer: Buffer, start: number, ends: Int32Array, count: number, seq: number, time: number): void {
    // Lines a full window would drop at once are never stored.
    let skip = Math.max(0, count - this.capacity);
    let from = skip === 0 ? start : ends[skip - 1]! + 1;
    let bytes = ends[count - 1]! - from;
    let at = this.room(bytes);
    // The batch is bigger than the arena can be: only its newest lines that fit are kept.
    while (at === null) {
      skip++;
      if (skip === count) {
        this.lostBefore = seq + count;
        return;
      }
      from = ends[skip - 1]! + 1;
      bytes = ends[count - 1]! - from;
      at = this.room(bytes);
    }
    if (skip > 0) this.lostBefore = Math.max(this.lostBefore, seq + skip);
    this.copyIn(buffer, from, from + bytes, at);
    // The slots: the oldest lines that no longer fit go at once, then one tight loop of stores.
    const added = count - skip;
    const over = this.count - this.first + added - this.capacity;
    if (over > 0) this.evict(over);
    while (this.count + added > this.size && this.size < this.capacity) this.grow();
    const { seqs, vstarts, lengths, times, size } = this;
    let slot = this.count % size;
    const offset = at - from;
    let lineStart = from;
    for (let i = skip; i < count; i++) {
      const newline = ends[i]!;
      // A CRLF line ends without its CR.
      const lineEnd = newline > lineStart && buffer[newline - 1] === 13 ? newline - 1 : newline;
      seqs[slot] = seq + i;
      vstarts[slot] = lineStart + offset;
      lengths[slot] = lineEnd - lineStart;
      times[slot] = time;
      if (++slot === size) slot = 0;
      lineStart = newline + 1;
    }
    this.count += added;
    // The arena holds up to the last line's newline: the next batch starts after it.
    this.tail = at + bytes;
  }

  /**
   * Where `length` more bytes go once the arena has room for them (the oldest lines go, the arena
   * grows as the grants allow), or null when they cannot fit even alone.
   */
  private room(length: number): number | null {
    if (this.tail + length - this.head > this.arena.length) this.makeRoom(this.tail + length - this.head);
    if (length > this.arena.length) return null;
    while (this.tail + length - this.head > this.arena.length) this.evictOldest();
    return this.tail;
  }

  /** One line's slot; its bytes are in the arena at virtual position `at`. */
  private record(seq: number, at: number, length: number, time: number): void {
    if (this.count - this.first >= this.capacity) this.evictOldest();
    if (this.count === this.size && this.size < this.capacity) this.grow();
    const slot = this.count % this.size;
    this.seqs[slot] = seq;
    this.vstarts[slot] = at;
    this.lengths[slot] = length;
    this.times[slot] = time;
    this.count++;
    if (at + length > this.tail) this.tail = at + length;
  }

  /** Doubles the slots; only before the first wrap, so every line still sits at slot = index. */
  private grow(): void {
    const size = Math.min(this.capacity, this.size * 2);
    const widen = <T extends Float64Array | Int32Array>(old: T, next: T): T => {
      next.set(old);
      return next;
    };
    this.seqs = widen(this.seqs, new Float64Array(size));
    this.vstarts = widen(this.vstarts, new Float64Array(size));
    this.lengths = widen(this.lengths, new Int32Array(size));
    this.times = widen(this.times, new Float64Array(size));
    this.size = size;
  }

  private copyIn(source: Buffer, start: number, end: number, at: number): void {
    if (end <= start) return;
    const arena = this.arena;
    const offset = (at - this.base) % arena.length;
    const first = Math.min(end - start, arena.length - offset);
    source.copy(arena, offset, start, start + first);
    if (start + first < end) source.copy(arena, 0, start + first, end);
  }

  private evictOldest(): void {
    this.evict(1);
  }

  /** The oldest `lines` lines go (all of them at most). */
  private evict(lines: number): void {
    const first = Math.min(this.count, this.first + lines);
    if (first === this.first) return;
    if (this.continued.size > 0)
      for (let index = this.first; index < first; index++) this.continued.delete(index);
    this.lostBefore = Math.max(this.lostBefore, this.seqs[(first - 1) % this.size]! + 1);
    this.first = first;
    this.head = first < this.count ? this.vstarts[first % this.size]! : this.tail;
  }

  /** Grows the arena towards `needed` bytes: freely up to the floor, past it as the grants allow. */
  private makeRoom(needed: number): void {
    const current = this.arena.length;
    if (current >= this.maxBytes) return;
    const target = Math.min(this.maxBytes, Math.max(needed, current * 2, firstArenaBytes));
    const free = Math.max(0, Math.min(target, floorBytes) - current);
    const asked = target - current - free;
    const granted = asked > 0 ? this.grants.grant(this, asked) : 0;
    if (free + granted <= 0) return;
    this.grants.took(free);
    this.relayout(current + free + granted);
  }

  /** Gives back half the arena (not below the floor); the oldest lines that no longer fit go. */
  shrink(): number {
    const current = this.arena.length;
    if (current <= floorBytes) return 0;
    const target = Math.max(floorBytes, current >> 1);
    while (this.tail - this.head > target) this.evictOldest();
    this.relayout(target);
    return current - target;
  }

  /** A new arena of `size` bytes holding the live lines from its start. */
  private relayout(size: number): void {
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

  /** The run is forgotten: the memory goes back, and nothing is read from it again. */
  release(): void {
    this.arena = Buffer.alloc(0);
    this.first = this.count;
    this.head = this.base = this.tail;
    this.continued.clear();
  }

  /** Index of the oldest held line whose sequence number is `seq` or more (`count` when none is). */
  indexFrom(seq: number): number {
    let low = this.first;
    let high = this.count;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.seqs[middle % this.size]! < seq) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** Index one past the newest line held. */
  get end(): number {
    return this.count;
  }

  seqAt(index: number): number {
    return this.seqs[index % this.size]!;
  }

  /** Bytes of line text held for the line at `index`. */
  bytesAt(index: number): number {
    return this.lengths[index % this.size]!;
  }

  lineAt(index: number): OutputLine {
    const slot = index % this.size;
    const line: OutputLine = {
      seq: this.seqs[slot]!,
      stream: this.stream,
      t: this.times[slot]!,
      text: this.text(slot),
    };
    const continuedBytes = this.continued.size > 0 ? this.continued.get(index) : undefined;
    if (continuedBytes !== undefined) line.continuedBytes = continuedBytes;
    return line;
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
}
