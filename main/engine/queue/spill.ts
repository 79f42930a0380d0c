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
 * segment holds none and its writer has moved on to a later one, the broker hands it back to the
 * writer (`spillFree`), who renames it to its next segment and writes over it: fresh tmpfs pages
 * cost twice the copy (measured: 1.31 GB in 64 KiB writes, ~330 ms of kernel time into new files,
 * ~150 ms over old ones). A writer keeps a few; the others, and all of a writer whose process is
 * gone, are removed. Where there is no tmpfs (or it is full), items stay inline, as before.
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

/** Items with at least this many characters are spilled. */
export const spillMinChars = 32 * 1024;
/** A producer starts a new segment file once its current one holds this much. */
const segmentBytes = 8 * 1024 * 1024;
/** Segments a writer keeps to write over; it removes those handed back beyond them. */
const keptFree = 4;
/** Reused for reading and writing items up to this size; larger ones get a buffer of their own. */
const scratchMax = 4 * 1024 * 1024;

const segmentName = (writer: number, seq: number): string => `${writer}-${seq}`;

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
  if (process.platform !== 'linux' || !existsSync('/dev/shm')) return null;
  try {
    return mkdtempSync(join('/dev/shm', prefix));
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
  /** Earlier segments of this writer that hold no item any more, to write over. */
  private readonly free: number[] = [];

  constructor(private readonly dir: string) {}

  private path(seq: number): string {
    return join(this.dir, segmentName(this.writer, seq));
  }

  /** The broker handed segment `seq` back (`spillFree`): nothing refers to it any more. */
  freed(writer: number, seq: number): void {
    if (writer !== this.writer || seq >= this.seq) return;
    if (this.free.length < keptFree) this.free.push(seq);
    else {
      try {
        unlinkSync(this.path(seq));
      } catch {
        // gone with the folder
      }
    }
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
    const old = this.free.shift();
    if (old !== undefined) {
      try {
        renameSync(this.path(old), this.path(this.seq));
        this.fd = openSync(this.path(this.seq), constants.O_WRONLY);
        return;
      } catch {
        // removed meanwhile: start a fresh one
      }
    }
    const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL;
    for (;;) {
      try {
        this.fd = openSync(this.path(this.seq), flags, 0o600);
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        // Another process drew the same id: draw again.
        this.writer = randomInt(0x100000000);
        this.seq = 0;
        this.free.length = 0;
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
 * The broker's side: the spill folder, the items each segment holds, segments handed back to their
 * writers, and reading an item's text for the engine's own gets. `retain` and `release` ignore
 * items that are not spilled.
 */
export class SpillStore {
  private readonly segments = new Map<string, Segment>();
  /** The segment each writer is writing now. */
  private readonly current = new Map<number, number>();
  /** How to hand a segment back to its writer, while its process is connected. */
  private readonly writers = new Map<number, (seq: number) => void>();
  private readonly unlinking = new Set<string>();
  private unlinkQueued = false;
  private reader: SpillReader | null = null;

  constructor(readonly dir: string) {}

  private segment(writer: number, seq: number): [string, Segment] {
    const name = segmentName(writer, seq);
    let segment = this.segments.get(name);
    if (!segment) this.segments.set(name, (segment = { held: 0, sealed: false }));
    return [name, segment];
  }

  /**
   * A producer sent a spilled item (throws WireError if it is not one): its writer's earlier
   * segments are complete, and `handBack` reaches the writer. Returns the writer.
   */
  arrived(item: Buffer, handBack: (seq: number) => void): number {
    const ref = readSpilled(item);
    if (!this.writers.has(ref.writer)) this.writers.set(ref.writer, handBack);
    const now = this.current.get(ref.writer);
    if (now === undefined || ref.seq > now) {
      this.current.set(ref.writer, ref.seq);
      if (now !== undefined) this.seal(ref.writer, now);
    }
    return ref.writer;
  }

  /**
   * The writer's process will write no more: its last segment is complete, and every file of its
   * that holds no item (handed back, never announced) is removed.
   */
  writerGone(writer: number): void {
    this.writers.delete(writer);
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
      if (name.startsWith(prefix) && !((this.segments.get(name)?.held ?? 0) > 0)) this.unlink(name);
  }

  retain(item: Buffer): void {
    if (!isSpilled(item)) return;
    const ref = readSpilled(item);
    this.segment(ref.writer, ref.seq)[1].held++;
  }

  release(item: Buffer): void {
    if (!isSpilled(item)) return;
    const ref = readSpilled(item);
    const [, segment] = this.segment(ref.writer, ref.seq);
    if (segment.held > 0) segment.held--;
    if (segment.held === 0 && segment.sealed) this.empty(ref.writer, ref.seq);
  }

  private seal(writer: number, seq: number): void {
    const [, segment] = this.segment(writer, seq);
    segment.sealed = true;
    if (segment.held === 0) this.empty(writer, seq);
  }

  /** A complete segment holds no item: back to its writer to write over, or removed. */
  private empty(writer: number, seq: number): void {
    const name = segmentName(writer, seq);
    this.segments.delete(name);
    const handBack = this.writers.get(writer);
    if (handBack) handBack(seq);
    else this.unlink(name);
  }

  /**
   * After this turn: a get by the engine itself reads the item after it is marked got. (A
   * consumer's fd open on it keeps its bytes until it moves on.)
   */
  private unlink(name: string): void {
    this.unlinking.add(name);
    if (this.unlinkQueued) return;
    this.unlinkQueued = true;
    setImmediate(() => {
      this.unlinkQueued = false;
      for (const each of this.unlinking) {
        try {
          unlinkSync(join(this.dir, each));
        } catch {
          // never written, or gone with the folder
        }
      }
      this.unlinking.clear();
    });
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
