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
  // Allocated small and doubled up to `capacity` as lines come: most runs print a few lines, and
  // a command pool or a spawn loop starts thousands of runs.
  private buffers: (Buffer | undefined)[];
  private starts: Int32Array;
  private ends: Int32Array;
  private times: Float64Array;
  private streams: Uint8Array;
  private size: number;
  private seq = 0;

  constructor(readonly capacity: number) {
    this.size = Math.min(capacity, 64);
    this.buffers = new Array<Buffer | undefined>(this.size);
    this.starts = new Int32Array(this.size);
    this.ends = new Int32Array(this.size);
    this.times = new Float64Array(this.size);
    this.streams = new Uint8Array(this.size);
  }

  /** Doubles the slots; only before the first wrap, so every line still sits at slot = seq. */
  private grow(): void {
    const size = Math.min(this.capacity, this.size * 2);
    const starts = new Int32Array(size);
    const ends = new Int32Array(size);
    const times = new Float64Array(size);
    const streams = new Uint8Array(size);
    starts.set(this.starts);
    ends.set(this.ends);
    times.set(this.times);
    streams.set(this.streams);
    this.starts = starts;
    this.ends = ends;
    this.times = times;
    this.streams = streams;
    this.buffers.length = size;
    this.size = size;
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
    if (this.seq === this.size && this.size < this.capacity) this.grow();
    const slot = this.seq % this.size;
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
      const slot = seq % this.size;
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
