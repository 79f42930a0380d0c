/**
 * The byte stream under the queue's frames (see wire.ts for what a frame holds): writing frames
 * into reused chunks, and cutting a socket's bytes back into frames, in place where the socket
 * lets us. Both ends use it; it knows a frame's length prefix and type byte, nothing else.
 *
 *   [u32 length of the rest][u8 type][body]
 */
import { headerBytes, maxItemBytes, WireError } from './wire';

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

  /** The next `bytes` bytes, to be filled by the caller (reserved in `begin`). */
  room(bytes: number): Buffer {
    const view = this.buf.subarray(this.off, this.off + bytes);
    this.off += bytes;
    return view;
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
  if (length > maxItemBytes + 64) throw new WireError(`a queue frame of ${length} bytes is too large`);
  // Every frame has its type byte.
  if (length < 1) throw new WireError('a queue frame without a type');
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
