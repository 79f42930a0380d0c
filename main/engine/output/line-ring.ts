import type { OutputLine, StreamName } from '../../../contract';
import { LineBudget, type BudgetedRing } from './line-budget';
import { floorBytes, StreamLines, type ArenaGrants } from './stream-lines';

export { headEnd, lineHeadBytes } from './stream-lines';

const MiB = 1024 * 1024;

/** The most line bytes one run holds by default, both streams together (each is also bounded in lines). */
export const defaultRunBytes = 8 * MiB;
/** Every run's windows together; past it, the biggest give back half of theirs. */
export const sharedLineBudget = new LineBudget(128 * MiB);

export interface LineRingLimits {
  /** The most line bytes this run holds, both streams together (at least 128 KiB). */
  bytes?: number;
  budget?: LineBudget;
}

export interface ReadLines {
  lines: OutputLine[];
  /** Where the next read goes on when this one stopped at its byte bound; null when it did not. */
  continueFrom: number | null;
}

/**
 * The window of one run's output: each stream keeps its own newest `capacity` lines (a flood on
 * stderr never pushes stdout's lines out), both numbered in one sequence so that they read back
 * merged in the order they came. Bounded in bytes per run (both streams together: a stream may
 * take from the other only while the other holds more) and, through the shared `LineBudget`,
 * for all runs.
 */
export class LineRing implements BudgetedRing, ArenaGrants {
  private readonly streams: Record<StreamName, StreamLines>;
  private seq = 0;
  private readonly maxBytes: number;
  private readonly budget: LineBudget;

  constructor(
    readonly capacity: number,
    limits: LineRingLimits = {},
  ) {
    if (!(Number.isInteger(capacity) && capacity > 0)) {
      throw new RangeError(`A line window must hold at least one line, not ${capacity}.`);
    }
    this.maxBytes = limits.bytes ?? defaultRunBytes;
    if (!(this.maxBytes >= 2 * floorBytes)) {
      throw new RangeError(
        `A line window must allow at least ${2 * floorBytes} bytes, not ${this.maxBytes}.`,
      );
    }
    this.budget = limits.budget ?? sharedLineBudget;
    this.streams = {
      stdout: new StreamLines('stdout', capacity, this.maxBytes, this),
      stderr: new StreamLines('stderr', capacity, this.maxBytes, this),
    };
  }

  get nextSeq(): number {
    return this.seq;
  }

  /**
   * From this sequence number on, every line of both streams is held. Older lines are in the logs
   * on disk; a quiet stream's may still be held too (each stream keeps its own window).
   */
  get firstSeq(): number {
    return Math.max(this.streams.stdout.lostBefore, this.streams.stderr.lostBefore);
  }

  get arenaBytes(): number {
    return this.streams.stdout.arenaBytes + this.streams.stderr.arenaBytes;
  }

  /** Adds one line (see StreamLines.push); it gets the next sequence number. */
  push(stream: StreamName, buffer: Buffer, start: number, end: number, time: number, continued = 0): void {
    this.streams[stream].push(buffer, start, end, this.seq++, time, continued);
  }

  /** Adds `count` consecutive lines of one read (see StreamLines.pushLines); they get the next sequence numbers. */
  pushLines(
    stream: StreamName,
    buffer: Buffer,
    start: number,
    ends: Int32Array,
    count: number,
    time: number,
  ): void {
    if (count === 0) return;
    this.streams[stream].pushLines(buffer, start, ends, count, this.seq, time);
    this.seq += count;
  }

  grant(lines: StreamLines, extra: number): number {
    const other = lines === this.streams.stdout ? this.streams.stderr : this.streams.stdout;
    // Within the run: the other stream gives back half while it holds more than the asker would.
    while (
      lines.arenaBytes + other.arenaBytes + extra > this.maxBytes &&
      other.arenaBytes > lines.arenaBytes + extra
    ) {
      const freed = other.shrink();
      if (freed <= 0) break;
      this.budget.adjust(this, -freed);
    }
    const granted = Math.min(extra, this.maxBytes - lines.arenaBytes - other.arenaBytes);
    if (granted <= 0) return 0;
    return this.budget.request(this, granted) ? granted : 0;
  }

  took(delta: number): void {
    if (delta !== 0) this.budget.adjust(this, delta);
  }

  /** Gives the shared budget back half of the bigger stream's storage. */
  shrink(): number {
    const { stdout, stderr } = this.streams;
    const bigger = stdout.arenaBytes >= stderr.arenaBytes ? stdout : stderr;
    return bigger.shrink() || (bigger === stdout ? stderr : stdout).shrink();
  }

  /** The ring's run is forgotten: its memory goes back, and nothing is read from it again. */
  release(): void {
    this.budget.release(this);
    this.streams.stdout.release();
    this.streams.stderr.release();
  }

  /**
   * Held lines from `fromSeq` on, in sequence order (of one stream only when `stream` says so): at
   * most `limit` of them and, past the first, at most `maxBytes` of line text (as held, in UTF-8).
   */
  read(fromSeq: number, limit: number, maxBytes = Infinity, stream?: StreamName): ReadLines {
    const out = stream === 'stderr' ? null : this.streams.stdout;
    const err = stream === 'stdout' ? null : this.streams.stderr;
    let i = out ? out.indexFrom(fromSeq) : 0;
    let j = err ? err.indexFrom(fromSeq) : 0;
    const outEnd = out ? out.end : 0;
    const errEnd = err ? err.end : 0;
    const lines: OutputLine[] = [];
    let bytes = 0;
    while (lines.length < limit && (i < outEnd || j < errEnd)) {
      const fromOut = j >= errEnd || (i < outEnd && out!.seqAt(i) < err!.seqAt(j));
      const source = fromOut ? out! : err!;
      const index = fromOut ? i : j;
      bytes += source.bytesAt(index);
      if (bytes > maxBytes && lines.length > 0) return { lines, continueFrom: source.seqAt(index) };
      lines.push(source.lineAt(index));
      if (fromOut) i++;
      else j++;
    }
    return { lines, continueFrom: null };
  }

  /**
   * The oldest sequence number from `fromSeq` on whose held lines, to the newest, hold at most
   * `maxBytes` (one line at least); `fromSeq` itself when all of them fit.
   */
  newestWithin(fromSeq: number, maxBytes: number): number {
    const out = this.streams.stdout;
    const err = this.streams.stderr;
    const outFirst = out.indexFrom(fromSeq);
    const errFirst = err.indexFrom(fromSeq);
    let i = out.end - 1;
    let j = err.end - 1;
    let bytes = 0;
    let newest = true;
    while (i >= outFirst || j >= errFirst) {
      const fromOut = j < errFirst || (i >= outFirst && out.seqAt(i) > err.seqAt(j));
      const seq = fromOut ? out.seqAt(i) : err.seqAt(j);
      bytes += fromOut ? out.bytesAt(i) : err.bytesAt(j);
      if (bytes > maxBytes && !newest) return seq + 1;
      newest = false;
      if (fromOut) i--;
      else j--;
    }
    return fromSeq;
  }
}
