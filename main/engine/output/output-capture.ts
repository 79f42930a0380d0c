import { Socket } from 'node:net';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import {
  maxReadOutputBytes,
  type ReadOutputResult,
  type StreamName,
  type UnfinishedLines,
} from '../../../contract';
import { headEnd, LineRing, lineHeadBytes, type LineRingLimits } from './line-ring';
import type { RunRecord } from '../../../contract';
import { RunLog } from './log-budget';
import { LogWriter } from './log-writer';

/** Where one reader of a run's output stands: the next line it has not had, and the unfinished lines it last had. */
export interface OutputCursor {
  readonly seq: number;
  readonly unfinished: UnfinishedLines;
}

/** What a reader gets since its cursor: at most the newest lines within the limits, and what it skipped. */
export interface OutputSince {
  lines: ReadOutputResult['lines'];
  skipped: number;
  unfinished: UnfinishedLines;
  stdout: { bytes: number; lines: number };
  stderr: { bytes: number; lines: number };
  cursor: OutputCursor;
}

/** How much of an unfinished line is shown while it waits for its newline. */
const maxUnfinishedBytes = 4096;

/** Where the last whole UTF-8 character before `end` ends: a sequence cut by the read is left out. */
function wholeCharactersEnd(buffer: Buffer, start: number, end: number): number {
  let lead = end - 1;
  while (lead > start && lead > end - 4 && (buffer[lead]! & 0xc0) === 0x80) lead--;
  const byte = buffer[lead]!;
  const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
  return lead + length > end ? lead : end;
}

/** Staging buffers start small (most runs print little) and double up to this while output floods in. */
const minStagingBytes = 16 * 1024;
const maxStagingBytes = 1024 * 1024;
/** Staging buffers kept for reuse while a flood goes on (the log writer may lag a few behind). */
const maxSpares = 4;
/** Bytes read but not yet on disk past which the source is paused (backpressure). */
const maxUnwrittenBytes = 4 * 1024 * 1024;
/** A pipe is read straight into the staging buffer when this much room is left in it. */
const minReadBytes = 16 * 1024;
/** A staging buffer filled faster than this is followed by a bigger one (a flood); else by a small one. */
const floodMs = 1000;
/** Where the line scan notes each newline of a read (one array for every stream: the ring copies them at once). */
const lineEnds = new Int32Array(4096);
/** Where a pipe's first read lands (copied out at once): a run that prints nothing allocates nothing. */
const firstReads = Buffer.allocUnsafeSlow(64 * 1024);

/** The parts of a pipe's native handle (Node's stream_wrap) that reading into our own buffers needs. */
interface PipeHandle {
  reading: boolean;
  readStart(): number;
  readStop(): number;
  useUserBuffer(buffer: Uint8Array): void;
}

/** The native handle under a socket, if it can be read into our own buffers (net.Socket's `onread`). */
function pipeHandle(source: Readable): PipeHandle | null {
  if (!(source instanceof Socket)) return null;
  const handle = (source as unknown as { _handle?: Partial<PipeHandle> | null })._handle;
  if (
    typeof handle?.readStart !== 'function' ||
    typeof handle.readStop !== 'function' ||
    typeof handle.useUserBuffer !== 'function'
  ) {
    return null;
  }
  return handle as PipeHandle;
}

/**
 * One stream of one run. Its bytes land in a staging buffer the stream owns: a pipe is read
 * straight into it, any other stream's chunks are copied into it. The log writer writes from
 * there and the ring indexes lines in it, so no per-read chunk is kept alive: thousands of 64 KiB
 * chunks held by the ring and the log were what made the garbage collector the bottleneck of a
 * flood. A line never straddles two staging buffers (the unfinished line is carried over), so the
 * ring needs no copies and no concatenation.
 */
class StreamCapture {
  bytes = 0;
  lines = 0;
  private staging: Buffer | null = null;
  /** Bytes used in `staging`. */
  private fill = 0;
  /** Where the unfinished line starts in `staging`. */
  private lineStart = 0;
  /** How much of `staging` has been handed to the log writer. */
  private queued = 0;
  private readonly log: LogWriter;
  private paused: Readable | null = null;
  private reader: Socket | null = null;
  private readerHandle: PipeHandle | null = null;
  private pausedPipe: PipeHandle | null = null;
  private stagingSince = 0;
  /** Staging buffers given up, oldest first, with where their log bytes end. */
  private readonly retired: { buffer: Buffer; logEnd: number }[] = [];
  private readonly spares: Buffer[] = [];
  /**
   * The head of the unfinished line once it is longer than a line's head: copied out, so the
   * rest of the line is only counted (and logged), never carried from one staging buffer to the next.
   */
  private longHead: Buffer | null = null;
  /** Bytes of that line past its head so far, and whether the last of them was a CR. */
  private longRest = 0;
  private longEndsInCR = false;
  private ended = false;
  /**
   * Sees every byte as it arrives, before lines are cut (the command line passes a run's output
   * through unchanged). The bytes are a view of the staging buffer, valid only during the call.
   */
  tap: ((bytes: Buffer) => void) | null = null;

  constructor(
    readonly name: StreamName,
    readonly logPath: string,
    private readonly ring: LineRing,
    private readonly onLines: () => void,
    runLog: RunLog,
  ) {
    this.log = new LogWriter(logPath, () => this.onWritten(), runLog);
  }

  /** Bytes on disk, and why the log lacks some (or null). */
  get logged(): { logged: number; logIncomplete: string | null } {
    return { logged: this.log.written, logIncomplete: this.log.error };
  }

  /** Reads `source` to its end; while the log lags far behind, the source is paused, so memory stays bounded. */
  attach(source: Readable): Promise<void> {
    // A short-lived child's pipe can reach its end before it is attached (the spawn helper hands
    // the pipes over one by one): 'end' and 'close' have been emitted already and never come again.
    if (source.readableEnded || source.destroyed) {
      this.end();
      return Promise.resolve();
    }
    const handle = pipeHandle(source);
    if (handle) return this.attachPipe(source as Socket, handle);
    return new Promise((resolve) => {
      source.on('data', (chunk: Buffer) => {
        this.append(chunk, Date.now());
        if (this.log.unwritten > maxUnwrittenBytes && !this.paused) {
          this.paused = source;
          source.pause();
        }
      });
      const finish = () => {
        this.end();
        resolve();
      };
      source.once('end', finish);
      source.once('close', finish);
      source.once('error', finish);
    });
  }

  /**
   * The fast way for a pipe (every child's stdout and stderr): the pipe is read straight into the
   * staging buffer (net.Socket's `onread` with a buffer function), so a flood allocates no chunk
   * per read and goes through no stream machinery. With a big heap (the app's), the garbage
   * collector's work for a 64 KiB chunk per read was most of the cost: this doubles throughput.
   */
  private attachPipe(source: Socket, handle: PipeHandle): Promise<void> {
    // Take the pipe over from the socket the helper's handle arrived in.
    handle.readStop();
    handle.reading = false;
    (source as unknown as { _handle: unknown })._handle = null;
    for (let chunk = source.read() as Buffer | null; chunk !== null; chunk = source.read() as Buffer | null) {
      this.append(chunk, Date.now());
    }
    return new Promise((resolve) => {
      const reader = new Socket({
        handle,
        readable: true,
        writable: false,
        onread: {
          buffer: () => this.readBuffer(),
          callback: (nread: number, buffer: Uint8Array) => this.received(nread, buffer),
        },
      } as ConstructorParameters<typeof Socket>[0]);
      const finish = () => {
        this.pausedPipe = null;
        this.end();
        // The socket it came in is done too: whoever waits for its 'close' (a ChildProcess) hears it.
        source.destroy();
        resolve();
      };
      reader.once('end', finish);
      reader.once('close', finish);
      reader.once('error', finish);
      this.reader = reader;
      this.readerHandle = handle;
      reader.resume();
    });
  }

  /** Where the next read of the pipe lands: the free part of the staging buffer. */
  private readBuffer(): Uint8Array {
    if (!this.staging) return firstReads;
    if (this.staging.length - this.fill < minReadBytes) this.rollOver(minReadBytes);
    return this.staging.subarray(this.fill);
  }

  /** `nread` bytes were read into the buffer `readBuffer` gave; false pauses the pipe. */
  private received(nread: number, buffer: Uint8Array): boolean {
    const time = Date.now();
    if (buffer === firstReads) this.append(firstReads.subarray(0, nread), time);
    else this.appended(nread, time);
    if (this.log.unwritten > maxUnwrittenBytes && !this.ended) {
      this.pausedPipe = this.readerHandle;
      return false;
    }
    return true;
  }

  private onWritten(): void {
    if (this.log.unwritten > maxUnwrittenBytes / 2) return;
    if (this.paused) {
      const source = this.paused;
      this.paused = null;
      source.resume();
    }
    if (this.pausedPipe && !this.reader?.destroyed) {
      const handle = this.pausedPipe;
      this.pausedPipe = null;
      handle.reading = true;
      handle.readStart();
    }
  }

  append(chunk: Buffer, time: number): void {
    if (this.ended || chunk.length === 0) return;
    if (!this.staging || this.fill + chunk.length > this.staging.length) this.rollOver(chunk.length);
    chunk.copy(this.staging!, this.fill);
    this.appended(chunk.length, time);
  }

  /** `length` new bytes are in the staging buffer at `fill`: log them, index their lines. */
  private appended(length: number, time: number): void {
    if (this.ended || length === 0) return;
    const staging = this.staging!;
    this.bytes += length;
    const from = this.fill;
    this.fill += length;
    this.tap?.(staging.subarray(from, this.fill));
    this.log.write(staging, this.queued, this.fill);
    this.queued = this.fill;

    // Past `fill` the staging buffer holds garbage: search only the filled part.
    const filled = staging.subarray(0, this.fill);
    let start = this.lineStart;
    let newline = filled.indexOf(10, from);
    let added = 0;
    if (this.longHead) {
      if (newline === -1) {
        this.skipLong(start, this.fill);
        this.lineStart = this.fill;
        return;
      }
      this.skipLong(start, newline);
      this.pushLong(time);
      added++;
      start = newline + 1;
      newline = filled.indexOf(10, start);
    }
    // The hot loop of a flood: one indexOf and one store per line; the ring takes the lines in
    // batches (one copy each), and a line longer than its head goes alone (only its head is copied).
    const ends = lineEnds;
    let batchStart = start;
    let batched = 0;
    while (newline !== -1) {
      const long = newline - start > lineHeadBytes;
      if (long || batched === ends.length) {
        this.ring.pushLines(this.name, staging, batchStart, ends, batched, time);
        added += batched;
        batched = 0;
        batchStart = start;
      }
      if (long) {
        this.ring.push(this.name, staging, start, newline, time);
        added++;
        batchStart = newline + 1;
      } else ends[batched++] = newline;
      start = newline + 1;
      newline = filled.indexOf(10, start);
    }
    this.ring.pushLines(this.name, staging, batchStart, ends, batched, time);
    added += batched;
    this.lineStart = start;
    if (this.fill - start > lineHeadBytes) this.startLong();
    this.lines += added;
    // An unfinished line matters too: it is often a prompt waiting for input ("Name? ").
    if (added > 0 || this.fill > this.lineStart || this.longHead) this.onLines();
  }

  /** The unfinished line outgrew a line's head: keep a copy of its head, only count the rest. */
  private startLong(): void {
    const staging = this.staging!;
    const headStop = headEnd(staging, this.lineStart, lineHeadBytes);
    // A copy, not a view: a view would keep the whole staging buffer alive.
    this.longHead = Buffer.from(staging.subarray(this.lineStart, headStop));
    this.longRest = 0;
    this.longEndsInCR = false;
    this.skipLong(headStop, this.fill);
    this.lineStart = this.fill;
  }

  private skipLong(start: number, end: number): void {
    if (end <= start) return;
    this.longRest += end - start;
    this.longEndsInCR = this.staging![end - 1] === 13;
  }

  /** The long line ended: its head goes to the ring, with how much more of it the log holds. */
  private pushLong(time: number): void {
    const head = this.longHead!;
    // A CRLF line ends without its CR, as any line.
    const rest = this.longRest - (this.longEndsInCR ? 1 : 0);
    this.longHead = null;
    this.ring.push(this.name, head, 0, head.length, time, rest);
  }

  /** The unfinished last line (no newline yet), decoded up to its last whole character, or null. */
  unfinished(): string | null {
    if (this.ended) return null;
    if (this.longHead) {
      const head = this.longHead;
      return head.toString('utf8', 0, headEnd(head, 0, Math.min(head.length, maxUnfinishedBytes)));
    }
    if (!this.staging || this.fill <= this.lineStart) return null;
    const end = Math.min(this.fill, this.lineStart + maxUnfinishedBytes);
    return this.staging.toString(
      'utf8',
      this.lineStart,
      wholeCharactersEnd(this.staging, this.lineStart, end),
    );
  }

  /** A next staging buffer that starts with the unfinished line (already queued for the log). */
  private rollOver(incoming: number): void {
    const carried = this.staging ? this.fill - this.lineStart : 0;
    const needed = carried + incoming;
    const now = performance.now();
    const flooding = now - this.stagingSince < floodMs;
    this.stagingSince = now;
    const grown = flooding ? Math.min(maxStagingBytes, (this.staging?.length ?? 0) * 2) : minStagingBytes;
    const size = Math.max(grown, needed * 2);
    let next = this.recycled(size, flooding);
    if (!next) next = Buffer.allocUnsafeSlow(size);
    if (carried > 0) this.staging!.copy(next, 0, this.lineStart, this.fill);
    if (this.staging) {
      // Free again once its bytes are on disk (the ring holds copies of its lines).
      this.retired.push({ buffer: this.staging, logEnd: this.log.accepted });
    }
    this.staging = next;
    this.fill = carried;
    this.lineStart = 0;
    this.queued = carried;
  }

  /**
   * A staging buffer nothing refers to any more, of at least `size` bytes, if there is one. Retired
   * buffers whose bytes are all on disk become spares; a flood cycles through a few of them instead
   * of allocating a megabyte after another (fresh memory costs page faults, and garbage collection
   * after): worth more than any other saving here. Once the flood is over they go.
   */
  private recycled(size: number, flooding: boolean): Buffer | null {
    const spares = this.spares;
    while (this.retired.length > 0 && this.retired[0]!.logEnd <= this.log.settled) {
      const { buffer } = this.retired.shift()!;
      if (spares.length < maxSpares) spares.push(buffer);
    }
    if (!flooding) spares.length = 0;
    while (spares.length > 0) {
      const spare = spares.pop()!;
      if (spare.length >= size) return spare;
    }
    return null;
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.longHead) {
      this.pushLong(Date.now());
      this.lines++;
      this.onLines();
    } else if (this.staging && this.fill > this.lineStart) {
      this.ring.push(this.name, this.staging, this.lineStart, this.fill, Date.now());
      this.lineStart = this.fill;
      this.lines++;
      this.onLines();
    }
    // The log writer keeps what it still has to write; nothing else reads these again.
    this.staging = null;
    this.retired.length = 0;
    this.spares.length = 0;
    if (this.paused) {
      this.paused.resume();
      this.paused = null;
    }
    this.reader = null;
    this.readerHandle = null;
    this.log.end();
  }

  /** Resolves when every byte is on disk. */
  flushed(): Promise<void> {
    return this.log.finished;
  }
}

type StreamStats = RunRecord['output']['stdout'];
export type CaptureStats = RunRecord['output'];

/**
 * A run's stdout and stderr: every byte to a log file per stream (the full record), lines with
 * timestamps and sequence numbers in a bounded window per stream (what the UI shows), numbered in
 * one sequence so that the merged view reads them back in the order they came.
 */
export class OutputCapture {
  /** The run's share of the log budget: unlimited until the registry puts it under one (`log.use`). */
  readonly log = new RunLog();
  private readonly ring: LineRing;
  private readonly streams: Record<StreamName, StreamCapture>;

  constructor(
    logDir: string,
    runId: string,
    windowLines: number,
    onLines: () => void,
    limits: LineRingLimits = {},
  ) {
    this.ring = new LineRing(windowLines, limits);
    this.streams = {
      stdout: new StreamCapture('stdout', join(logDir, `${runId}.stdout.log`), this.ring, onLines, this.log),
      stderr: new StreamCapture('stderr', join(logDir, `${runId}.stderr.log`), this.ring, onLines, this.log),
    };
  }

  attach(name: StreamName, source: Readable | null | undefined): Promise<void> {
    if (!source) {
      this.streams[name].end();
      return Promise.resolve();
    }
    return this.streams[name].attach(source);
  }

  /** Every byte of both streams as it arrives (see StreamCapture.tap); null removes the tap. */
  tap(listener: ((stream: StreamName, bytes: Buffer) => void) | null): void {
    this.streams.stdout.tap = listener && ((bytes) => listener('stdout', bytes));
    this.streams.stderr.tap = listener && ((bytes) => listener('stderr', bytes));
  }

  /** Ends both streams (for runs that never started) and resolves when the logs are on disk. */
  async close(): Promise<void> {
    this.streams.stdout.end();
    this.streams.stderr.end();
    await Promise.all([this.streams.stdout.flushed(), this.streams.stderr.flushed()]);
  }

  get nextSeq(): number {
    return this.ring.nextSeq;
  }

  /**
   * Held lines from `fromSeq` (of one stream when `stream` says so): at most `limit`, and at most
   * `maxBytes` of text (`continueFrom` says where to go on).
   */
  read(fromSeq: number, limit: number, maxBytes = maxReadOutputBytes, stream?: StreamName): ReadOutputResult {
    const { lines, continueFrom } = this.ring.read(fromSeq, limit, maxBytes, stream);
    return {
      lines,
      firstSeq: this.ring.firstSeq,
      nextSeq: this.ring.nextSeq,
      continueFrom,
      unfinished: this.unfinished(),
    };
  }

  /** The oldest sequence number from `fromSeq` whose lines, to the newest, hold at most `maxBytes` of text. */
  newestWithin(fromSeq: number, maxBytes: number): number {
    return this.ring.newestWithin(fromSeq, maxBytes);
  }

  /**
   * What is new since `cursor` (from the start when none): the newest lines within `maxLines` and
   * `maxBytes` of text, the older ones counted as skipped; null when no line came and neither
   * unfinished line changed.
   */
  since(cursor: OutputCursor | undefined, maxLines: number, maxBytes: number): OutputSince | null {
    const from = cursor?.seq ?? 0;
    const next = this.ring.nextSeq;
    const unfinished = this.unfinished();
    const was = cursor?.unfinished;
    if (
      next <= from &&
      unfinished.stdout === (was?.stdout ?? null) &&
      unfinished.stderr === (was?.stderr ?? null)
    )
      return null;
    const start = this.ring.newestWithin(Math.max(from, next - maxLines), maxBytes);
    const { lines } = this.ring.read(start, maxLines, Infinity);
    const { stdout, stderr } = this.streams;
    return {
      lines,
      // Lines that came since the cursor and are not sent: left out here, or gone from the window.
      skipped: Math.max(0, next - from - lines.length),
      unfinished,
      stdout: { bytes: stdout.bytes, lines: stdout.lines },
      stderr: { bytes: stderr.bytes, lines: stderr.lines },
      cursor: { seq: next, unfinished },
    };
  }

  /** The run is forgotten: its lines' memory goes back to the shared budget. */
  release(): void {
    this.ring.release();
  }

  /** Each stream's unfinished last line: shown provisionally until its newline comes. */
  unfinished(): UnfinishedLines {
    return { stdout: this.streams.stdout.unfinished(), stderr: this.streams.stderr.unfinished() };
  }

  stats(): CaptureStats {
    const stream = (capture: StreamCapture): StreamStats => ({
      bytes: capture.bytes,
      lines: capture.lines,
      logPath: capture.logPath,
      ...capture.logged,
    });
    return {
      stdout: stream(this.streams.stdout),
      stderr: stream(this.streams.stderr),
      log: { policy: this.log.policy, warning: this.log.warning },
    };
  }
}
