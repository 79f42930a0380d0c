/**
 * Large items skip the broker's socket. Through the broker an item's bytes were copied four times
 * by the kernel (producer → socket → broker → socket → consumer) and held in the broker's slabs
 * meanwhile; Python's Queue copies them twice (into its pipe and out). So a producer writes a large
 * item's text into a file of the broker's spill folder (tmpfs: memory, not disk) and puts only where
 * it is (`spilledItem` in wire.ts, with its first bytes for the lineage); the consumer reads it from
 * there. The broker still sees every put, get, lease and ack, in the same order: only the text
 * goes round it.
 *
 * A producer appends to segment files `<writer>-<seq>`, starting the next one past `segmentBytes`.
 * The broker counts the items of each segment it holds (put and not yet got or lost); once a
 * segment holds none and its writer has moved on to a later one, the broker renames it to one of
 * its writer's free slots (`<writer>-free<k>`), and the writer takes a free slot for its next
 * segment and writes over it: fresh tmpfs pages cost twice the copy (measured: 1.31 GB in 64 KiB
 * writes, ~330 ms of kernel time into new files, ~150 ms over old ones). The hand-back goes through
 * the folder, not the socket: a frame written to a producer that has just exited fails (EPIPE),
 * and Node then drops the socket with the producer's last puts still unread. Segments beyond the
 * slots, and every file of a writer whose process is gone, are removed. Where there is no tmpfs
 * (or it is full), items stay inline, as before.
 */
import { randomInt } from 'node:crypto';
import {
  closeSync,
  constants,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { isSpilled, readSpilled, spilledItem, type SpilledItem, type TextTag } from './wire';
import { sharedMemoryDir } from '../containment/temp-dirs';

/** Items with at least this many characters are spilled. */
export const spillMinChars = 32 * 1024;
/** A producer starts a new segment file once its current one holds this much. */
const segmentBytes = 8 * 1024 * 1024;
/** Free slots per writer: emptied segments kept to be written over. */
const freeSlots = 4;
/** Reused for reading and writing items up to this size; larger ones get a buffer of their own. */
const scratchMax = 4 * 1024 * 1024;

const segmentName = (writer: number, seq: number): string => `${writer}-${seq}`;
const freeName = (writer: number, slot: number): string => `${writer}-free${slot}`;

/** A buffer of at least `bytes`, reused while it is not too large to keep. */
class Scratch {
  private buf = Buffer.alloc(0);

  get(bytes: number): Buffer {
    if (bytes <= this.buf.length) return this.buf;
    if (bytes > scratchMax) return Buffer.allocUnsafeSlow(bytes);
    this.buf = Buffer.allocUnsafeSlow(Math.max(bytes, 256 * 1024));
    return this.buf;
  }
}

/** Where the spill folder is: tmpfs on Linux, else none (items stay inline). */
export function makeSpillDir(prefix: string): string | null {
  if (sharedMemoryDir === null || !existsSync(sharedMemoryDir)) return null;
  try {
    return mkdtempSync(join(sharedMemoryDir, prefix));
  } catch {
    return null;
  }
}

/** A producer's side: writes items' text into its segments. */
export class SpillWriter {
  private fd = -1;
  private writer = randomInt(0x100000000);
  private seq = 0;
  private offset = 0;
  private failed = false;
  private readonly scratch = new Scratch();

  constructor(private readonly dir: string) {}

  private path(name: string): string {
    return join(this.dir, name);
  }

  /** The spilled item's bytes, or null: send it inline (the folder is full or gone). */
  write(tag: TextTag, text: string): Buffer | null {
    if (this.failed) return null;
    const bytes = text.length * 3 <= scratchMax ? text.length * 3 : Buffer.byteLength(text);
    const buf = this.scratch.get(bytes);
    const length = buf.write(text, 0, 'utf8');
    try {
      if (this.fd < 0 || this.offset >= segmentBytes) this.nextSegment();
      for (let done = 0; done < length;)
        done += writeSync(this.fd, buf, done, length - done, this.offset + done);
    } catch {
      // ENOSPC, the folder removed: what could not be written is never referred to.
      this.failed = true;
      return null;
    }
    const ref: SpilledItem = { tag, writer: this.writer, seq: this.seq, offset: this.offset, length };
    this.offset += length;
    return spilledItem(ref, buf.subarray(0, length));
  }

  private nextSegment(): void {
    if (this.fd >= 0) {
      closeSync(this.fd);
      this.fd = -1;
      this.seq++;
    }
    this.offset = 0;
    const name = segmentName(this.writer, this.seq);
    // A segment the broker emptied, its pages already there.
    for (let slot = 0; slot < freeSlots; slot++) {
      try {
        renameSync(this.path(freeName(this.writer, slot)), this.path(name));
        this.fd = openSync(this.path(name), constants.O_WRONLY);
        return;
      } catch {
        // no such slot: try the next, then a fresh file
      }
    }
    const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL;
    for (;;) {
      try {
        this.fd = openSync(this.path(segmentName(this.writer, this.seq)), flags, 0o600);
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        // Another process drew the same id: draw again.
        this.writer = randomInt(0x100000000);
        this.seq = 0;
      }
    }
  }
}

/**
 * Reads spilled items' text. One segment per writer stays open (items of a writer mostly come in
 * order) until `close`, which the holder calls when it has nothing more to read for now: an open
 * fd keeps a segment's pages after the broker removed it. The bytes returned are valid until the
 * next read.
 */
export class SpillReader {
  private readonly open = new Map<number, { seq: number; fd: number }>();
  private readonly scratch = new Scratch();

  constructor(private readonly dir: string) {}

  read(ref: SpilledItem): Buffer {
    const fd = this.segment(ref.writer, ref.seq);
    const buf = this.scratch.get(ref.length);
    for (let done = 0; done < ref.length;) {
      const n = readSync(fd, buf, done, ref.length - done, ref.offset + done);
      if (n === 0) throw new Error(`spilled item cut short at ${done} of ${ref.length} bytes`);
      done += n;
    }
    return buf.subarray(0, ref.length);
  }

  private segment(writer: number, seq: number): number {
    const held = this.open.get(writer);
    if (held?.seq === seq) return held.fd;
    if (held) closeSync(held.fd);
    this.open.delete(writer);
    const fd = openSync(join(this.dir, segmentName(writer, seq)), constants.O_RDONLY);
    this.open.set(writer, { seq, fd });
    return fd;
  }

  close(): void {
    for (const { fd } of this.open.values()) closeSync(fd);
    this.open.clear();
  }
}

interface Segment {
  /** Items of this segment put and not yet got or lost. */
  held: number;
  /** Its writer has moved on to a later segment (or is gone): nothing more lands in it. */
  sealed: boolean;
}

/**
 * The broker's side: the spill folder, the items each segment holds, emptied segments put in their
 * writers' free slots, and reading an item's text for the engine's own gets. `retain` and
 * `release` ignore items that are not spilled.
 */
export class SpillStore {
  private readonly segments = new Map<string, Segment>();
  /** The segment each writer whose process is connected is writing now. */
  private readonly current = new Map<number, number>();
  /** Renames to free slots and removals, done after the current turn. */
  private readonly pending: { writer: number; name: string }[] = [];
  private pendingQueued = false;
  private reader: SpillReader | null = null;

  constructor(readonly dir: string) {}

  private segment(writer: number, seq: number): Segment {
    const name = segmentName(writer, seq);
    let segment = this.segments.get(name);
    if (!segment) this.segments.set(name, (segment = { held: 0, sealed: false }));
    return segment;
  }

  /**
   * A producer sent a spilled item (throws WireError if it is not one): its writer's earlier
   * segments are complete. Returns the writer.
   */
  arrived(item: Buffer): number {
    const ref = readSpilled(item);
    const now = this.current.get(ref.writer);
    if (now === undefined || ref.seq > now) {
      this.current.set(ref.writer, ref.seq);
      if (now !== undefined) this.seal(ref.writer, now);
    }
    return ref.writer;
  }

  /**
   * The writer's process will write no more: its last segment is complete, and every file of its
   * that holds no item (free slots, segments never announced) is removed.
   */
  writerGone(writer: number): void {
    const now = this.current.get(writer);
    this.current.delete(writer);
    if (now !== undefined) this.seal(writer, now);
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return;
    }
    const prefix = `${writer}-`;
    for (const name of names)
      if (name.startsWith(prefix) && !((this.segments.get(name)?.held ?? 0) > 0)) this.later(writer, name);
  }

  retain(item: Buffer): void {
    if (!isSpilled(item)) return;
    const ref = readSpilled(item);
    this.segment(ref.writer, ref.seq).held++;
  }

  release(item: Buffer): void {
    if (!isSpilled(item)) return;
    const ref = readSpilled(item);
    const segment = this.segment(ref.writer, ref.seq);
    if (segment.held > 0) segment.held--;
    if (segment.held === 0 && segment.sealed) this.empty(ref.writer, ref.seq);
  }

  private seal(writer: number, seq: number): void {
    const segment = this.segment(writer, seq);
    segment.sealed = true;
    if (segment.held === 0) this.empty(writer, seq);
  }

  /** A complete segment holds no item: to a free slot of its writer, or removed. */
  private empty(writer: number, seq: number): void {
    const name = segmentName(writer, seq);
    this.segments.delete(name);
    this.later(writer, name);
  }

  /**
   * After this turn: a get by the engine itself reads the item after it is marked got. (A
   * consumer's fd open on it keeps its bytes until it moves on.)
   */
  private later(writer: number, name: string): void {
    this.pending.push({ writer, name });
    if (this.pendingQueued) return;
    this.pendingQueued = true;
    setImmediate(() => {
      this.pendingQueued = false;
      for (const { writer: owner, name: each } of this.pending.splice(0)) this.reuseOrRemove(owner, each);
    });
  }

  private reuseOrRemove(writer: number, name: string): void {
    const path = join(this.dir, name);
    try {
      if (this.current.has(writer) && !name.includes('-free')) {
        for (let slot = 0; slot < freeSlots; slot++) {
          const free = join(this.dir, freeName(writer, slot));
          if (existsSync(free)) continue;
          renameSync(path, free);
          return;
        }
      }
      unlinkSync(path);
    } catch {
      // never written, or gone with the folder
    }
  }

  /**
   * A spilled item's text, for the engine's own gets (valid until the next read). Nothing stays
   * open: an fd would keep a removed segment's pages.
   */
  readText = (ref: SpilledItem): Buffer => {
    this.reader ??= new SpillReader(this.dir);
    try {
      return this.reader.read(ref);
    } finally {
      this.reader.close();
    }
  };

  stop(): void {
    this.reader?.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
