import type { OutputLine, StreamName } from '../../../contract';

const streamNames: readonly StreamName[] = ['stdout', 'stderr'];
/** A line longer than this is cut for display; the log on disk keeps all of it. */
const maxDisplayBytes = 16 * 1024;

/**
 * The newest lines of one run, both streams interleaved, with sequence numbers.
 * Lines are kept as (buffer, start, end) in typed arrays and decoded only when read:
 * a flood of output costs one indexOf per line, never a string per line.
 */
export class LineRing {
  private readonly buffers: (Buffer | undefined)[];
  private readonly starts: Int32Array;
  private readonly ends: Int32Array;
  private readonly times: Float64Array;
  private readonly streams: Uint8Array;
  private seq = 0;

  constructor(readonly capacity: number) {
    this.buffers = new Array<Buffer | undefined>(capacity);
    this.starts = new Int32Array(capacity);
    this.ends = new Int32Array(capacity);
    this.times = new Float64Array(capacity);
    this.streams = new Uint8Array(capacity);
  }

  get nextSeq(): number {
    return this.seq;
  }

  get firstSeq(): number {
    return Math.max(0, this.seq - this.capacity);
  }

  push(stream: StreamName, buffer: Buffer, start: number, end: number, time: number): void {
    // A CRLF line ends without its CR.
    if (end > start && buffer[end - 1] === 13) end--;
    const slot = this.seq % this.capacity;
    this.buffers[slot] = buffer;
    this.starts[slot] = start;
    this.ends[slot] = end;
    this.times[slot] = time;
    this.streams[slot] = stream === 'stdout' ? 0 : 1;
    this.seq++;
  }

  read(fromSeq: number, limit: number): OutputLine[] {
    const from = Math.max(fromSeq, this.firstSeq);
    const to = Math.min(this.seq, from + limit);
    const lines: OutputLine[] = [];
    for (let seq = from; seq < to; seq++) {
      const slot = seq % this.capacity;
      const buffer = this.buffers[slot]!;
      const start = this.starts[slot]!;
      const end = this.ends[slot]!;
      const cut = end - start > maxDisplayBytes;
      let stop = end;
      if (cut) {
        stop = start + maxDisplayBytes;
        // Never cut inside a UTF-8 sequence: back off over continuation bytes.
        while (stop > start && (buffer[stop]! & 0xc0) === 0x80) stop--;
      }
      let text = buffer.toString('utf8', start, stop);
      if (cut) text += ` … (${end - stop} more bytes in the log)`;
      lines.push({ seq, stream: streamNames[this.streams[slot]!]!, t: this.times[slot]!, text });
    }
    return lines;
  }
}
