/**
 * The wire format between the queue broker (main process) and queue clients (children):
 * length-prefixed binary frames on a Unix domain socket / named pipe. Items travel as their
 * JSON text, untouched by the broker, so it never parses what it only forwards.
 *
 *   [u32 length of the rest][u8 type][body]
 */
import { isAscii } from 'node:buffer';

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
  // A lease leaves as one or more items frames (parts of ~128 KiB, so the child can hand out the
  // first items while the rest are on their way): `more` counts the items still to come for req,
  // 0 in the last part. The ids and lengths come first, then the items back to back, so a part is
  // one header and the items' own buffers (writev, no copy).
  items: 10, // [u32 req][u32 qref][u32 n][u32 more]([u32 id][u32 len])*n (item)*n
  reply: 11, // [u32 req][json]
  error: 12, // [u32 req][json {code, message}]
  recall: 13, // [u32 qref]
  notice: 14, // [u32 qref][json {code, message}]
} as const;

export const headerBytes = 5;

/** What a child's handle needs to reach the broker (it travels in the child's environment). */
export interface BrokerAddress {
  path: string;
  secret: string;
}

/**
 * An item's bytes start with a tag: a string travels as its UTF-8 bytes (no JSON.stringify and
 * JSON.parse, which cost more than the copy for large strings, as pickle special-cases str);
 * anything else as JSON text.
 */
export const ItemTag = { json: 0, string: 1 } as const;

export function decodeItem(bytes: Buffer): unknown {
  if (bytes[0] === ItemTag.string) {
    // ASCII text (most of it) is read as latin1: a plain copy, without the UTF-8 decoder's checks.
    if (bytes.length > 256 && isAscii(bytes.subarray(1))) return bytes.toString('latin1', 1);
    return bytes.toString('utf8', 1);
  }
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

/**
 * Frames are written into a large chunk; `take` hands what was written as a view and the next
 * frames go on after it in the same chunk (the bytes taken are never touched again). A chunk is
 * used again once every view taken from it has been written (`written`), so a steady stream of
 * frames allocates nothing: fresh memory costs page faults and garbage collections, not just a copy.
 */
export class FrameWriter {
  private buf: Buffer;
  /** The first byte not taken yet. */
  private base = 0;
  private off = 0;
  /** Views taken from the current chunk and not written yet, per chunk. */
  private readonly inFlight = new WeakMap<ArrayBufferLike, { out: number; retired: boolean }>();
  private readonly spare: Buffer[] = [];

  constructor(private readonly chunkBytes = 256 * 1024) {
    this.buf = this.fresh(chunkBytes);
  }

  private fresh(bytes: number): Buffer {
    const buf = (bytes === this.chunkBytes && this.spare.pop()) || Buffer.allocUnsafeSlow(bytes);
    this.inFlight.set(buf.buffer, { out: 0, retired: false });
    return buf;
  }

  /** The current chunk is left for a new one; it comes back once its views are written. */
  private retire(next: Buffer): void {
    const chunk = this.inFlight.get(this.buf.buffer);
    if (chunk) {
      chunk.retired = true;
      if (chunk.out === 0) this.recycle(this.buf);
    }
    this.buf = next;
  }

  private recycle(buf: Buffer): void {
    if (buf.length === this.chunkBytes && this.spare.length < 4) this.spare.push(buf);
  }

  /** A view returned by `take` has been written (or dropped): its chunk may be used again. */
  written(view: Buffer): void {
    const chunk = this.inFlight.get(view.buffer);
    if (!chunk || chunk.out === 0) return;
    chunk.out--;
    if (chunk.out === 0 && chunk.retired) this.recycle(Buffer.from(view.buffer, 0, view.buffer.byteLength));
  }

  get length(): number {
    return this.off - this.base;
  }

  /** Whether `bytes` more fit without growing (a caller may flush first instead). */
  fits(bytes: number): boolean {
    return this.off + bytes <= this.buf.length;
  }

  private ensure(bytes: number): void {
    if (this.off + bytes <= this.buf.length) return;
    const pending = this.off - this.base;
    const next = this.fresh(Math.max(this.chunkBytes, pending + bytes));
    this.buf.copy(next, 0, this.base, this.off);
    this.retire(next);
    this.base = 0;
    this.off = pending;
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

  /**
   * The frames written since the last take, as one view the writer never writes again; give it
   * back with `written` once the socket is done with it.
   */
  take(): Buffer {
    const out = this.buf.subarray(this.base, this.off);
    this.inFlight.get(this.buf.buffer)!.out++;
    this.base = this.off;
    // Too little room left to be worth it: the next frames start a new chunk.
    if (this.buf.length - this.off < this.chunkBytes / 8) {
      this.retire(this.fresh(this.chunkBytes));
      this.base = this.off = 0;
    }
    return out;
  }
}

/** Where a reader hands a frame: its type and body (a view; how long it stays valid depends on the reader). */
export type OnFrame = (type: number, body: Buffer) => void;

function frameLength(length: number): number {
  if (length > maxItemBytes + 64) throw new Error(`a queue frame of ${length} bytes is too large`);
  return length;
}

/**
 * Splits a stream of chunks that are never reused (a socket's 'data' events) into frames; a frame
 * stays valid for as long as it is held. A frame inside one chunk is a view of it; a frame that spans chunks is copied once, piece by piece, into
 * a buffer of its own size allocated as soon as its length is known: no chunk is joined twice and
 * no bytes after the frame are copied with it.
 */
export class FrameReader {
  /** The frame being assembled (its full size), or the first bytes of a length prefix. */
  private partial: Buffer | null = null;
  private filled = 0;
  private readonly prefix = Buffer.allocUnsafe(4);

  constructor(private readonly onFrame: OnFrame) {}

  push(chunk: Buffer): void {
    let off = 0;
    if (this.filled > 0) {
      off = this.continuePartial(chunk);
      if (off < 0) return;
    }
    const end = chunk.length;
    while (end - off >= 4) {
      const length = frameLength(chunk.readUInt32LE(off));
      if (end - off - 4 < length) break;
      this.onFrame(chunk[off + 4]!, chunk.subarray(off + headerBytes, off + 4 + length));
      off += 4 + length;
    }
    if (off < end) {
      if (end - off >= 4) {
        this.partial = Buffer.allocUnsafe(4 + frameLength(chunk.readUInt32LE(off)));
      } else {
        this.partial = this.prefix;
      }
      chunk.copy(this.partial, 0, off, end);
      this.filled = end - off;
    }
  }

  /** Goes on with the frame begun in an earlier chunk; returns where this chunk's own frames start, or -1. */
  private continuePartial(chunk: Buffer): number {
    let off = 0;
    if (this.partial === this.prefix) {
      const take = Math.min(4 - this.filled, chunk.length);
      chunk.copy(this.prefix, this.filled, 0, take);
      this.filled += take;
      off = take;
      if (this.filled < 4) return -1;
      this.partial = Buffer.allocUnsafe(4 + frameLength(this.prefix.readUInt32LE(0)));
      this.prefix.copy(this.partial, 0, 0, 4);
    }
    const frame = this.partial!;
    const take = Math.min(frame.length - this.filled, chunk.length - off);
    chunk.copy(frame, this.filled, off, off + take);
    this.filled += take;
    off += take;
    if (this.filled < frame.length) return -1;
    this.partial = null;
    this.filled = 0;
    this.onFrame(frame[4]!, frame.subarray(headerBytes));
    return off;
  }
}

interface Slab {
  buf: Buffer;
  /** Frames (items) of this slab still held by someone. */
  refs: number;
  /** No read lands in it any more. */
  sealed: boolean;
}

/**
 * The slabs socket reads land in, lent out and taken back once no item in them is held: a queue
 * streaming large items reuses the same few megabytes instead of allocating (and collecting) its
 * whole traffic. Whoever keeps an item beyond the frame's callback `retain`s it and `release`s it
 * exactly once; a buffer that is not a slab's view is ignored by both.
 */
export class SlabPool {
  private readonly free: Buffer[] = [];
  private readonly slabs = new WeakMap<ArrayBufferLike, Slab>();

  constructor(
    readonly slabBytes: number,
    private readonly maxFree: number,
  ) {}

  take(bytes: number): Buffer {
    const reused = bytes <= this.slabBytes ? this.free.pop() : undefined;
    if (reused) {
      this.slabs.get(reused.buffer)!.sealed = false;
      return reused;
    }
    const buf = Buffer.allocUnsafeSlow(Math.max(bytes, this.slabBytes));
    this.slabs.set(buf.buffer, { buf, refs: 0, sealed: false });
    return buf;
  }

  seal(buf: Buffer): void {
    const slab = this.slabs.get(buf.buffer);
    if (!slab) return;
    slab.sealed = true;
    if (slab.refs === 0) this.recycle(slab);
  }

  retain(view: Buffer): void {
    const slab = this.slabs.get(view.buffer);
    if (slab) slab.refs++;
  }

  release(view: Buffer): void {
    const slab = this.slabs.get(view.buffer);
    if (!slab || slab.refs === 0) return;
    if (--slab.refs === 0 && slab.sealed) this.recycle(slab);
  }

  private recycle(slab: Slab): void {
    if (slab.buf.length === this.slabBytes && this.free.length < this.maxFree) this.free.push(slab.buf);
  }
}

/** This process's slabs (the broker's, or a child's). */
export const slabPool = new SlabPool(1024 * 1024, 32);

/**
 * Reads a socket in place (net.Socket's `onread` option): the socket reads straight into large
 * slabs, taken one after the other from the pool, so a frame that spans reads is still one run of
 * bytes and every frame is a view, never joined or copied. Only the unfinished tail of a slab
 * moves, once, when the next slab begins. A frame is valid during `onFrame`; to keep an item
 * longer, `retain` it in the pool (and `release` it once done).
 *
 *   connect({ path, onread: { buffer: () => reader.buffer(), callback: (n) => reader.landed(n) } })
 */
export class SlabReader {
  private slab: Buffer;
  /** The first byte not yet handed out as a frame. */
  private start = 0;
  /** Where the next read lands. */
  private end = 0;

  constructor(
    private readonly onFrame: OnFrame,
    private readonly pool: SlabPool = slabPool,
    private readonly minRead = 64 * 1024,
  ) {
    this.slab = pool.take(pool.slabBytes);
  }

  /** Where the socket's next read goes. */
  buffer(): Buffer {
    const room = this.slab.length - this.end;
    if (room < this.minRead) {
      const pending = this.end - this.start;
      const frame = pending >= 4 ? 4 + frameLength(this.slab.readUInt32LE(this.start)) : 0;
      // The frame under way ends in this slab: finish it here rather than move it.
      if (frame > 0 && room > 0 && this.start + frame <= this.slab.length)
        return this.slab.subarray(this.end);
      // A frame larger than a slab gets a slab of its own size: it is read in place all the same.
      const next = this.pool.take(frame + this.minRead);
      this.slab.copy(next, 0, this.start, this.end);
      this.pool.seal(this.slab);
      this.slab = next;
      this.start = 0;
      this.end = pending;
    }
    return this.slab.subarray(this.end);
  }

  /** `n` bytes were read into the buffer last returned by `buffer()`; true: read on. */
  landed(n: number): boolean {
    this.end += n;
    const slab = this.slab;
    let off = this.start;
    while (this.end - off >= 4) {
      const length = frameLength(slab.readUInt32LE(off));
      if (this.end - off - 4 < length) break;
      this.start = off + 4 + length;
      this.onFrame(slab[off + 4]!, slab.subarray(off + headerBytes, off + 4 + length));
      off = this.start;
    }
    return true;
  }
}

export interface Blocking {
  block: boolean;
  /** Seconds-free: milliseconds, or -1 for no timeout. */
  timeoutMs: number;
}
