/**
 * The wire format between the queue broker (main process) and queue clients (children):
 * length-prefixed binary frames on a Unix domain socket / named pipe. Items travel as their
 * JSON text, untouched by the broker, so it never parses what it only forwards.
 *
 *   [u32 length of the rest][u8 type][body]
 */
export const Frame = {
  // client → broker
  hello: 1, // json {secret, pid, refs}
  put: 2, // [u32 qref][item] — pipelined: no reply unless it is refused (notice)
  putWait: 3, // [u32 req][u32 qref][f64 timeout][u8 block][item] → reply | error
  get: 4, // [u32 req][u32 qref][f64 timeout][u8 block][u32 want] → items | error
  ack: 5, // [u32 qref][u32 n][u32 id]* — items handed to the program by get()
  call: 6, // [u32 req][json {op, ref, ...}] → reply | error
  giveBack: 7, // [u32 qref][u32 n][u32 id]* — leased items not handed out, returned on recall
  // broker → client
  items: 10, // [u32 req][u32 qref][u32 n]([u32 id][u32 len][item])*
  reply: 11, // [u32 req][json]
  error: 12, // [u32 req][json {code, message}]
  recall: 13, // [u32 qref]
  notice: 14, // [u32 qref][json {code, message}]
} as const;

export const headerBytes = 5;

/**
 * An item's bytes start with a tag: a string travels as its UTF-8 bytes (no JSON.stringify and
 * JSON.parse, which cost more than the copy for large strings, as pickle special-cases str);
 * anything else as JSON text.
 */
export const ItemTag = { json: 0, string: 1 } as const;

export function decodeItem(bytes: Buffer): unknown {
  if (bytes[0] === ItemTag.string) return bytes.toString('utf8', 1);
  return JSON.parse(bytes.toString('utf8', 1)) as unknown;
}

/** The item as JSON text, cut to `max` bytes: what a person sees in the lineage. */
export function previewItem(bytes: Buffer, max: number): string {
  const cut = bytes.length - 1 > max;
  const text = bytes.toString('utf8', 1, Math.min(bytes.length, max + 1));
  if (bytes[0] === ItemTag.string)
    return cut ? `${JSON.stringify(text).slice(0, -1)}…` : JSON.stringify(text);
  return cut ? `${text}…` : text;
}

/** For the engine's own puts: tag + text. */
export function encodeItem(item: unknown): Buffer {
  if (typeof item === 'string') {
    const out = Buffer.allocUnsafe(1 + Buffer.byteLength(item));
    out[0] = ItemTag.string;
    out.write(item, 1, 'utf8');
    return out;
  }
  const text = JSON.stringify(item);
  if (text === undefined) throw new TypeError(`${typeof item} is not a JSON value`);
  const out = Buffer.allocUnsafe(1 + Buffer.byteLength(text));
  out[0] = ItemTag.json;
  out.write(text, 1, 'utf8');
  return out;
}
/** A frame may carry one item of up to this size (JSON text). */
export const maxItemBytes = 256 * 1024 * 1024;

/** A growing output buffer that frames are written into, then taken as one chunk for the socket. */
export class FrameWriter {
  private buf: Buffer;
  private off = 0;

  /** Chunks the socket has finished with, reused so that a stream of large items does not churn memory. */
  private readonly spare: Buffer[] = [];

  constructor(private readonly chunkBytes = 256 * 1024) {
    this.buf = Buffer.allocUnsafe(chunkBytes);
  }

  get length(): number {
    return this.off;
  }

  /** Whether `bytes` more fit without growing (a caller may flush first instead). */
  fits(bytes: number): boolean {
    return this.off + bytes <= this.buf.length;
  }

  /** Gives back a chunk returned by `take` once it has been written. */
  recycle(chunk: Buffer): void {
    if (chunk.byteOffset === 0 && chunk.buffer.byteLength === this.chunkBytes && this.spare.length < 4) {
      this.spare.push(Buffer.from(chunk.buffer, 0, this.chunkBytes));
    }
  }

  private ensure(bytes: number): void {
    if (this.off + bytes <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.chunkBytes, this.off + bytes));
    this.buf.copy(next, 0, 0, this.off);
    this.buf = next;
  }

  /** Starts a frame; returns where its length goes (filled by `end`). */
  begin(type: number, maxBody: number): number {
    this.ensure(headerBytes + maxBody);
    const start = this.off;
    this.buf[start + 4] = type;
    this.off += headerBytes;
    return start;
  }

  end(start: number): void {
    this.buf.writeUInt32LE(this.off - start - 4, start);
  }

  u8(value: number): void {
    this.buf[this.off++] = value;
  }

  u32(value: number): void {
    this.buf.writeUInt32LE(value, this.off);
    this.off += 4;
  }

  f64(value: number): void {
    this.buf.writeDoubleLE(value, this.off);
    this.off += 8;
  }

  /** UTF-8 text; the caller reserved `text.length * 3` bytes in `begin`. */
  text(value: string): void {
    this.off += this.buf.write(value, this.off, 'utf8');
  }

  bytes(value: Buffer): void {
    value.copy(this.buf, this.off);
    this.off += value.length;
  }

  /** The frames written so far, as one chunk; the writer starts afresh. */
  take(): Buffer {
    const out = this.buf.subarray(0, this.off);
    this.buf = this.spare.pop() ?? Buffer.allocUnsafe(this.chunkBytes);
    this.off = 0;
    return out;
  }
}

/** Splits a byte stream into frames; `onFrame` gets the type and the body (a view, valid during the call). */
export class FrameReader {
  /** Chunks of a frame not complete yet: joined once it is, never chunk by chunk (large frames stay linear). */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private needed = 0;

  constructor(private readonly onFrame: (type: number, body: Buffer) => void) {}

  push(chunk: Buffer): void {
    let data = chunk;
    if (this.pending.length > 0) {
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
      if (this.pendingBytes < this.needed) return;
      data = Buffer.concat(this.pending, this.pendingBytes);
      this.pending = [];
      this.pendingBytes = 0;
    }
    let off = 0;
    while (data.length - off >= 4) {
      const length = data.readUInt32LE(off);
      if (length > maxItemBytes + 64) throw new Error(`a queue frame of ${length} bytes is too large`);
      if (data.length - off - 4 < length) break;
      this.onFrame(data[off + 4]!, data.subarray(off + headerBytes, off + 4 + length));
      off += 4 + length;
    }
    if (off < data.length) {
      const rest = data.subarray(off);
      this.pending = [rest];
      this.pendingBytes = rest.length;
      this.needed = rest.length >= 4 ? 4 + rest.readUInt32LE(0) : 4;
    }
  }
}

export interface Blocking {
  block: boolean;
  /** Seconds-free: milliseconds, or -1 for no timeout. */
  timeoutMs: number;
}
