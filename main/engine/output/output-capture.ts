import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { ReadOutputResult, StreamName } from '../../../contract';
import { LineRing } from './line-ring';

/** Past this many bytes without a newline, the pending text is shown as a line of its own. */
const maxPendingBytes = 1024 * 1024;

class StreamCapture {
  bytes = 0;
  lines = 0;
  private pending: Buffer | null = null;
  private readonly log: WriteStream;
  private ended = false;

  constructor(
    readonly name: StreamName,
    readonly logPath: string,
    private readonly ring: LineRing,
    private readonly onLines: () => void,
  ) {
    this.log = createWriteStream(logPath);
    // A full disk must not crash the engine; the error is kept and the stream goes on in memory.
    this.log.on('error', () => {});
  }

  /** Reads `source` to its end; the log's backpressure pauses the source, so memory stays bounded. */
  attach(source: Readable): Promise<void> {
    return new Promise((resolve) => {
      source.on('data', (chunk: Buffer) => {
        if (!this.log.write(chunk)) {
          source.pause();
          this.log.once('drain', () => source.resume());
        }
        this.append(chunk, Date.now());
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

  append(chunk: Buffer, time: number): void {
    this.bytes += chunk.length;
    const before = this.ring.nextSeq;
    let start = 0;
    let newline = chunk.indexOf(10);
    if (this.pending && newline !== -1) {
      const line = Buffer.concat([this.pending, chunk.subarray(0, newline)]);
      this.ring.push(this.name, line, 0, line.length, time);
      this.pending = null;
      start = newline + 1;
      newline = chunk.indexOf(10, start);
    }
    while (newline !== -1) {
      this.ring.push(this.name, chunk, start, newline, time);
      start = newline + 1;
      newline = chunk.indexOf(10, start);
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      this.pending = this.pending ? Buffer.concat([this.pending, rest]) : rest;
      if (this.pending.length > maxPendingBytes) this.flushPending(time);
    }
    this.lines += this.ring.nextSeq - before;
    if (this.ring.nextSeq !== before) this.onLines();
  }

  private flushPending(time: number): void {
    if (!this.pending) return;
    this.ring.push(this.name, this.pending, 0, this.pending.length, time);
    this.pending = null;
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    const before = this.ring.nextSeq;
    this.flushPending(Date.now());
    this.lines += this.ring.nextSeq - before;
    if (this.ring.nextSeq !== before) this.onLines();
    this.log.end();
  }

  /** Resolves when every byte is on disk. */
  flushed(): Promise<void> {
    if (this.log.writableFinished || this.log.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      this.log.once('finish', resolve);
      this.log.once('error', () => resolve());
    });
  }
}

export interface CaptureStats {
  stdout: { bytes: number; lines: number; logPath: string };
  stderr: { bytes: number; lines: number; logPath: string };
}

/**
 * A run's stdout and stderr: every byte to a log file per stream (the full record),
 * lines with timestamps and sequence numbers in a bounded ring (the window the UI shows).
 */
export class OutputCapture {
  private readonly ring: LineRing;
  private readonly streams: Record<StreamName, StreamCapture>;

  constructor(logDir: string, runId: string, windowLines: number, onLines: () => void) {
    this.ring = new LineRing(windowLines);
    this.streams = {
      stdout: new StreamCapture('stdout', join(logDir, `${runId}.stdout.log`), this.ring, onLines),
      stderr: new StreamCapture('stderr', join(logDir, `${runId}.stderr.log`), this.ring, onLines),
    };
  }

  attach(name: StreamName, source: Readable | null | undefined): Promise<void> {
    if (!source) {
      this.streams[name].end();
      return Promise.resolve();
    }
    return this.streams[name].attach(source);
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

  read(fromSeq: number, limit: number): ReadOutputResult {
    return { lines: this.ring.read(fromSeq, limit), firstSeq: this.ring.firstSeq, nextSeq: this.ring.nextSeq };
  }

  stats(): CaptureStats {
    const { stdout, stderr } = this.streams;
    return {
      stdout: { bytes: stdout.bytes, lines: stdout.lines, logPath: stdout.logPath },
      stderr: { bytes: stderr.bytes, lines: stderr.lines, logPath: stderr.logPath },
    };
  }
}
